"""Cookie without HttpOnly: a cookie that page scripts can read.

## What it does
Reports each cookie the API sets (``Set-Cookie`` on any answer of the run, deletions left
out) without the ``HttpOnly`` attribute.

## Why is this bad?
Any script on the page, including one injected through an XSS, can read the cookie and
send the session it carries to an attacker.

## Example
```python
response.set_cookie("session", token)
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

RULE = define(__doc__, "PRB010", "cookie-without-httponly", Severity.MEDIUM, Confidence.HIGH, 1004)


def run(ctx: ProbeContext) -> None:
    """Report cookies set without HttpOnly."""
    for cookie in cookies(ctx):
        if "httponly" not in cookie.attributes:
            report_cookie(ctx, RULE, cookie, "HttpOnly")


CHECK = Check(RULE, run)
