"""
## What it does
Finds ORM models filled from a whole request body: `Model(**body.model_dump())`,
`Model(**body.dict())`, `Model(**payload)` with `payload = await request.json()` or a `dict`
body, `Model.model_validate(body)` for SQLModel tables, `obj.sqlmodel_update(body...)`, and
`for key, value in body.model_dump().items(): setattr(obj, key, value)` loops (also over
`body.model_fields`), `obj.__dict__.update(body.dict())`, SQLAlchemy Core
`update(Model).values(**body.dict())`, and records of
module-level dict stores written from a body (`users_db[name] = body.dict()`,
`notes[note_id].update(body.dict())`, where an `owner` key also counts), when the body
can carry a privileged field (`is_admin`, `is_superuser`, `role`, `permissions`, `is_active`,
`is_verified`, `balance`, `credits`, `plan`, `tier`, role flags such as `is_editor`, references
to an owner such as `owner_id`, `user_id`, `author_id`, `creator_id`, ...)
that the model also has, or when the body is an untyped `dict`.

Fields removed with `model_dump(exclude={...})`, kept out with `include={...}`, or set
explicitly in the same call are not counted.

## Why is this bad?
The client decides every column the schema lets through: a sign-up request with
`"is_admin": true`, an update that moves a record to another `owner_id`, or a `balance` the
client picks (CWE-915, OWASP API3:2023 Broken Object Property Level Authorization).

## Known problems
A field is judged privileged by its name. `status` counts only for orders, payments,
subscriptions and accounts. Routes that require an administrator are not reported, and
neither are helpers whose body schema cannot be resolved.

## Example
```python
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

app = FastAPI()


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str]
    is_admin: Mapped[bool] = mapped_column(default=False)


class UserCreate(BaseModel):
    email: str
    is_admin: bool = False


@app.post("/users")
def create_user(body: UserCreate, db: Session):
    user = User(**body.model_dump())
    db.add(user)
    return user
```

## Use instead
```python
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

app = FastAPI()


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str]
    is_admin: Mapped[bool] = mapped_column(default=False)


class UserCreate(BaseModel):
    email: str


@app.post("/users")
def create_user(body: UserCreate, db: Session):
    user = User(**body.model_dump())
    db.add(user)
    return user
```

## Fix safety
No automatic fix: either drop the privileged field from the request schema, or copy only
the fields a client may set.

## References
- https://cwe.mitre.org/data/definitions/915.html
- https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/
- https://cheatsheetseries.owasp.org/cheatsheets/Mass_Assignment_Cheat_Sheet.html
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from apismith.findings import Confidence, Severity
from apismith.project.classes import allows_extra
from apismith.project.module import Function, Module
from apismith.project.values import last_assigned_anywhere, literal_keys
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.security._access import PRIVILEGED_ROLES, Access, words
from apismith.rules.security._dict_stores import DictStores, Store
from apismith.rules.security._raw_records import SQL_RUNNERS

PRIVILEGED = frozenset(
    {
        "is_admin",
        "is_superuser",
        "is_superadmin",
        "is_staff",
        "is_moderator",
        "admin",
        "superuser",
        "role",
        "roles",
        "permissions",
        "scopes",
        "is_active",
        "is_verified",
        "email_verified",
        "is_email_verified",
        "verified",
        "balance",
        "credits",
        "owner_id",
        "created_by",
        "created_by_id",
        "user_id",
        "account_id",
        "tenant_id",
        "plan",
        "tier",
        "is_premium",
    }
)
# Roles a boolean flag can grant, beyond ``PRIVILEGED_ROLES``.
OWNER_ROLES = frozenset({"admin", "superuser", "owner", "verified", "premium", "approved"})
# What an ``<owner>_id`` column points at when it decides who a record belongs to.
OWNERS = frozenset({"owner", "user", "author", "creator", "account"})
ACCOUNT_STATE = frozenset({"is_active", "is_verified", "verified", "email_verified"})
ACCOUNT_MODELS = frozenset(
    {"user", "account", "member", "customer", "profile", "employee", "person", "admin"}
)
STATUS_MODELS = frozenset(
    {"order", "payment", "invoice", "subscription", "account", "user", "transaction", "refund"}
)
DUMPS = frozenset({"dict", "model_dump", "json_compatible", "to_dict"})
SQL_UPDATE = re.compile(r"\bUPDATE\b.+\bSET\b", re.IGNORECASE | re.DOTALL)
WRAPPERS = frozenset({"dict", "vars", "jsonable_encoder", "fastapi.encoders.jsonable_encoder"})
VALIDATORS = frozenset({"model_validate", "parse_obj", "from_orm", "validate"})
UPDATERS = frozenset({"sqlmodel_update", "update_from_dict"})
CREATORS = frozenset({"create", "get_or_create", "update_or_create"})
FIELD_NAMES = frozenset({"model_fields", "__fields__", "model_fields_set", "__fields_set__"})
UNTYPED = frozenset(
    {"dict", "typing.Dict", "typing.Any", "typing.Mapping", "collections.abc.Mapping"}
)
ODM_BASES = frozenset(
    {
        "tortoise.models.Model",
        "tortoise.Model",
        "beanie.Document",
        "odmantic.Model",
        "peewee.Model",
        "mongoengine.Document",
    }
)


@dataclass(frozen=True, slots=True)
class Source:
    """What a dict of request data holds: a schema's fields (None when untyped)."""

    description: str
    schema: str | None
    fields: frozenset[str] | None


