"""The first pass: every operation called once anonymously and once per identity.

Lists and creations run before the operations on one object, so that those can be called
with ids that exist; ``DELETE`` runs only anonymously, on an id that does not exist.
"""

from __future__ import annotations

from apismith.dynamic.schema import Operation
from apismith.probe.context import ProbeContext
from apismith.probe.requests import absent_ids, example_request

ANONYMOUS_VARIANT = 7


def order(operations: tuple[Operation, ...] | list[Operation]) -> list[Operation]:
    """Lists, creations, reads of one object, then updates, level by level; deletions last.

    A level is the number of path parameters, so that ``/projects/{id}/tasks`` is created
    in a project that exists before ``/projects/{id}/tasks/{task_id}`` is read.
    """

    def rank(operation: Operation) -> tuple[bool, int, int, str]:
        has_id = bool(operation.params("path"))
        method = operation.method
        if method == "DELETE":
            step = 5
        elif method in ("PUT", "PATCH"):
            step = 4
        elif method == "POST":
            step = 3 if has_id else 1
        else:
            step = 2 if has_id else 0
        return method == "DELETE", len(operation.params("path")), step, operation.path

    return sorted(operations, key=rank)


def discover(ctx: ProbeContext) -> None:
    """Call each operation as nobody and as each identity; remember the ids seen."""
    for operation in order(ctx.schema.operations):
        for index, identity in enumerate(ctx.identities):
            if operation.method == "DELETE":
                continue
            data = example_request(operation, index + 1, ctx.ids_for(operation, identity))
            exchange = ctx.send(operation, data, identity)
            ctx.baseline[operation, identity.name] = exchange
            if exchange.ok:
                ctx.remember_ids(operation, identity, exchange.json())
        ids = absent_ids(operation) if operation.method == "DELETE" else ctx.any_ids(operation)
        exchange = ctx.send(operation, example_request(operation, ANONYMOUS_VARIANT, ids))
        ctx.anonymous[operation] = exchange
