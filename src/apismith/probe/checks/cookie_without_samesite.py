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
from apismith.probe.checks.cookies import cookies
from apismith.probe.context import ProbeContext, finding

RULE = define(__doc__, "PRB012", "cookie-without-samesite", Severity.LOW, Confidence.HIGH, 1275)


def run(ctx: ProbeContext) -> None:
    """Report cookies set without SameSite Lax or Strict."""
    for cookie in cookies(ctx):
        if cookie.samesite in ("lax", "strict"):
            continue
        exchange = cookie.exchange
        label = exchange.operation.label if exchange.operation else exchange.request.method
        ctx.report(
            finding(
                RULE,
                exchange,
                f"{label} sets the cookie {cookie.name!r} without SameSite=Lax or Strict",
                excerpt="\n".join(exchange.headers.get_list("set-cookie")),
            )
        )


CHECK = Check(RULE, run, passive=True)
