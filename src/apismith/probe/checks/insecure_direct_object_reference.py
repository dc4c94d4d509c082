"""Insecure direct object reference: one user reads or changes another user's object by its id.

## What it does
Needs two identities (``--auth`` twice). Collects the ids each one sees in list responses and
gets back from create responses, then calls every operation on one object (``/items/{id}``)
with the other identity. A change (PUT, PATCH, DELETE) that succeeds on the other user's
object is reported; so is a read, when the object is private: the other user's own list does
not show it (or the API has no list to show it).

## Why is this bad?
Ids are easy to guess or enumerate. When the handler fetches the object by id without
checking that it belongs to the caller, every user can read and change every other user's
data.

## Example
```python
@app.get("/notes/{note_id}")
def read_note(note_id: int, user=Depends(current_user), db=Depends(get_db)):
    return db.get(Note, note_id)
```

## Use instead
```python
@app.get("/notes/{note_id}")
def read_note(note_id: int, user=Depends(current_user), db=Depends(get_db)):
    note = db.get(Note, note_id)
    if note is None or note.owner_id != user.id:
        raise HTTPException(404)
    return note
```
"""

from __future__ import annotations

from apismith.dynamic.schema import Operation
from apismith.findings import Confidence, Severity
from apismith.probe.checks.base import Check, define
from apismith.probe.context import ProbeContext, finding, ids_in, path_resources
from apismith.probe.discover import order
from apismith.probe.identities import Identity
from apismith.probe.requests import example_request

RULE = define(
    __doc__, "PRB006", "insecure-direct-object-reference", Severity.HIGH, Confidence.MEDIUM, 639
)


def run(ctx: ProbeContext) -> None:
    """Try each identity's objects with the other identity."""
    if len(ctx.identities) < 2:
        return
    first, second = ctx.identities[:2]
    for operation in order(ctx.schema.operations):
        resources = path_resources(operation.path)
        if len(resources) != 1 or len(operation.params("path")) != 1:
            continue
        for owner, other in ((first, second), (second, first)):
            if _probe(ctx, operation, owner, other):
                break


def _probe(ctx: ProbeContext, operation: Operation, owner: Identity, other: Identity) -> bool:
    ((name, resource),) = path_resources(operation.path).items()
    mine = ctx.owned.get(resource, {}).get(owner.name, [])
    mine = mine + ctx.visible.get(resource, {}).get(owner.name, [])
    theirs = {str(i) for i in ctx.owned.get(resource, {}).get(other.name, [])}
    foreign = [i for i in dict.fromkeys(mine) if str(i) not in theirs]
    if not foreign:
        return False
    if not operation.mutating:
        shown = _listed(ctx, resource, other)
        if shown is None:
            return False
        foreign = [i for i in foreign if str(i) not in shown]
        if not foreign:
            return False  # the other user's own list shows the object: it is shared
    data = example_request(operation, 2, {name: foreign[0]})
    if not operation.mutating and not ctx.send(operation, data, owner).ok:
        return False
    exchange = ctx.send(operation, data, other)
    if not exchange.ok:
        return False
    verb = "changed" if operation.mutating else "read"
    ctx.report(
        finding(
            RULE,
            exchange,
            f"{operation.label}: {other.name} {verb} {owner.name}'s object "
            f"{name}={foreign[0]} (answered {exchange.status})",
        )
    )
    return True


def _listed(ctx: ProbeContext, resource: str, identity: Identity) -> set[str] | None:
    """The ids the collection's list shows ``identity`` now; empty without a list; None on error."""
    lists = [
        op
        for op in ctx.schema.operations
        if op.method == "GET"
        and not op.params("path")
        and op.path.rstrip("/").rsplit("/", 1)[-1] == resource
    ]
    if not lists:
        return set()
    exchange = ctx.send(lists[0], example_request(lists[0]), identity)
    if not exchange.ok:
        return None
    return {str(i) for i in ids_in(exchange.json(), resource)}


CHECK = Check(RULE, run)
