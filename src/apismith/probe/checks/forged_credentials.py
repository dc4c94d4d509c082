"""Forged credentials accepted: a malformed, tampered, unsigned or expired token lets the caller in.

## What it does
Calls each operation that refuses anonymous callers with credentials that must be refused:
a malformed token, the given token with its signature altered, an unsigned copy
(``alg: none``), an expired copy, and copies signed with keys from tutorials (``secret``).
Without ``--auth`` it forges bearer tokens from scratch. An operation whose handler runs
with one of them is reported.

## Why is this bad?
Authentication that does not verify the signature, the algorithm or the expiry of a token
lets anyone impersonate any user by writing the token themselves.

## Example
```python
claims = jwt.decode(token, options={"verify_signature": False})
```

## Use instead
```python
claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])  # checks signature and exp
```
"""

from __future__ import annotations

from apismith.findings import Confidence, Severity
from apismith.probe.checks.base import Check, define
from apismith.probe.context import ProbeContext, denied, finding, reached_handler
from apismith.probe.identities import Identity, forgeries
from apismith.probe.requests import ABSENT_ID, example_request

RULE = define(__doc__, "PRB005", "forged-credentials-accepted", Severity.HIGH, Confidence.HIGH, 287)
MAX_OPERATIONS = 12


def run(ctx: ProbeContext) -> None:
    """Replay refused operations with forged credentials."""
    user = ctx.identities[0] if ctx.identities else None
    candidates = [
        op
        for op, exchange in ctx.anonymous.items()
        if denied(exchange)
        and (user is None or not denied(ctx.baseline.get((op, user.name), exchange)))
    ]
    forged = forgeries(user)
    for operation in candidates[:MAX_OPERATIONS]:
        if operation.method == "DELETE":
            ids = {p.name: ABSENT_ID for p in operation.params("path")}
        else:
            ids = ctx.ids_for(operation, user) if user is not None else {}
        request = example_request(operation, 1, ids)
        for forgery in forged:
            exchange = ctx.send(operation, request, Identity("forged", forgery.headers))
            if reached_handler(operation, exchange):
                severity = Severity.CRITICAL if forgery.signature_flaw else Severity.HIGH
                ctx.report(
                    finding(
                        RULE,
                        exchange,
                        f"{operation.label} accepted {forgery.description} "
                        f"(answered {exchange.status})",
                        severity,
                    )
                )
                break


CHECK = Check(RULE, run)
