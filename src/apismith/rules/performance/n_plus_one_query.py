"""
## What it does
Finds loops (and comprehensions) over the results of an ORM query that read a lazily loaded
relationship of each row: `for user in db.query(User).all(): user.items`. The query may be
written with `db.query(M)`, `session.scalars(select(M))`, `session.execute(stmt).scalars()`
or `session.exec(select(M))`, assigned to a variable first, or returned by a project function
annotated `-> list[M]` / `Sequence[M]`. Rows handed one by one to a pydantic model with a
field for a lazy relationship (`UserOut.model_validate(user)`, `from_orm`) count as reads too,
and a route returning such rows through a `list[...]` response model that has a field for a
lazy relationship is reported at the query.

## Why is this bad?
Each read of an unloaded relationship runs one more query: a page of 100 users costs 101
round trips to the database (CWE-1073). Latency grows with the data, and the database does
far more work than one query with a join or an `IN` would.

## Known problems
Relationships read while a response model serialises the rows are only seen when the route
declares a `list[...]` response whose model has a field named like the relationship.
Options built in another function (`.options(*opts)`) are assumed to load everything. With an
`AsyncSession` a lazy read raises instead of querying, so only `awaitable_attrs` reads are
reported there.

## Example
```python
from fastapi import FastAPI
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

app = FastAPI()


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    items: Mapped[list["Item"]] = relationship()


@app.get("/users")
def item_counts(db: Session):
    return {user.id: len(user.items) for user in db.query(User).all()}
```

## Use instead
```python
from fastapi import FastAPI
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.orm import selectinload

app = FastAPI()


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    items: Mapped[list["Item"]] = relationship()


@app.get("/users")
def item_counts(db: Session):
    users = db.query(User).options(selectinload(User.items)).all()
    return {user.id: len(user.items) for user in users}
```

## Fix safety
No automatic fix: choose `selectinload` (collections) or `joinedload` (many-to-one) for the
query, or declare the relationship with `lazy="selectin"`.

## References
- https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html
- https://cwe.mitre.org/data/definitions/1073.html
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from apismith.analysis.blocking import (
    BlockingCalls,
    mapped_classes,
    offline,
    own_nodes,
    short,
)
from apismith.analysis.queries import (
    Loop,
    Queries,
    Query,
    loops,
    returned_nodes,
)
from apismith.findings import Confidence, Severity
from apismith.project.classes import ClassInfo
from apismith.project.module import Function, Module
from apismith.project.routes import Route
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

LAZY = frozenset({"select", "dynamic"})
VALIDATORS = frozenset({"model_validate", "from_orm", "parse_obj", "validate"})
MAX_DEPTH = 3
COLLECTIONS = frozenset(
    {
        "list",
        "typing.List",
        "typing.Sequence",
        "collections.abc.Sequence",
        "typing.Iterable",
        "collections.abc.Iterable",
    }
)


class NPlusOneQuery(Rule):
    id = "PERF002"
    name = "n-plus-one-query"
    family = "performance"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 1073
    fix_title = "Load the relationship with the query (`selectinload` / `joinedload`)."
    shares = "blocking"
    requires = ()

    def check_project(self, context: Context) -> Iterable[Report]:
        models = mapped_classes(context.classes)
        if not models:
            return
        checker = _Checker(context, context.blocking, Queries(context.project, models))
        for module in context.project.modules:
            if module.is_test or not module.index.loops or offline(module):
                continue
            owners = {id(owner) for _, owner in module.index.loops if owner is not None}
            for function in module.index.functions:
                if id(function) not in owners:
                    continue  # no loop of its own (every loop of its body is indexed with it)
                for loop in loops(function):
                    yield from checker.check(module, function, loop)
        for route in context.routes.routes:
            schema = checker.schema(route)
            if schema is not None:
                yield from checker.serialised(route.module, route.handler, route, schema, 0)


class _Checker:
    def __init__(self, context: Context, analysis: BlockingCalls, queries: Queries) -> None:
        self.context = context
        self.analysis = analysis
        self.queries = queries
        self.reported: set[int] = set()

    def schema(self, route: Route) -> ClassInfo | None:
        """The pydantic model each item of a route's list response is serialised with."""
        node = route.keyword("response_model") or route.handler.returns
        if not isinstance(node, ast.Subscript):
            return None
        if self.context.project.resolve(route.module, node.value) not in COLLECTIONS:
            return None
        found = self.context.classes.get(
            self.context.project.annotation_type(route.module, node.slice)
        )
        return found if found is not None and found.kind == "pydantic" else None

    def serialised(
        self, module: Module, function: Function, route: Route, schema: ClassInfo, depth: int
    ) -> Iterator[Report]:
        """Rows a route returns whose lazy relationships its response model reads."""
        returned = returned_nodes(function)
        frame = self.analysis.frame(module, function)
        for call in own_nodes(function):
            if not isinstance(call, ast.Call) or id(call) not in returned:
                continue
            if isinstance(call.func, ast.Attribute) and call.func.attr == "all":
                report = self._serialised_rows(module, function, call, route, schema)
                if report is not None:
                    yield report
                continue
            target = self.analysis.callee(frame, call)
            if target is not None and depth < MAX_DEPTH and target[1] is not function:
                yield from self.serialised(target[0], target[1], route, schema, depth + 1)

    def _serialised_rows(
        self, module: Module, function: Function, call: ast.Call, route: Route, schema: ClassInfo
    ) -> Report | None:
        if id(call) in self.reported:
            return None
        source = self._source(module, function, call)
        info = self.context.classes.get(source[0].model) if source is not None else None
        if source is None or info is None or source[1]:
            return None
        lazy = [
            name
            for name, strategy in info.relationships.items()
            if (strategy is None or strategy in LAZY)
            and not source[0].loads(name)
            and name in schema.fields
        ]
        if not lazy:
            return None
        self.reported.add(id(call))
        relationship = lazy[0]
        return Report(
            module,
            call,
            f"{route.method} {route.path} serialises each `{info.name}` with `{schema.name}`, "
            f"whose field `{relationship}` reads the lazy relationship "
            f"`{info.name}.{relationship}`: one more query per row (N+1)",
            fix=f"Load it with the query: `.options(selectinload({info.name}.{relationship}))`.",
        )

    def check(self, module: Module, function: Function, loop: Loop) -> Iterator[Report]:
        iterable, target = loop.iter, loop.target
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "enumerate"
            and iterable.args
            and isinstance(target, ast.Tuple)
            and len(target.elts) == 2
        ):
            iterable, target = iterable.args[0], target.elts[1]
        if not isinstance(target, ast.Name):
            return
        source = self._source(module, function, iterable)
        if source is None:
            return
        query, is_async = source
        info = self.context.classes.get(query.model)
        if info is None:
            return
        lazy = {
            name
            for name, strategy in info.relationships.items()
            if (strategy is None or strategy in LAZY) and not query.loads(name)
        }
        reported: set[str] = set()
        for read, awaited in _reads(loop, target.id, lazy):
            if read.attr in reported or (is_async and not awaited):
                continue
            reported.add(read.attr)
            yield Report(
                module,
                read,
                f"`{target.id}.{read.attr}` is loaded lazily for each `{info.name}` of the loop "
                f"over `{short(iterable)}` in `{function.name}`: one more query per row (N+1)",
                fix=f"Load it with the query: `.options(selectinload({info.name}.{read.attr}))`.",
            )
        if reported or is_async:
            return
        for call, schema in self._validations(module, loop, target.id):
            fields = [name for name in sorted(lazy) if name in schema.fields]
            if fields:
                loaded = f"{info.name}.{fields[0]}"
                yield Report(
                    module,
                    call,
                    f"`{short(call.func)}` reads `{fields[0]}` of each `{info.name}` of the loop "
                    f"over `{short(iterable)}` in `{function.name}`, a lazy relationship: one "
                    "more query per row (N+1)",
                    fix=f"Load it with the query: `.options(selectinload({loaded}))`.",
                )
                return

    def _validations(
        self, module: Module, loop: Loop, name: str
    ) -> Iterator[tuple[ast.Call, ClassInfo]]:
        """``Schema.model_validate(row)`` / ``Schema.from_orm(row)`` calls on the loop's item."""
        for part in loop.body:
            for node in walk(part):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in VALIDATORS
                    and len(node.args) == 1
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id == name
                ):
                    continue
                schema = self.context.classes.get(
                    self.context.project.resolve(module, node.func.value)
                )
                if schema is not None and schema.kind == "pydantic":
                    yield node, schema

    def _source(
        self, module: Module, function: Function, iterable: ast.expr
    ) -> tuple[Query, bool] | None:
        """The query a loop iterates, and whether its session is asynchronous."""
        query = self.queries.unfold(module, function, iterable)
        frame = self.analysis.frame(module, function)
        if query is not None and query.entities:
            session = query.session
            kind = self.analysis.session_kind(
                None if session is None else self.analysis.value_type(frame, session)
            )
            if kind is None and query.root != "query":  # `query()` exists on sync sessions only
                kind = "async" if isinstance(function, ast.AsyncFunctionDef) else "sync"
            return query, kind == "async"
        values = [iterable]
        if isinstance(iterable, ast.Name):
            values = self.queries.assigned(function).get(iterable.id, [])
        for value in values:
            call = value.value if isinstance(value, ast.Await) else value
            target = self.analysis.callee(frame, call) if isinstance(call, ast.Call) else None
            if target is not None:
                found = self._returned(target[0], target[1])
                if found is not None:
                    return found, isinstance(target[1], ast.AsyncFunctionDef)
        return None

    def _returned(self, module: Module, function: Function) -> Query | None:
        """A query standing for what a project function annotated ``-> list[M]`` returns."""
        annotation = function.returns
        if not isinstance(annotation, ast.Subscript):
            return None
        if self.context.project.resolve(module, annotation.value) not in COLLECTIONS:
            return None
        model = self.queries.model(module, annotation.slice)
        if model is None:
            return None
        query = Query(root="model", model=model)
        for node in own_nodes(function):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "options"
            ):
                self.queries.read_options(node, query)
        return query


def _reads(loop: Loop, name: str, relationships: set[str]) -> list[tuple[ast.Attribute, bool]]:
    """Reads of ``name.<relationship>`` in the loop body, with whether each goes through
    ``awaitable_attrs``, in source order."""
    found: list[tuple[ast.Attribute, bool]] = []
    for part in loop.body:
        for node in walk(part):
            if not isinstance(node, ast.Attribute) or node.attr not in relationships:
                continue
            if not isinstance(node.ctx, ast.Load):
                continue
            base = node.value
            awaited = isinstance(base, ast.Attribute) and base.attr == "awaitable_attrs"
            if awaited and isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id == name:
                found.append((node, awaited))
    return sorted(found, key=lambda item: (item[0].lineno, item[0].col_offset))