class MassAssignment(Rule):
    id = "SEC012"
    name = "mass-assignment"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 915
    shares = "access"
    fix_title = (
        "Copy only the fields a client may set, or drop the privileged fields from the request "
        "schema (`model_dump(exclude={...})`)."
    )
    requires = ("fastapi", "pydantic", "sqlalchemy", "sqlmodel", "tortoise", "beanie", "odmantic")

    def check_project(self, context: Context) -> Iterable[Report]:
        access = Access.of(context)
        fed = _helpers_fed_with_bodies(context, access)
        stores = DictStores.of(context)

        def examined(function: Function | None) -> bool:
            if function is None:
                return False
            routes = context.routes_of(function)
            if routes:
                return not all(access.permission_of(route) is not None for route in routes)
            return id(function) in fed

        for module in context.project.modules:
            if module.is_test or not self.applies(module):
                continue
            for call, function in module.index.calls:
                if examined(function) and function is not None:
                    found = self._assignment(context, module, call, function)
                    if found is None:
                        found = _store_update(context, stores, module, call, function)
                    if found is not None:
                        yield Report(module, call, found)
            if stores.stores:
                for assign, function in module.index.assigns:
                    if examined(function) and function is not None:
                        found = _store_assignment(context, stores, module, assign, function)
                        if found is not None:
                            yield Report(module, assign, found)

    def _assignment(
        self, context: Context, module: Module, call: ast.Call, function: Function
    ) -> str | None:
        """The finding message when ``call`` copies request data into an ORM model."""
        project = context.project
        scope = project.scope(function)
        func = call.func
        model = _orm_class(context, module, func)
        if model is None and isinstance(func, ast.Attribute) and func.attr in CREATORS:
            model = _orm_class(context, module, func.value)
        if model is not None:
            spreads = [k.value for k in call.keywords if k.arg is None]
            explicit = {k.arg for k in call.keywords if k.arg}
            what = f"`{ast.unparse(func)}(**...)` in `{function.name}`"
            for spread in spreads:
                source = _source(context, module, function, spread, scope.types)
                message = _judge(context, model, source, explicit, what)
                if message is not None:
                    return message
            return None
        if isinstance(func, ast.Attribute) and func.attr == "values":
            return _statement_values(context, module, call, function, scope.types)
        if isinstance(func, ast.Attribute) and func.attr in SQL_RUNNERS and call.args:
            found = _sql_update(context, module, call.args[0], function, scope.types)
            if found is not None:
                return found
        if not isinstance(func, ast.Attribute) or not call.args:
            return _setattr_loop(context, module, call, function, scope.types)
        if (
            func.attr == "update"
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "__dict__"  # ``user.__dict__.update(body.dict())``
        ):
            source = _source(context, module, function, call.args[0], scope.types)
            target = _bound_model(context, module, function, func.value.value, scope.types)
            what = f"`{ast.unparse(func)}` in `{function.name}`"
            return _judge(context, target, source, set(), what)
        if func.attr in VALIDATORS:
            model = _orm_class(context, module, func.value)
            update = next((k.value for k in call.keywords if k.arg == "update"), None)
            explicit = literal_keys(update)
            source = _source(context, module, function, call.args[0], scope.types)
            if model is not None:
                what = f"`{_short(model)}.{func.attr}` in `{function.name}`"
                return _judge(context, model, source, explicit, what)
        if func.attr in UPDATERS:
            source = _source(context, module, function, call.args[0], scope.types)
            target = _bound_model(context, module, function, func.value, scope.types)
            what = f"`{ast.unparse(func)}` in `{function.name}`"
            return _judge(context, target, source, set(), what)
        return None


