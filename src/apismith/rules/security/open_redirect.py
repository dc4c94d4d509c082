"""
## What it does
Finds `RedirectResponse`s whose target URL the client chose: a `next` query parameter, a
form or body field, `request.query_params`, a value returned by a dependency, or a helper
that redirects to its argument. A target with a fixed host (`f"{settings.FRONTEND_URL}/x"`)
or a constant local path (`f"/items/{item_id}"`) is not reported, nor is a function that
checks the target (`urlparse(next).netloc`, `next.startswith(...)`, an allow-list).

## Why is this bad?
A link to the trusted site sends the user to a site the attacker controls, which can then
phish credentials or steal OAuth codes and tokens sent along (CWE-601).

## Known problems
A check done in another function than the redirect is not seen; suppress with
`# apismith: ignore[SEC005]` after checking. A target that only starts with `/` is reported:
`//evil.example` is a URL on another host.

## Example
```python
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

app = FastAPI()


@app.get("/login/done")
def login_done(next: str = "/"):
    return RedirectResponse(next)
```

## Use instead
```python
from urllib.parse import urlparse

from fastapi import FastAPI, HTTPException
from fastapi.responses import RedirectResponse

app = FastAPI()


@app.get("/login/done")
def login_done(next: str = "/"):
    target = urlparse(next)
    if target.scheme or target.netloc or not next.startswith("/"):
        raise HTTPException(status_code=400, detail="external redirect")
    return RedirectResponse(next)
```

## Fix safety
No automatic fix: only redirect to local paths, or to hosts in an allow-list.

## References
- https://cwe.mitre.org/data/definitions/601.html
- https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html
"""

from __future__ import annotations

from collections.abc import Iterable

from apismith.analysis.sinks import REDIRECT
from apismith.findings import Confidence, Severity
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.taint_rule import taint_reports


class OpenRedirect(Rule):
    id = "SEC005"
    name = "open-redirect"
    family = "security"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = 601
    shares = "taint"
    fix_title = (
        "Redirect only to local paths (no scheme, no host, not `//`) or to hosts in an allow-list."
    )

    def check_project(self, context: Context) -> Iterable[Report]:
        return taint_reports(context, REDIRECT, "redirect to a URL built from {sources}")
