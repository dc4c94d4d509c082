"""Insecure direct object reference: one user reads or changes another user's object by its id.

## What it does
Needs two identities (``--auth`` twice). Collects the ids each one sees in list responses and
gets back from create responses, then calls every operation on one object (``/items/{id}``)
with the other identity. A change (PUT, PATCH, DELETE) that succeeds on the other user's
object is reported; so is a read, when the object is private: the other user's own list does
not show it, or, for a nested object (``/projects/{project_id}/tasks/{task_id}``), the other
user may not list the parent's objects nor read the parent. A read the API offers no list or
parent to judge by is reported at low severity.

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

from dataclasses import replace
from typing import Any

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
        if not resources or len(resources) != len(operation.params("path")):
            continue
        for owner, other in ((first, second), (second, first)):
            if _probe(ctx, operation, owner, other):
                break


def _probe(ctx: ProbeContext, operation: Operation, owner: Identity, other: Identity) -> bool:
    name, resource = list(path_resources(operation.path).items())[-1]
    mine = ctx.owned.get(resource, {}).get(owner.name, [])
    mine = mine + ctx.visible.get(resource, {}).get(owner.name, [])
    theirs = {str(i) for i in ctx.owned.get(resource, {}).get(other.name, [])}
    foreign = [i for i in dict.fromkeys(mine) if str(i) not in theirs]
    ids = ctx.ids_for(operation, owner)
    if not foreign or len(ids) != len(operation.params("path")):
        return False
    ids[name] = foreign[0]
    data = example_request(operation, 2, ids)
    shared: bool | None = False
    if not operation.mutating:
        if not ctx.send(operation, data, owner).ok:
            return False
        shared = _shared(ctx, operation, ids, name, other)
        if shared:
            return False
    exchange = ctx.send(operation, data, other)
    if not exchange.ok:
        return False
    verb = "changed" if operation.mutating else "read"
    where = ", ".join(f"{key}={value}" for key, value in ids.items())
    unsure = " (no list or parent object shows whether it is shared)" if shared is None else ""
    ctx.report(
        finding(
            RULE,
            exchange,
            f"{operation.label}: {other.name} {verb} {owner.name}'s object "
            f"{where} (answered {exchange.status}){unsure}",
            Severity.LOW if shared is None else None,
        )
    )
    return True


def _shared(
    ctx: ProbeContext, operation: Operation, ids: dict[str, Any], name: str, other: Identity
) -> bool | None:
    """Whether ``other`` may see the object: its list shows it, or it may read the parent.

    None when the API offers neither a list nor a parent object to tell.
    """
    segments = operation.path.strip("/").split("/")
    at = segments.index(f"{{{name}}}")
    collection, parent = "/" + "/".join(segments[:at]), "/" + "/".join(segments[: at - 1])
    nested = len(ids) > 1
    for path in (collection, parent if nested else None):
        peer = next(
            (op for op in ctx.schema.operations if (op.method, op.path) == ("GET", path)), None
        )
        if peer is None:
            continue
        data = example_request(peer, 2, ids)
        # Optional filters left out: the plainest list shows the most.
        required = {p.name for p in peer.params("query") if p.required}
        data = replace(data, query={k: v for k, v in data.query.items() if k in required})
        exchange = ctx.send(peer, data, other)
        if exchange.ok:
            return path == parent or str(ids[name]) in {
                str(i) for i in ids_in(exchange.json(), segments[at - 1])
            }
        # Refused the list or the parent of a nested object: the parent is not shared.
        return not (nested and exchange.status in (401, 403, 404))
    return None


CHECK = Check(RULE, run)
