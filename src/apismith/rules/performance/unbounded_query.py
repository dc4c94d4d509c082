"""
## What it does
Finds `GET` path operations that return every row of a table: the list they return comes from
`db.query(M).all()`, `session.scalars(select(M)).all()`, `session.execute(stmt).scalars().all()`,
`session.exec(select(M)).all()`, `M.all()` (Tortoise, ormar), a raw `SELECT` without `LIMIT`,
or a MongoDB `find()` read to the end (`.to_list(None)`, `list(cursor)`, a comprehension over
it), with no `.limit()`,
`.first()` or pagination. A repository function that builds the list for
such a route is reported at its own query.

## Why is this bad?
The response grows with the table. Once the table is large, one request loads every row into
memory, serialises it and sends it, and a few concurrent calls exhaust the worker's memory or
the database (CWE-770).

## Known problems
Queries filtered on a parent (`where(Item.owner_id == owner_id)`, `find({"owner": ...})`) are
reported with low confidence: such lists are often small. Pagination done by another helper
the route calls, or through a custom response class, is not recognised.

## Example
```python
from fastapi import FastAPI
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

app = FastAPI()


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)


@app.get("/users")
def list_users(db: Session):
    return db.query(User).all()
```

## Use instead
```python
from typing import Annotated

from fastapi import FastAPI, Query
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

app = FastAPI()


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)


@app.get("/users")
def list_users(db: Session, offset: int = 0, limit: Annotated[int, Query(le=100)] = 50):
    return db.query(User).order_by(User.id).offset(offset).limit(limit).all()
```

## Fix safety
No automatic fix: adding a limit changes the API; add `offset`/`limit` (bounded with
`Query(le=...)`) or cursor parameters, or use `fastapi-pagination`.

## References
- https://docs.sqlalchemy.org/en/20/orm/queryguide/select.html#limit-offset
- https://uriyyo-fastapi-pagination.netlify.app/
- https://cwe.mitre.org/data/definitions/770.html
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

from apismith.analysis.blocking import (
    BlockingCalls,
    mapped_classes,
    own_nodes,
    short,
)
from apismith.analysis.queries import (
    LIMITS,
    Queries,
    returned_nodes,
)
from apismith.findings import Confidence, Severity
from apismith.project.constants import constant_str
from apismith.project.module import Function, Module
from apismith.project.routes import Route
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

RESULTS = frozenset({"all", "fetchall", "to_list"})
PAGINATION = "fastapi_pagination"
BOUNDED_SQL = re.compile(r"\b(LIMIT|WHERE|FETCH\s+FIRST|TOP|COUNT\s*\()", re.IGNORECASE)
MAX_DEPTH = 3


class UnboundedQuery(Rule):
    id = "PERF004"
    name = "unbounded-query"
    family = "performance"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 770
    fix_title = "Paginate: add bounded `limit`/`offset` parameters and apply `.limit()`."
    shares = "blocking"

    def check_project(self, context: Context) -> Iterable[Report]:
        models = mapped_classes(context.classes)
        finder = _Finder(context.blocking, Queries(context.project, models))
        for route in context.routes.routes:
            if route.method == "GET" and not finder.paginated(route):
                yield from finder.visit(route.module, route.handler, route, ())


class _Finder:
    def __init__(self, analysis: BlockingCalls, queries: Queries) -> None:
        self.analysis = analysis
        self.project = analysis.project
        self.queries = queries
        self.reported: set[int] = set()

    def paginated(self, route: Route) -> bool:
        """Whether the route uses fastapi-pagination (``Page[...]`` or ``paginate(...)``)."""
        handler = route.handler
        nodes: list[ast.AST] = [*own_nodes(handler)]
        for extra in (route.keyword("response_model"), handler.returns):
            if extra is not None:
                nodes.extend(walk(extra))
        return any(
            (self.project.resolve(route.module, node) or "").startswith(PAGINATION)
            for node in nodes
            if isinstance(node, ast.Name | ast.Attribute)
        )

    def visit(
        self, module: Module, function: Function, route: Route, via: tuple[str, ...]
    ) -> Iterator[Report]:
        """Unbounded queries whose rows ``function`` returns, here and in its helpers."""
        returned = returned_nodes(function)
        frame = self.analysis.frame(module, function)
        outer = {
            id(node.func.value): node
            for node in own_nodes(function)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        }
        for call in own_nodes(function):
            walked = _iterated(call) if isinstance(call, ast.expr) else None
            if walked is not None and id(call) in returned:
                found = _unbounded_find(walked, frame.single)
                if found is not None and id(found) not in self.reported:
                    self.reported.add(id(found))
                    filtered = bool(found.args) and not _empty(found.args[0])
                    low = Confidence.LOW if filtered else None
                    yield self._report(module, function, found, route, via, found, "document", low)
                yield from self._raw_rows(module, function, walked, route, via)
                continue
            if not isinstance(call, ast.Call) or id(call) not in returned:
                continue
            func = call.func
            documents = _document_cursor(call)
            found = _unbounded_find(documents, frame.single) if documents is not None else None
            if found is not None:
                if id(call) not in self.reported:
                    self.reported.add(id(call))
                    filtered = bool(found.args) and not _empty(found.args[0])
                    low = Confidence.LOW if filtered else None
                    yield self._report(module, function, found, route, via, call, "document", low)
                continue
            if documents is not None:
                yield from self._raw_rows(module, function, documents, route, via)
                continue
            if isinstance(func, ast.Attribute) and func.attr in RESULTS:
                if _limited_later(call, outer):
                    continue
                report = self._result(module, function, call, route, via)
                if report is not None:
                    yield report
                continue
            target = self.analysis.callee(frame, call)
            if target is not None and len(via) < MAX_DEPTH and target[1] is not function:
                yield from self.visit(target[0], target[1], route, (*via, target[1].name))

    def _result(
        self, module: Module, function: Function, call: ast.Call, route: Route, via: tuple[str, ...]
    ) -> Report | None:
        if id(call) in self.reported or (call.args or call.keywords):
            return None
        query = self.queries.unfold(module, function, call)
        node: ast.AST = call
        what: str | None = None
        if query is not None and query.model is not None and not query.limited:
            if _by_keys(query.calls):
                return None
            matching = "matching " if query.filtered else ""
            what = f"every {matching}`{query.model.rpartition('.')[2]}` row"
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "fetchall":
            execute = self._raw_select(module, function, call.func.value)
            if execute is not None:
                node, what = execute, "every row of an unbounded `SELECT`"
        if what is None:
            return None
        self.reported.add(id(call))
        return self._report(
            module,
            function,
            node,
            route,
            via,
            call,
            what,
            Confidence.LOW if query is not None and query.filtered else None,
        )

    def _raw_rows(
        self, module: Module, function: Function, rows: ast.expr, route: Route, via: tuple[str, ...]
    ) -> Iterator[Report]:
        """``list(cursor.execute("SELECT ..."))`` or a comprehension over it: every row."""
        execute = self._raw_select(module, function, rows)
        if execute is not None and id(execute) not in self.reported:
            self.reported.add(id(execute))
            what = "every row of an unbounded `SELECT`"
            yield self._report(module, function, execute, route, via, execute, what)

    @staticmethod
    def _report(
        module: Module,
        function: Function,
        node: ast.AST,
        route: Route,
        via: tuple[str, ...],
        call: ast.Call,
        what: str,
        confidence: Confidence | None = None,
    ) -> Report:
        where = f"{route.method} {route.path}"
        owner = f"`{via[-1]}`, called by {where}," if via else f"{where} (`{function.name}`)"
        if what == "document":
            what = "every matching document of a collection"
        return Report(
            module,
            node,
            f"{owner} returns {what}: `{short(call)}` has no limit or pagination",
            confidence=confidence,
        )

    def _raw_select(self, module: Module, function: Function, cursor: ast.expr) -> ast.Call | None:
        """The ``execute("SELECT ...")`` whose rows a ``fetchall()`` on ``cursor`` reads."""
        candidates: list[ast.Call] = []
        if isinstance(cursor, ast.Call):
            candidates.append(cursor)
        elif isinstance(cursor, ast.Name):
            candidates.extend(
                node
                for node in own_nodes(function)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == cursor.id
            )
        for candidate in candidates:
            func = candidate.func
            if not (isinstance(func, ast.Attribute) and func.attr == "execute" and candidate.args):
                continue
            statement = candidate.args[0]
            if isinstance(statement, ast.Call) and statement.args:
                statement = statement.args[0]
            sql = constant_str(self.project, module, statement)
            if sql and sql.lstrip().upper().startswith("SELECT") and not BOUNDED_SQL.search(sql):
                return candidate
        return None


def _document_cursor(call: ast.Call) -> ast.expr | None:
    """The cursor a call reads to the end: ``cursor.to_list(None)`` (Motor), ``list(cursor)``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "to_list":
        length = (
            call.args[0]
            if call.args
            else next((k.value for k in call.keywords if k.arg == "length"), None)
        )
        unbounded = length is None or (isinstance(length, ast.Constant) and length.value is None)
        return func.value if unbounded else None
    if isinstance(func, ast.Name) and func.id == "list" and len(call.args) == 1:
        return call.args[0]
    return None


