"""Missing authentication: an operation that serves anonymous callers while its peers refuse them.

## What it does
Calls every operation without credentials. When other operations of the API answer 401/403
to an anonymous caller, an operation whose handler runs anyway (a 2xx, or a 404 for an
object that does not exist) is reported when it changes state (high; also when it declares
a security scheme that it does not enforce), and for a read when another read of the same
collection requires authentication, or when its path is privileged (``/admin``, ``/internal``,
``/export``; medium). Sign-in, sign-up, account recovery and health
operations are public by design and are left out; so are reads of an API whose reads are
all public (a catalogue).

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
        why = _why(operation, protected, protected_reads)
        if why is None:
            continue
        severity = Severity.HIGH if operation.mutating else Severity.MEDIUM
        ctx.report(
            finding(
                RULE,
                exchange,
                f"{operation.label} answered {exchange.status} without credentials, {why}",
                severity,
            )
        )


def _why(
    operation: Operation, protected: list[Operation], protected_reads: set[str | None]
) -> str | None:
    if operation.mutating and operation.security:
        return f"although it declares {', '.join(operation.security)}"
    if operation.mutating and PUBLIC_BY_DESIGN.search(operation.path):
        return None
    if protected and PRIVILEGED.search(operation.path):
        return (
            f"while {len(protected)} other operation(s) answer 401/403 and its path is privileged"
        )
    if operation.mutating and protected:
        return (
            f"while {len(protected)} other operation(s) answer 401/403 (e.g. {protected[0].label})"
        )
    if resource_of(operation.path) in protected_reads:
        peer = next(
            op
            for op in protected
            if not op.mutating and resource_of(op.path) == resource_of(operation.path)
        )
        return f"while {peer.label} requires authentication"
    return None


CHECK = Check(RULE, run)
