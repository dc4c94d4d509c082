"""No rate limiting on sign-in, sign-up or account recovery: a burst of attempts is never slowed.

## What it does
Sends a bounded burst of up to 60 requests (wrong passwords, new accounts, reset requests) to each
sign-in, sign-up, token and password-reset operation. When none of them, nor any earlier
request of the run to that operation, is answered 429 (or carries ``Retry-After``), the
operation is reported: medium for sign-in, token and reset operations, low for sign-up.

## Why is this bad?
Without a limit an attacker can try passwords by the thousand (credential stuffing, brute
force), create accounts in bulk, or flood users with reset emails.

## Example
```python
@app.post("/login")
def login(form: OAuth2PasswordRequestForm = Depends()): ...
```

## Use instead
```python
@app.post("/login")
@limiter.limit("5/minute")
def login(request: Request, form: OAuth2PasswordRequestForm = Depends()): ...
```
"""

from __future__ import annotations

import re

from apismith.dynamic.schema import Operation
from apismith.findings import Confidence, Severity
from apismith.probe.channel import Exchange
from apismith.probe.checks.base import Check, define
from apismith.probe.context import ProbeContext, finding
from apismith.probe.requests import example_request

RULE = define(__doc__, "PRB013", "no-rate-limit", Severity.MEDIUM, Confidence.MEDIUM, 307)
BURST = 60  # limits of 30 or 50 a minute are common on sign-in
SENSITIVE = re.compile(
    r"(?i)(log-?in|sign-?(in|up)|regist|token$|passw|forgot|reset|otp|verify|session)"
)
SIGN_UP = re.compile(r"(?i)(sign-?up|regist)")
REFRESH = re.compile(r"(?i)refresh")


def sensitive(operation: Operation) -> bool:
    """POST operations that take credentials or create accounts."""
    return (
        operation.method == "POST"
        and bool(SENSITIVE.search(operation.path))
        and not REFRESH.search(operation.path)
    )


def limited(exchange: Exchange) -> bool:
    """A 429, or any answer asking the client to wait."""
    return exchange.status == 429 or "retry-after" in exchange.headers


def run(ctx: ProbeContext) -> None:
    """Burst each sensitive operation until it answers 429 or the burst ends."""
    for operation in [op for op in ctx.schema.operations if sensitive(op)]:
        seen = [e for e in ctx.channel.exchanges if e.operation == operation]
        if any(limited(e) for e in seen):
            continue
        last = None
        for attempt in range(BURST):
            data = example_request(operation, 100 + attempt)
            last = ctx.send(operation, data)
            if limited(last):
                break
        else:
            if last is not None:
                # Unlimited sign-ups cost spam accounts; unlimited sign-ins cost accounts.
                severity = Severity.LOW if SIGN_UP.search(operation.path) else None
                message = f"{operation.label} answered {BURST} requests in a burst without a 429"
                ctx.report(finding(RULE, last, message, severity))


CHECK = Check(RULE, run)
