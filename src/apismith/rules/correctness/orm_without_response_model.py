"""
## What it does
Finds path operations without a `response_model` whose handler returns an ORM model instance
(SQLAlchemy or SQLModel `table=True`) or a list of them, with no return annotation, `-> Any`,
or the ORM class itself as annotation. ORM values are recognised from constructors,
`session.get(M, ..)`, `db.query(M)...first()/all()`, `session.scalars(select(M))...`,
`(await session.execute(select(M))).scalars().all()`, parameters typed with the model, and
project functions annotated to return it.

## Why is this bad?
With no response model FastAPI serialises the object as it is: every column is sent, including
the ones that must never leave the server (password hashes, internal flags, other tenants' ids),
and any column added to the table later is published without review. The OpenAPI schema shows
no response type, so clients cannot be generated from it.

## Known problems
Values that pass through containers (`{"user": user}`) or helpers without a return annotation
are not followed.

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
    hashed_password: Mapped[str]


@app.get("/users/{user_id}")
def read_user(user_id: int, db: Session):
    return db.get(User, user_id)
```

## Use instead
```python
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

app = FastAPI()


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    hashed_password: Mapped[str]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int


@app.get("/users/{user_id}", response_model=UserOut)
def read_user(user_id: int, db: Session):
    return db.get(User, user_id)
```

## Fix safety
Adding a response model removes fields from responses; check which ones clients rely on.

## References
- https://fastapi.tiangolo.com/tutorial/response-model/
- https://fastapi.tiangolo.com/tutorial/sql-databases/
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.analysis.blocking import own_nodes
from apismith.findings import Confidence, Severity
from apismith.project.module import Module
from apismith.project.project import Scope
from apismith.project.routes import Route
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

Value = tuple[str, str]  # (kind, ORM class qualname): kind is one of the KINDS below
ONE, MANY, QUERY, RESULT, SCALARS = "one", "many", "query", "result", "scalars"
SELECTS = frozenset({"sqlalchemy.select", "sqlalchemy.future.select", "sqlmodel.select"})
_CHAINING = """
    filter filter_by where order_by limit offset join outerjoin options group_by having
    distinct execution_options params join_from select_from correlate unique
"""
CHAINING = frozenset(_CHAINING.split())
SEQUENCES = frozenset(
    {
        "list",
        "typing.List",
        "typing.Sequence",
        "collections.abc.Sequence",
        "typing.Iterable",
        "collections.abc.Iterable",
    }
)
ANY = frozenset({"typing.Any", "typing_extensions.Any"})
EXECUTED = {"execute": RESULT, "exec": SCALARS, "scalars": SCALARS, "scalar": ONE}
TERMINAL = {
    QUERY: {"first": ONE, "one": ONE, "one_or_none": ONE, "get": ONE, "all": MANY},
    RESULT: {"scalars": SCALARS, "scalar_one": ONE, "scalar_one_or_none": ONE, "scalar": ONE},
    SCALARS: {"all": MANY, "first": ONE, "one": ONE, "one_or_none": ONE, "unique": SCALARS},
}


class OrmWithoutResponseModel(Rule):
    id = "COR005"
    name = "orm-object-without-response-model"
    family = "correctness"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    fix_title = "Declare a pydantic `response_model` (or return annotation) listing public fields."

    def check_project(self, context: Context) -> Iterable[Report]:
        seen: set[int] = set()
        for route in context.routes.routes:
            decorator = route.operation.decorator
            if id(decorator) in seen or not _unmodelled(context, route):
                continue
            seen.add(id(decorator))
            found = _Returns(context, route).orm_value()
            if found is None:
                continue
            kind, qualname = found
            model = qualname.rpartition(".")[2]
            what = f"a list of `{model}`" if kind == MANY else f"an ORM `{model}`"
            yield Report(
                route.module,
                decorator,
                f"`{route.method} {route.path}` (`{route.handler.name}`) returns {what} without a "
                "response model: every column of the table is sent to the client",
            )


def _unmodelled(context: Context, route: Route) -> bool:
    """No ``response_model``, a JSON response, and no annotation other than an ORM class."""
    if route.keyword("response_model") is not None:
        return False
    response_class = route.keyword("response_class")
    if response_class is not None and "JSON" not in ast.unparse(response_class):
        return False
    returns = route.handler.returns
    if returns is None or context.project.resolve(route.module, returns) in ANY:
        return True
    return _annotated(context, route.module, returns) is not None


def _annotated(context: Context, module: Module, annotation: ast.expr | None) -> Value | None:
    """The ORM value an annotation declares: ``User``, ``list[User]``, ``User | None``."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Subscript):
        outer = context.project.resolve(module, annotation.value)
        if outer in SEQUENCES:
            inner = context.project.annotation_type(module, annotation.slice)
            info = context.classes.get(inner)
            return (MANY, info.qualname) if info is not None and info.kind == "orm" else None
    info = context.classes.get(context.project.annotation_type(module, annotation))
    return (ONE, info.qualname) if info is not None and info.kind == "orm" else None


