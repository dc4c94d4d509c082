"""CORS that trusts any origin: an arbitrary ``Origin`` is echoed back, with credentials allowed.

## What it does
Sends a preflight (``OPTIONS``) and a credentialed request from ``https://evil.example`` and
from the ``null`` origin. When the answer allows that origin and
``Access-Control-Allow-Credentials: true``, any web page can call the API with its visitors'
cookies (high). An arbitrary origin reflected without credentials is reported low.
``Access-Control-Allow-Origin: *`` without credentials, the usual setting of a public API,
is fine.

## Why is this bad?
A malicious site can read the responses of authenticated requests its visitors' browsers
make to the API: their data, their CSRF tokens.

## Example
```python
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
```

## Use instead
```python
app.add_middleware(
    CORSMiddleware, allow_origins=["https://app.example.com"], allow_credentials=True
)
```
"""

from __future__ import annotations

import httpx

from apismith.findings import Confidence, Severity
from apismith.probe.checks.base import Check, define
from apismith.probe.context import ProbeContext, finding
from apismith.probe.discover import order
from apismith.probe.requests import build_request, example_request

RULE = define(__doc__, "PRB008", "cors-any-origin", Severity.HIGH, Confidence.HIGH, 942)
ORIGINS = ("https://evil.example", "null")


def run(ctx: ProbeContext) -> None:
    """Ask one readable operation (the first that answered 2xx) from foreign origins."""
    candidates = [op for op in order(ctx.schema.operations) if op.method == "GET"]
    answered = [op for op in candidates if (a := ctx.anonymous.get(op)) is not None and a.ok]
    operations = (answered or candidates)[:1]
    for operation in operations:
        data = example_request(operation, 1, ctx.any_ids(operation))
        plain = build_request(ctx.channel.target.base_url, operation, data, ctx.user.headers)
        for origin in ORIGINS:
            preflight = httpx.Request(
                "OPTIONS",
                plain.url,
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "authorization",
                },
            )
            credentialed = httpx.Request(
                "GET", plain.url, headers={**plain.headers, "Origin": origin, "Cookie": "probe=1"}
            )
            for request in (preflight, credentialed):
                exchange = ctx.channel.send(request, operation, ctx.user.name)
                allowed = exchange.headers.get("access-control-allow-origin", "")
                credentials = exchange.headers.get("access-control-allow-credentials", "")
                if allowed != origin:
                    continue
                with_credentials = credentials.lower() == "true"
                ctx.report(
                    finding(
                        RULE,
                        exchange,
                        f"{operation.label} allows the origin {origin!r}"
                        + (" with credentials" if with_credentials else ""),
                        Severity.HIGH if with_credentials else Severity.LOW,
                    )
                )
                if with_credentials:
                    return


CHECK = Check(RULE, run)
