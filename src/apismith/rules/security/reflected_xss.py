"""
## What it does
Finds HTML built from what a client sent without escaping: the content of an
`HTMLResponse`, of a `Response(media_type="text/html")`, of `markupsafe.Markup(...)`, or the
string a path operation declared with `response_class=HTMLResponse` returns. The flow is
followed through f-strings, `%`, `.format()`, concatenation, dependencies and the project's
own helpers; `html.escape()`, `markupsafe.escape()` and `bleach.clean()` make a value safe.

## Why is this bad?
A link carrying `<script>` runs the attacker's script in the victim's browser on the API's
origin: it reads cookies and tokens and acts as the user (reflected cross-site scripting,
CWE-79).

## Known problems
Values validated by hand (a regular expression, an allow-list) are still reported; suppress
with `# apismith: ignore[SEC007]` after checking. Jinja2 templates rendered with
autoescaping are not reported.

## Example
```python
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


@app.get("/hello")
def hello(name: str):
    return HTMLResponse(f"<h1>Hello {name}!</h1>")
```

## Use instead
```python
import html

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


@app.get("/hello")
def hello(name: str):
    return HTMLResponse(f"<h1>Hello {html.escape(name)}!</h1>")
```

## Fix safety
No automatic fix: escape each value with `html.escape()`, or render an autoescaping
template.

## References
- https://cwe.mitre.org/data/definitions/79.html
- https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

from collections.abc import Iterable

from apismith.analysis.sinks import HTML
from apismith.findings import Confidence, Severity
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.taint_rule import taint_reports


class ReflectedXss(Rule):
    id = "SEC007"
    name = "reflected-xss"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 79
    shares = "taint"
    fix_title = (
        "Escape client values with `html.escape()` before putting them in HTML, or render "
        "an autoescaping template."
    )

    def check_project(self, context: Context) -> Iterable[Report]:
        return taint_reports(context, HTML, "HTML built from {sources} without escaping")
