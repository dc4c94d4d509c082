"""Cookie without Secure: a cookie the browser also sends over plain http.

## What it does
Reports each cookie the API sets without the ``Secure`` attribute: low for a target
served over http (on this machine), medium for an https one.

## Why is this bad?
A cookie without ``Secure`` travels over any plain-http request to the host, where anyone
on the network path can read it.

## Example
```python
response.set_cookie("session", token, httponly=True)
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

RULE = define(__doc__, "PRB011", "cookie-without-secure", Severity.LOW, Confidence.HIGH, 614)


def run(ctx: ProbeContext) -> None:
    """Report cookies set without Secure."""
    https = ctx.channel.target.base_url.startswith("https://")
    for cookie in cookies(ctx):
        if "secure" not in cookie.attributes:
            report_cookie(ctx, RULE, cookie, "Secure", Severity.MEDIUM if https else Severity.LOW)


CHECK = Check(RULE, run)
