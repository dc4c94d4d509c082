"""Missing authentication: an operation that serves anonymous callers while its peers refuse them.

## What it does
Calls every operation without credentials. When other operations of the API answer 401/403
to an anonymous caller, an operation whose handler runs anyway (a 2xx, or a 404 for an
object that does not exist) is reported: high when it changes state (or declares a security
scheme it does not enforce); medium for a read when another read of the same collection
requires authentication or when its path is privileged (``/admin``, ``/internal``,
``/export``); low for any other read, to be confirmed as public by design (a catalogue).
Sign-in, sign-up, account recovery, health, contact and webhook operations are public by
design and are left out.

## Why is this bad?
Anyone can call it: create, change or delete data, or read what only users should see.
FastAPI applies no authentication by default; it is easy to forget the dependency on one
route.

## Example
```python
@app.delete("/items/{item_id}")
def delete_item(item_id: int, db: Session = Depends(get_db)): ...
```

## Use instead
```python
@app.delete("/items/{item_id}")
def delete_item(item_id: int, user: User = Depends(current_user), db=Depends(get_db)): ...
```
"""

from __future__ import annotations

import re

from apismith.dynamic.schema import Operation
from apismith.findings import Confidence, Severity
from apismith.probe.checks.base import Check, define
from apismith.probe.context import (
    ProbeContext,
    denied,
    finding,
    is_auth_flow,
    is_public_by_nature,
    reached_handler,
    resource_of,
)

# Mutations anyone may send (a contact form, a webhook signed by its sender, a search).
PUBLIC_BY_DESIGN = re.compile(
    r"(?i)(webhook|contact|feedback|subscribe|newsletter|search|graphql|callback|telemetry)"
)
# Paths whose data is never for anonymous callers.
PRIVILEGED = re.compile(
    r"(?i)(^|/)(admin|internal|debug|export|backup|dump|secrets?|private|config|settings|"
    r"logs?|audit|metrics-private)(/|$|_|-)"
)
RULE = define(__doc__, "PRB004", "missing-authentication", Severity.HIGH, Confidence.MEDIUM, 306)


def run(ctx: ProbeContext) -> None:
    """Compare each operation's anonymous answer with its peers'."""
    relevant = {
        op: exchange
        for op, exchange in ctx.anonymous.items()
        if not is_auth_flow(op) and not is_public_by_nature(op)
    }
    protected = [op for op, exchange in relevant.items() if denied(exchange)]
    protected_reads = {resource_of(op.path) for op in protected if not op.mutating}
    for operation, exchange in relevant.items():
        if not reached_handler(operation, exchange):
            continue
        verdict = _verdict(operation, protected, protected_reads)
        if verdict is None and protected and exchange.ok and not operation.mutating:
            verdict = (
                f"while {len(protected)} other operation(s) require authentication; "
                "make sure it is meant to be public",
                Severity.LOW,
            )
        if verdict is None:
            continue
        why, severity = verdict
        ctx.report(
            finding(
                RULE,
                exchange,
                f"{operation.label} answered {exchange.status} without credentials, {why}",
                severity,
            )
        )


def _verdict(
    operation: Operation, protected: list[Operation], protected_reads: set[str | None]
) -> tuple[str, Severity] | None:
    severity = Severity.HIGH if operation.mutating else Severity.MEDIUM
    if operation.mutating and operation.security:
        return f"although it declares {', '.join(operation.security)}", severity
    if operation.mutating and PUBLIC_BY_DESIGN.search(operation.path):
        return None
    if protected and PRIVILEGED.search(operation.path):
        count = len(protected)
        return f"while {count} other operation(s) answer 401/403; its path is privileged", severity
    if operation.mutating and protected:
        example = protected[0].label
        return (
            f"while {len(protected)} other operation(s) answer 401/403 (e.g. {example})",
            severity,
        )
    if resource_of(operation.path) in protected_reads:
        peer = next(
            op
            for op in protected
            if not op.mutating and resource_of(op.path) == resource_of(operation.path)
        )
        return f"while {peer.label} requires authentication", severity
    return None


CHECK = Check(RULE, run)