def _unbounded_find(cursor: ast.expr, single: dict[str, ast.expr]) -> ast.Call | None:
    """The ``collection.find(...)`` without a limit that ``cursor`` iterates."""
    node: ast.expr | None = single.get(cursor.id) if isinstance(cursor, ast.Name) else cursor
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        attribute = node.func.attr
        if attribute in LIMITS:
            return None
        if attribute == "find":
            return node
        node = node.func.value
    return None


def _iterated(node: ast.expr) -> ast.expr | None:
    """What a returned comprehension walks: ``[dict(row) for row in cursor.execute(...)]``."""
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        return node.generators[0].iter
    return None


def _empty(query: ast.expr) -> bool:
    return isinstance(query, ast.Dict) and not query.keys


def _by_keys(calls: list[ast.Call]) -> bool:
    """Whether the query is restricted to keys the caller passes (``M.id.in_(ids)``), so its
    size is bounded by the input."""
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "in_"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name | ast.Attribute)
        for call in calls
        for argument in call.args
        for node in walk(argument)
    )


def _limited_later(call: ast.Call, outer: dict[int, ast.Call]) -> bool:
    """Whether a method applied to the result limits it (``Todo.all().limit(20)``)."""
    node = outer.get(id(call))
    while node is not None:
        if isinstance(node.func, ast.Attribute) and node.func.attr in LIMITS:
            return True
        node = outer.get(id(node))
    return False