class _Returns:
    """Follows ORM values through one handler's straight-line assignments."""

    def __init__(self, context: Context, route: Route) -> None:
        self.context = context
        self.project = context.project
        self.module = route.module
        self.handler = route.handler
        self.scope: Scope = context.project.scope(route.handler)
        self.env: dict[str, Value | None] = {}
        arguments = self.handler.args
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            self.env[argument.arg] = _annotated(context, self.module, argument.annotation)

    def orm_value(self) -> Value | None:
        found: Value | None = None
        for node in own_nodes(self.handler):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                self._bind(node.targets[0], node.value)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                self._bind(node.target, node.value)
            elif isinstance(node, ast.Return) and node.value is not None:
                value = self.value(node.value)
                if value is not None and value[0] in {ONE, MANY}:
                    found = found or value
                elif not _is_none(node.value):
                    return None
        return found

    def _bind(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = self.value(value)

    def value(self, node: ast.expr) -> Value | None:
        if isinstance(node, ast.Await):
            return self.value(node.value)
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        callee = self.project.resolve(self.module, func, self.scope)
        info = self.context.classes.get(callee)
        if info is not None:
            return (ONE, info.qualname) if info.kind == "orm" else None
        if callee in SELECTS:
            model = self._model(node.args[0]) if len(node.args) == 1 else None
            return (QUERY, model) if model is not None else None
        if isinstance(func, ast.Attribute):
            found = self._method(func, node)
            if found is not None:
                return found
        function = self.project.function(callee)
        if function is not None:
            return _annotated(self.context, function[0], function[1].returns)
        return None

    def _method(self, func: ast.Attribute, call: ast.Call) -> Value | None:
        first = call.args[0] if call.args else None
        if func.attr in {"get", "get_one"} and len(call.args) >= 2:
            model = self._model(call.args[0])
            return (ONE, model) if model is not None else None
        if func.attr == "query" and len(call.args) == 1 and first is not None:
            model = self._model(first)
            return (QUERY, model) if model is not None else None
        if func.attr in {"execute", "exec", "scalars", "scalar"} and first is not None:
            statement = self.value(first)
            if statement is None or statement[0] != QUERY:
                return None
            return (EXECUTED[func.attr], statement[1])
        receiver = self.value(func.value)
        if receiver is None:
            return None
        if receiver[0] == QUERY and func.attr in CHAINING:
            return receiver
        result = TERMINAL.get(receiver[0], {}).get(func.attr)
        return (result, receiver[1]) if result is not None else None

    def _model(self, node: ast.expr) -> str | None:
        info = self.context.classes.get(self.project.resolve(self.module, node, self.scope))
        return info.qualname if info is not None and info.kind == "orm" else None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
