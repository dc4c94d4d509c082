"""Cookie without SameSite: a cookie whose cross-site use is left to the browser's default.

## What it does
Reports each cookie the API sets without a ``SameSite`` attribute, or with
``SameSite=None``.

## Why is this bad?
A cookie sent on cross-site requests lets other sites make authenticated requests on the
user's behalf (CSRF); older browsers send cookies without ``SameSite`` on every request.

## Example
```python
response.set_cookie("session", token, httponly=True, secure=True, samesite=None)
```

## Use instead
```python
response.set_cookie("session", token, httponly=True, secure=True, samesite="lax")
```
"""

from __future__ import annotations

from apismith.findings import Confidence, Severity
from apismith.probe.checks.base import Check, define
from apismith.probe.checks.cookies import cookies, report_cookie
from apismith.probe.context import ProbeContext

RULE = define(__doc__, "PRB012", "cookie-without-samesite", Severity.LOW, Confidence.HIGH, 1275)


def run(ctx: ProbeContext) -> None:
    """Report cookies set without SameSite Lax or Strict."""
    for cookie in cookies(ctx):
        if cookie.samesite not in ("lax", "strict"):
            report_cookie(ctx, RULE, cookie, "SameSite=Lax or Strict")


CHECK = Check(RULE, run)
