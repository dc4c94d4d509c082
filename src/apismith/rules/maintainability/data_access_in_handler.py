"""
## What it does
Finds path operation handlers that talk to the database themselves: four or more queries and
writes on a session (`execute`, `query`, `get`, `scalars`, `add`, `delete` ...) on one path
through the handler's body, or a body of more than 40 statements that uses a session.
Transaction bookkeeping (`commit`, `flush`, `refresh`, `rollback`) is not counted, and the two
branches of an `if` count as one path.

## Why is this bad?
The handler mixes HTTP concerns (parameters, status codes, response shape) with queries and
transaction handling. The queries cannot be reused by another endpoint, a worker or a CLI
command, cannot be tested without an HTTP client, and transaction boundaries end up scattered
across handlers.

## Known problems
The count is a heuristic: a handler with four trivial queries is reported, a handler calling a
helper that runs forty queries is not. Queries inside nested functions are not counted.

## Example
```python
from fastapi import FastAPI, HTTPException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.models import Order, OrderLine, Product

app = FastAPI()


@app.post("/orders/{order_id}/lines")
def add_line(order_id: int, product_id: int, db: Session):
    order = db.get(Order, order_id)
    product = db.get(Product, product_id)
    if order is None or product is None:
        raise HTTPException(404)
    lines = db.scalar(select(func.count(OrderLine.id)).where(OrderLine.order_id == order_id))
    if lines >= 50:
        raise HTTPException(409, "order is full")
    db.add(OrderLine(order_id=order_id, product_id=product_id))
    db.commit()
    return {"lines": lines + 1}
```

## Use instead
```python
from fastapi import FastAPI
from sqlalchemy.orm import Session

app = FastAPI()


class OrderService:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add_item(self, order_id: int, product_id: int) -> None: ...


@app.post("/orders/{order_id}/items")
def add_item(order_id: int, product_id: int, db: Session):
    OrderService(db).add_item(order_id, product_id)
    return {"ok": True}
```

## Fix safety
No automatic fix: moving queries into a service or repository is a refactoring.

## References
- https://fastapi.tiangolo.com/tutorial/bigger-applications/
- https://martinfowler.com/eaaCatalog/repository.html
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.analysis.blocking import own_nodes
from apismith.findings import Confidence, Severity
from apismith.project.routes import Route
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.correctness.create_returns_200 import is_session_type, session_names

_OPERATIONS = """
    execute query add add_all delete get get_one scalars scalar exec merge bulk_save_objects
"""
OPERATIONS = frozenset(_OPERATIONS.split())
MANY_CALLS = 4
MANY_STATEMENTS = 40


class DataAccessInHandler(Rule):
    id = "MNT003"
    name = "data-access-in-handler"
    family = "maintainability"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    fix_title = "Move the queries into a service or repository function the handler calls."

    def check_project(self, context: Context) -> Iterable[Report]:
        for route in context.declared_routes():
            calls, statements = _measure(context, route)
            if calls >= MANY_CALLS or (calls and statements > MANY_STATEMENTS):
                size = f"{calls} database calls" + (
                    f" in {statements} statements" if statements > MANY_STATEMENTS else ""
                )
                yield Report(
                    route.module,
                    route.operation.decorator,
                    f"`{route.method} {route.path}` (`{route.handler.name}`) makes {size} "
                    "directly in the handler",
                )


def _measure(context: Context, route: Route) -> tuple[int, int]:
    """Queries and writes on the likeliest path through the handler, and its statement count."""
    sessions = session_names(context, route)
    types = context.project.scope(route.handler).types
    sessions |= {name for name, type_name in types.items() if is_session_type(type_name)}
    statements = sum(isinstance(node, ast.stmt) for node in own_nodes(route.handler))
    return _Counter(sessions).block(route.handler.body), statements


class _Counter:
    """Counts session calls along the most expensive path: branches count once, not summed."""

    def __init__(self, sessions: set[str]) -> None:
        self.sessions = sessions

    def block(self, body: list[ast.stmt]) -> int:
        return sum(self.statement(statement) for statement in body)

    def statement(self, node: ast.stmt) -> int:
        if isinstance(node, ast.If):
            return self.calls(node.test) + max(self.block(node.body), self.block(node.orelse))
        if isinstance(node, ast.Try | ast.TryStar):
            handlers = [self.block(h.body) for h in node.handlers]
            tail = self.block(node.orelse) + self.block(node.finalbody)
            return self.block(node.body) + max(handlers, default=0) + tail
        if isinstance(node, ast.Match):
            return self.calls(node.subject) + max(
                (self.block(case.body) for case in node.cases), default=0
            )
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            head = node.iter if isinstance(node, ast.For | ast.AsyncFor) else node.test
            return self.calls(head) + self.block(node.body) + self.block(node.orelse)
        if isinstance(node, ast.With | ast.AsyncWith):
            items = sum(self.calls(item.context_expr) for item in node.items)
            return items + self.block(node.body)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return 0
        return self.calls(node)

    def calls(self, node: ast.AST) -> int:
        return sum(
            1
            for child in walk(node)
            if isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and child.func.attr in OPERATIONS
            and isinstance(child.func.value, ast.Name)
            and child.func.value.id in self.sessions
        )