def _sql_update(
    context: Context, module: Module, text: ast.expr, function: Function, types: dict[str, str]
) -> str | None:
    """``f"UPDATE users SET {assignments} ..."`` whose assignments are built by iterating the
    fields of a request body: the client picks the columns."""
    if not isinstance(text, ast.JoinedStr):
        return None
    fixed = "".join(
        part.value
        for part in text.values
        if isinstance(part, ast.Constant) and isinstance(part.value, str)
    )
    if not SQL_UPDATE.search(fixed):
        return None
    for part in text.values:
        if not isinstance(part, ast.FormattedValue):
            continue
        for name in (n for n in walk(part.value) if isinstance(n, ast.Name)):
            built = last_assigned_anywhere(function, name.id)
            for node in walk(built) if built is not None else ():
                if not isinstance(node, ast.comprehension):
                    continue
                iterated = node.iter
                if (
                    isinstance(iterated, ast.Call)
                    and isinstance(iterated.func, ast.Attribute)
                    and iterated.func.attr in {"keys", "items"}
                ):
                    iterated = iterated.func.value
                source = _source(context, module, function, iterated, types)
                what = f"the `UPDATE` built from `{ast.unparse(iterated)}` in `{function.name}`"
                message = _judge(context, None, source, set(), what)
                if message is not None:
                    return message
    return None


def _store_update(
    context: Context, stores: DictStores, module: Module, call: ast.Call, function: Function
) -> str | None:
    """``users_db[name].update(body.dict())``: a record of a dict store merged with a body."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "update" and call.args):
        return None
    store = stores.record_of(module, function, func.value)
    if store is None:
        return None
    types = context.project.scope(function).types
    source = _source(context, module, function, call.args[0], types)
    what = f"`{ast.unparse(func)}` in `{function.name}`"
    return _judge(context, _record_kind(store), source, set(), what, _owners(store))


def _store_assignment(
    context: Context,
    stores: DictStores,
    module: Module,
    assign: ast.Assign | ast.AnnAssign,
    function: Function,
) -> str | None:
    """``users_db[name] = body.dict()``: a body stored whole as a record of a dict store."""
    if not isinstance(assign, ast.Assign) or len(assign.targets) != 1:
        return None
    target = assign.targets[0]
    if not isinstance(target, ast.Subscript):
        return None
    store = stores.store(module, target.value, function)
    if store is None:
        return None
    types = context.project.scope(function).types
    source = _source(context, module, function, assign.value, types)
    if source is not None and source.schema is None and source.fields is None:
        return None  # an untyped dict kept as it came is the store's own business
    what = f"`{ast.unparse(target)} = ...` in `{function.name}`"
    return _judge(context, _record_kind(store), source, set(), what, _owners(store))


def _owners(store: Store) -> frozenset[str]:
    """A store's records name their owner in an ``owner`` key (a username, say)."""
    return frozenset({"owner"} & store.fields)


def _record_kind(store: Store) -> str:
    """What a store's records are, for judging their fields: ``users_db`` holds ``user``."""
    return " ".join(word.removesuffix("s") for word in words(store.name))


def _helpers_fed_with_bodies(context: Context, access: Access) -> set[int]:
    """Project functions that a route without an admin check calls with its request body."""
    fed: set[int] = set()
    project = context.project
    for route in context.routes.routes:
        if access.permission_of(route) is not None:
            continue
        bodies = {p.name for p in route.operation.params if p.source == "body"}
        if not bodies:
            continue
        scope = project.scope(route.handler)
        for node in walk(route.handler):
            if not isinstance(node, ast.Call):
                continue
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if not any(isinstance(a, ast.Name) and a.id in bodies for a in arguments):
                continue
            callee = project.function(project.resolve(route.module, node.func, scope))
            if callee is not None:
                fed.add(id(callee[1]))
    return fed


def _short(qualname: str) -> str:
    return qualname.rpartition(".")[2]


def _judge(
    context: Context,
    model: str | None,
    source: Source | None,
    explicit: set[str],
    what: str,
    owners: frozenset[str] = frozenset(),
) -> str | None:
    """A message when ``source`` lets the client set a privileged column of ``model`` (or one
    of ``owners``, fields that say who a record belongs to)."""
    if source is None:
        return None
    if source.fields is None:
        return f"{what} is filled from {source.description}: the client chooses every column"
    columns = _columns(context, model)
    kind = set(words(_short(model or "")))
    privileged = {
        f
        for f in source.fields
        if (privileged_field(f) or f in owners) and (columns is None or f in columns)
    }
    if not kind & ACCOUNT_MODELS:
        privileged -= ACCOUNT_STATE
    status = "status" in source.fields and (columns is None or "status" in columns)
    if status and kind & STATUS_MODELS:
        privileged.add("status")
    privileged -= explicit
    if not privileged:
        return None
    names = ", ".join(f"`{name}`" for name in sorted(privileged))
    return (
        f"{what} is filled from {source.description}: the client can set {names} through "
        f"`{_short(source.schema or '')}`"
    )


