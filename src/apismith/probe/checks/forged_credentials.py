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
from apismith.probe.requests import absent_ids, example_request

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
            ids = absent_ids(operation)
        else:
            ids = ctx.ids_for(operation, user) if user is not None else {}
        request = example_request(operation, 1, ids)
        # Statuses that mean "refused": the anonymous one, 401/403, and whatever the
        # malformed credential (the first forgery) gets, such as a 400 for a bad header.
        refused = {ctx.anonymous[operation].status, 401, 403}
        for position, forgery in enumerate(forged):
            exchange = ctx.send(operation, request, Identity("forged", forgery.headers))
            status = exchange.status
            if status is None or status >= 500 or status == 429:
                continue
            if position == 0 and not reached_handler(operation, exchange):
                refused.add(status)
                continue
            if status not in refused:
                severity = Severity.CRITICAL if forgery.signature_flaw else Severity.HIGH
                ctx.report(
                    finding(
                        RULE,
                        exchange,
                        f"{operation.label} accepted {forgery.description} "
                        f"(answered {status}; without credentials it answers "
                        f"{ctx.anonymous[operation].status})",
                        severity,
                    )
                )
                break


CHECK = Check(RULE, run)
