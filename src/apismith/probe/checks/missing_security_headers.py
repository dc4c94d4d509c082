"""Missing security headers: answers without the headers that tell browsers to be careful.

## What it does
Looks at the successful answers of the run for ``X-Content-Type-Options: nosniff``,
protection against framing (``X-Frame-Options`` or a ``Content-Security-Policy`` with
``frame-ancestors``), a ``Content-Security-Policy``, and, for an https target,
``Strict-Transport-Security``. Reported once, at the first operation that lacks them.

## Why is this bad?
Without them a browser may sniff a JSON answer as HTML and run script in it, let another
site frame the API's pages (clickjacking), or fall back to plain http.

## Example
```python
app = FastAPI()
```

## Use instead
```python
@app.middleware("http")
async def security_headers(request, call_next):
    response = await call_next(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response
```
"""

from __future__ import annotations

import httpx

from apismith.findings import Confidence, Severity
from apismith.probe.checks.base import Check, define
from apismith.probe.context import ProbeContext, finding

RULE = define(__doc__, "PRB007", "missing-security-headers", Severity.LOW, Confidence.HIGH, 693)


def missing(headers: httpx.Headers, https: bool) -> list[str]:
    """The protective headers ``headers`` lacks."""
    policy = headers.get("content-security-policy", "")
    absent = []
    if headers.get("x-content-type-options", "").lower() != "nosniff":
        absent.append("X-Content-Type-Options: nosniff")
    if "x-frame-options" not in headers and "frame-ancestors" not in policy:
        absent.append("X-Frame-Options")
    if not policy:
        absent.append("Content-Security-Policy")
    if https and "strict-transport-security" not in headers:
        absent.append("Strict-Transport-Security")
    return absent


def run(ctx: ProbeContext) -> None:
    """Report the first successful answer that lacks protective headers."""
    https = ctx.channel.target.base_url.startswith("https://")
    for exchange in ctx.channel.exchanges:
        if exchange.operation is None or not exchange.ok:
            continue
        absent = missing(exchange.headers, https)
        if absent:
            ctx.report(
                finding(
                    RULE,
                    exchange,
                    f"{exchange.operation.label} answered without {', '.join(absent)}",
                    excerpt="\n".join(f"{k}: {v}" for k, v in exchange.headers.items()),
                )
            )
            return


CHECK = Check(RULE, run)