def privileged_field(name: str) -> bool:
    """Whether a client setting this field changes who it is or who owns what.

    The listed names, role flags (``is_editor``, ``is_owner``) and references to an owner
    (``author_id``, ``creator_id``). A tenant or customer chosen in the body
    (``organization_id``) is usually checked against the caller's memberships: not counted.
    """
    if name in PRIVILEGED:
        return True
    parts = words(name)
    if len(parts) >= 2 and parts[0] == "is":
        return parts[-1] in PRIVILEGED_ROLES | OWNER_ROLES
    return len(parts) >= 2 and parts[-1] == "id" and parts[-2] in OWNERS


def _columns(context: Context, model: str | None) -> set[str] | None:
    info = context.classes.get(model)
    return set(info.fields) if info is not None else None


def _orm_class(context: Context, module: Module, node: ast.expr) -> str | None:
    """The ORM or ODM model class an expression names."""
    qualname = context.project.resolve(module, node, None)
    if qualname is None:
        return None
    info = context.classes.get(qualname)
    if info is not None:
        return info.qualname if info.kind == "orm" else None
    found = context.project.lookup(qualname)
    if found is None or not isinstance(found[1], ast.ClassDef):
        return None
    for base in found[1].bases:
        name = context.project.resolve(found[0], base) or ""
        if name in ODM_BASES:
            return context.project.canonical(qualname)
    return None


def _bound_model(
    context: Context, module: Module, function: Function, node: ast.expr, types: dict[str, str]
) -> str | None:
    """The model of a local record: ``x = db.get(Model, id)``, ``x = Model(...)`` or typed."""
    if not isinstance(node, ast.Name):
        return None
    typed = context.classes.get(types.get(node.id))
    if typed is not None:
        return typed.qualname if typed.kind == "orm" else None
    for statement in walk(function):
        if not (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in statement.targets)
        ):
            continue
        value = statement.value.value if isinstance(statement.value, ast.Await) else statement.value
        if isinstance(value, ast.Call):
            candidates = [value.func, *value.args[:1]]
            for candidate in candidates:
                model = _orm_class(context, module, candidate)
                if model is not None:
                    return model
    return None


def _source(
    context: Context, module: Module, function: Function, node: ast.expr, types: dict[str, str]
) -> Source | None:
    """What request data an expression holds, following one local assignment."""
    if isinstance(node, ast.Await):
        node = node.value
    if isinstance(node, ast.Dict):
        return _dict_source(context, module, function, node, types)
    if isinstance(node, ast.Call):
        return _dump_source(context, module, function, node, types)
    if isinstance(node, ast.Name):
        value = last_assigned_anywhere(function, node.id)
        if value is not None:
            return _source(context, module, function, value, types)
        return _parameter_source(context, module, function, node.id, types)
    return None


def _dict_source(
    context: Context, module: Module, function: Function, node: ast.Dict, types: dict[str, str]
) -> Source | None:
    """``{**body.dict(), "role": "member"}``: keys after the spread are fixed by the server."""
    found: Source | None = None
    fixed: set[str] = set()
    for key, value in zip(node.keys, node.values, strict=True):
        if key is None:
            found = _source(context, module, function, value, types) or found
        elif isinstance(key, ast.Constant) and isinstance(key.value, str) and found is not None:
            fixed.add(key.value)
    if found is None or found.fields is None:
        return found
    return Source(found.description, found.schema, found.fields - fixed)


def _dump_source(
    context: Context, module: Module, function: Function, call: ast.Call, types: dict[str, str]
) -> Source | None:
    """``body.model_dump(...)``, ``dict(body)``, ``jsonable_encoder(body)``, ``request.json()``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "json" and _is_request(func.value, types):
        return Source(f"`{ast.unparse(call)}`", None, None)
    if isinstance(func, ast.Attribute) and func.attr in DUMPS:
        base = _parameter_source(context, module, function, _name(func.value), types)
    elif context.project.resolve(module, func) in WRAPPERS and call.args:
        base = _source(context, module, function, call.args[0], types)
    else:
        return None
    if base is None or base.fields is None:
        return base
    fields = set(base.fields)
    for keyword in call.keywords:
        listed = literal_keys(keyword.value)
        if keyword.arg == "include":
            if not isinstance(keyword.value, ast.Set | ast.Dict | ast.List | ast.Tuple):
                return None
            fields &= listed
        elif keyword.arg == "exclude":
            if not isinstance(keyword.value, ast.Set | ast.Dict | ast.List | ast.Tuple):
                return None
            fields -= listed
    return Source(f"`{ast.unparse(call)}`", base.schema, frozenset(fields))


def _parameter_source(
    context: Context, module: Module, function: Function, name: str, types: dict[str, str]
) -> Source | None:
    """A parameter typed with a pydantic schema, or an untyped ``dict`` body of a route."""
    typed = types.get(name)
    info = context.classes.get(typed)
    if info is not None and info.kind == "pydantic":
        if allows_extra(context.project, info.module, info.node):
            return Source(f"`{name}` (`{info.name}` accepts extra fields)", info.qualname, None)
        return Source(f"`{name}`", info.qualname, frozenset(info.fields))
    if not context.routes_of(function):
        return None
    for argument in (*function.args.args, *function.args.kwonlyargs):
        if argument.arg != name or argument.annotation is None:
            continue
        annotation = argument.annotation
        if isinstance(annotation, ast.Subscript):
            annotation = annotation.value
        if context.project.resolve(module, annotation) in UNTYPED:
            return Source(f"the request body `{name}`", None, None)
    return None


def _is_request(node: ast.expr, types: dict[str, str]) -> bool:
    return isinstance(node, ast.Name) and types.get(node.id, "").endswith("Request")


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else ""


def _setattr_loop(
    context: Context, module: Module, call: ast.Call, function: Function, types: dict[str, str]
) -> str | None:
    """``for key, value in body.model_dump().items(): setattr(obj, key, value)``, and loops over
    the body's field names: ``for name in body.model_fields: setattr(obj, name, ...)``."""
    if not (isinstance(call.func, ast.Name) and call.func.id == "setattr" and len(call.args) == 3):
        return None
    for loop in _enclosing_loops(function, call):
        data = _looped_data(loop, _name(call.args[1]))
        if data is None:
            continue
        source = _source(context, module, function, data, types)
        target = _bound_model(context, module, function, call.args[0], types)
        what = f"`setattr({_name(call.args[0])}, ...)` in `{function.name}`"
        return _judge(context, target, source, set(), what)
    return None


def _looped_data(loop: ast.For | ast.AsyncFor, key: str) -> ast.expr | None:
    """What a loop whose variable ``key`` names fields walks through: ``body.model_dump()`` of
    ``.items()`` or ``.keys()``, or the body of ``body.model_fields`` / ``body.__fields__``."""
    iterator, target = loop.iter, loop.target
    if isinstance(target, ast.Tuple) and target.elts:
        if not (_name(target.elts[0]) == key and isinstance(iterator, ast.Call)):
            return None
        func = iterator.func
        return func.value if isinstance(func, ast.Attribute) and func.attr == "items" else None
    if _name(target) != key or not key:
        return None
    if isinstance(iterator, ast.Attribute) and iterator.attr in FIELD_NAMES:
        return iterator.value
    if isinstance(iterator, ast.Call) and isinstance(iterator.func, ast.Attribute):
        if iterator.func.attr == "keys":
            return iterator.func.value
        if iterator.func.attr in DUMPS:
            return iterator
    return None


def _statement_values(
    context: Context, module: Module, call: ast.Call, function: Function, types: dict[str, str]
) -> str | None:
    """``update(User).where(...).values(**body.dict())``: a Core statement's values from a body."""
    model = None
    for item in walk(call.func):
        if isinstance(item, ast.Call) and item.args and item is not call:
            name = context.project.resolve(module, item.func) or ""
            if name.rpartition(".")[2] in {"update", "insert"} and name.startswith("sqlalchemy"):
                model = _orm_class(context, module, item.args[0])
                if model is not None:
                    break
    if model is None:
        return None
    explicit = {k.arg for k in call.keywords if k.arg}
    what = f"`{ast.unparse(call.func)}(...)` in `{function.name}`"
    for data in [*call.args[:1], *(k.value for k in call.keywords if k.arg is None)]:
        message = _judge(
            context, model, _source(context, module, function, data, types), explicit, what
        )
        if message is not None:
            return message
    return None


def _enclosing_loops(function: Function, node: ast.AST) -> Iterator[ast.For | ast.AsyncFor]:
    for loop in walk(function):
        if isinstance(loop, ast.For | ast.AsyncFor) and any(n is node for n in walk(loop)):
            yield loop
