"""
## What it does
Finds routes that load a record by an id taken from the path (`session.get(Model, id)`,
`db.query(Model).filter(Model.id == id).first()`, `select(Model).where(Model.id == id)`,
`Model.query.get(id)`, a project helper such as `crud.get_item(db, id)`, SQL text run by a
cursor or a MongoDB `find_one` on a table or collection that other queries of the project
filter by owner, a record of a module-level dict store such as `notes_db[note_id]` whose records
name an owner), or by an id-like
field of the request body (`body.username`) before changing the record, and never relate it
to the caller: no comparison or filter involving the authenticated user (`item.owner_id !=
user.id`, `.where(Item.owner_id == user.id)`), no call that hands both the record and the user
to a check, no `403` answered by the handler, and no role, permission or scope dependency.

Only models with an owner-like column or relationship (`user_id`, `owner_id`, `owner`,
`account_id`, `created_by`, `author_id`, `tenant_id`, `customer_id`, ...) that points at a
user or tenant are reported, and the user model itself on an authenticated route. A route
without any authentication is reported too when the model has an owner.

## Why is this bad?
Ids are easy to guess or enumerate: any signed-in user reads, changes or deletes other users'
orders, invoices or messages by changing a number in the URL (CWE-639, OWASP API1:2023 Broken
Object Level Authorization).

## Known problems
An owner column counts only when the project compares or filters on it somewhere (a listing
scoped with `.where(Order.user_id == user.id)`): an application that never scopes records to
users is taken to share them by design. Checks made outside the handler are not seen: a
dependency that loads and checks the record, a session or repository scoped to the caller
that does not come from an authenticating dependency, or row-level security in the database.
Class-based views, routes under a tenant path parameter (`/orgs/{org_id}/...`) and loads of
tenants themselves (organizations, workspaces, teams, projects), whose access is a matter of
membership, are not examined. On `GET` routes, models that usually hold shared content
(posts, articles, comments, products, recipes, ...) and users answered with a public-looking
schema (`UserPublic`) are not reported. A role dependency configured with ordinary roles only
(`RoleChecker(["customer"])`) does not count as a check.

## Example
```python
from typing import Annotated

from fastapi import Depends, FastAPI
from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

app = FastAPI()


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


def get_db() -> Session: ...


def get_current_user() -> int: ...


CurrentUser = Annotated[int, Depends(get_current_user)]
DB = Annotated[Session, Depends(get_db)]


@app.get("/orders")
def list_orders(current_user: CurrentUser, db: DB):
    return db.scalars(select(Order).where(Order.user_id == current_user)).all()


@app.get("/orders/{order_id}")
def read_order(order_id: int, current_user: CurrentUser, db: DB):
    return db.get(Order, order_id)
```

## Use instead
```python
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

app = FastAPI()


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


def get_db() -> Session: ...


def get_current_user() -> int: ...


CurrentUser = Annotated[int, Depends(get_current_user)]
DB = Annotated[Session, Depends(get_db)]


@app.get("/orders")
def list_orders(current_user: CurrentUser, db: DB):
    return db.scalars(select(Order).where(Order.user_id == current_user)).all()


@app.get("/orders/{order_id}")
def read_order(order_id: int, current_user: CurrentUser, db: DB):
    order = db.get(Order, order_id)
    if order is None or order.user_id != current_user:
        raise HTTPException(status_code=404)
    return order
```

## Fix safety
No automatic fix: whether a record belongs to the caller, their organisation or is shared is
a rule of the application.

## References
- https://cwe.mitre.org/data/definitions/639.html
- https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/
- https://cheatsheetseries.owasp.org/cheatsheets/Insecure_Direct_Object_Reference_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from itertools import pairwise

from apismith.findings import Confidence, Severity
from apismith.project.module import Function
from apismith.project.routes import PATH_PARAM, Route
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.security._access import CALLER_PARAM, Access, is_permission_name, words
from apismith.rules.security._dict_stores import DictStores
from apismith.rules.security._raw_records import owned_stores, raw_loads
from apismith.rules.security._record_loads import (
    OWNER_FIELDS,
    SHARED_CONTENT,
    USER_MODELS,
    Fetch,
    Keys,
    callee_short,
    fetches,
    owner_fields,
    scoping_fields,
)

TENANT_PARAMS = frozenset(
    {"organization", "org", "tenant", "workspace", "team", "company", "project"}
)
PUBLIC_SCHEMA = frozenset({"public", "summary", "brief", "basic", "short", "minimal", "preview"})
CHECK_WORDS = frozenset(
    {"check", "verify", "ensure", "assert", "authorize", "require", "can", "has", "allowed"}
)
CAPABILITIES = frozenset({"token", "secret", "code", "signature", "sig", "nonce", "otp"})
STATE_CALLER_WORDS = frozenset(
    {"user", "account", "customer", "member", "owner", "principal", "identity", "caller", "sub"}
)


class InsecureDirectObjectReference(Rule):
    id = "SEC011"
    name = "insecure-direct-object-reference"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    shares = "access"
    fix_title = (
        "Check that the record belongs to the caller (`.where(Model.owner_id == user.id)` or "
        "compare after loading) or require a role for the route."
    )

    def check_project(self, context: Context) -> Iterable[Report]:
        access = Access.of(context)
        scoped = scoping_fields(context)
        owned = owned_stores(context.project, OWNER_FIELDS)
        reported: set[tuple[str, int]] = set()
        for route in context.routes.routes:
            for fetch in self._unchecked(context, access, route, scoped, owned):
                module = fetch.module or route.module
                key = (module.relpath, fetch.node.lineno)
                if key in reported:
                    continue
                reported.add(key)
                model = (fetch.model or "record").rpartition(".")[2]
                who = "the caller" if access.auth_of(route) else "anyone (the route is public)"
                yield Report(
                    module,
                    fetch.node,
                    f"`{route.method} {route.path}` (`{route.handler.name}`) loads `{model}` by "
                    f"`{fetch.key}` and returns or changes it without checking that it belongs "
                    f"to {who}",
                )

    def _unchecked(
        self, context: Context, access: Access, route: Route, scoped: set[str], stores: set[str]
    ) -> Iterator[Fetch]:
        handler, module = route.handler, route.module
        arguments = handler.args.posonlyargs + handler.args.args
        ids = {p.name for p in route.operation.params if p.source == "path"}
        bodies = {p.name for p in route.operation.params if p.source == "body"}
        in_path = set(PATH_PARAM.findall(route.path))  # also those only dependencies read
        if not (in_path or bodies) or (arguments and arguments[0].arg == "self"):
            return
        if _tenant_scoped(route):
            return
        if access.permission_of(route) is not None:
            return
        authenticated = access.auth_of(route) is not None
        callers = access.caller_params(route) | _caller_state(route)
        keys = Keys(_aliases(handler, ids), bodies)
        checked = _relates(handler, callers, keys)
        if checked:
            return
        for fetch in fetches(context, module, handler, keys):
            if fetch.from_body and not _changed(handler, fetch.node):
                continue
            if _judged(context, access, route, fetch, scoped, authenticated):
                yield fetch
        for fetch in _dependency_loads(context, route, in_path):
            if _judged(context, access, route, fetch, scoped, authenticated):
                yield fetch
        if authenticated:
            for call, store, argument in raw_loads(handler, stores, OWNER_FIELDS):
                key = keys.find(argument)
                if key is not None and not set(words(key)) & CAPABILITIES:
                    yield Fetch(call, store, key)
        yield from _dict_loads(context, route, keys, authenticated)


def _judged(
    context: Context,
    access: Access,
    route: Route,
    fetch: Fetch,
    scoped: set[str],
    authenticated: bool,
) -> bool:
    """Whether a load is worth reporting: a record with an owner column the project scopes by
    (or the user model on an authenticated route), not shared content nor a tenant."""
    if set(words(fetch.key)) & CAPABILITIES:
        return False
    fields = owner_fields(context, fetch.model)
    if fields is None:
        return False
    owned = bool(fields & scoped)
    name = (fetch.model or "").rpartition(".")[2].lower()
    is_user = name in USER_MODELS or name.endswith("user") or name in access.principal_words
    if not owned and not (is_user and authenticated):
        return False
    return not (
        set(words(name)) & TENANT_PARAMS
        or (route.method == "GET" and _shared(route, name, is_user))
    )


def _dependency_loads(context: Context, route: Route, ids: set[str]) -> Iterator[Fetch]:
    """``invoice: Invoice = Depends(valid_invoice)``: a dependency that loads the record by the
    route's path id for the handler and never relates it to the caller either."""
    for dependency in route.all_dependencies:
        for node in dependency.closure():
            if node.function is None:
                continue
            module, function = node.function
            arguments = function.args
            names = {
                a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
            }
            if not ids & names:
                continue
            keys = Keys(_aliases(function, ids & names), set())
            callers = {name for name in names if CALLER_PARAM.match(name)}
            if _relates(function, callers, keys):
                continue
            for fetch in fetches(context, module, function, keys):
                yield Fetch(fetch.node, fetch.model, fetch.key, module)


def _dict_loads(context: Context, route: Route, keys: Keys, authenticated: bool) -> Iterator[Fetch]:
    """The first record of a module-level dict store the handler reads or writes by a path id:
    a store whose records name an owner, or accounts read by a signed-in caller."""
    for use in DictStores.of(context).accesses(route.module, route.handler):
        key = keys.find(use.key)
        if key is None or key not in keys.ids or set(words(key)) & CAPABILITIES:
            continue
        store = use.store
        owned = bool(store.fields & OWNER_FIELDS)
        if not (owned or (store.holds_users and authenticated)):
            continue
        noun = " ".join(word.removesuffix("s") for word in words(store.name))
        if route.method == "GET" and _shared(route, noun, store.holds_users):
            continue
        yield Fetch(use.node, store.name, key)
        return


def _tenant_scoped(route: Route) -> bool:
    """``/orgs/{org_id}/...`` or ``/organizations/{id}/...``: access is a matter of membership."""
    segments = route.path.split("/")
    for previous, segment in pairwise(segments):
        if PATH_PARAM.fullmatch(segment) and (
            set(words(segment)) & TENANT_PARAMS
            or {word.removesuffix("s") for word in words(previous)} & TENANT_PARAMS
        ):
            return True
    return False


def _changed(handler: Function, fetch: ast.expr) -> bool:
    """Whether the record a load is bound to is then changed or deleted in the handler."""
    bound = {
        target.id
        for node in walk(handler)
        if isinstance(node, ast.Assign) and any(item is fetch for item in walk(node.value))
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in walk(handler):
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(
                isinstance(t, ast.Attribute)
                and isinstance(t.value, ast.Name)
                and t.value.id in bound
                for t in targets
            ):
                return True
        if (
            isinstance(node, ast.Call)
            and callee_short(node) in {"setattr", "delete"}
            and any(isinstance(a, ast.Name) and a.id in bound for a in node.args[:1])
        ):
            return True
    return False


def _shared(route: Route, model: str, is_user: bool) -> bool:
    """GET of content that is usually public, or of a user through a public-looking schema."""
    if set(words(model)) & SHARED_CONTENT:
        return True
    response = route.keyword("response_model")
    return (
        is_user and response is not None and bool(set(words(ast.unparse(response))) & PUBLIC_SCHEMA)
    )


def _aliases(handler: Function, ids: set[str]) -> set[str]:
    """Path ids and the names converted from them (``uid = UUID(item_id)``)."""
    found = set(ids)
    for node in walk(handler):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            names = {n.id for n in walk(node.value) if isinstance(n, ast.Name)}
            if (
                isinstance(target, ast.Name)
                and names & found
                and len(names - found) <= 1
                and isinstance(node.value, ast.Call)
                and len(node.value.args) <= 1
            ):
                found.add(target.id)
    return found


def _caller_state(route: Route) -> set[str]:
    """What middleware left on the request about the caller: ``request.state.user_id``,
    ``request.user`` (written as the expression, which ``_mentions`` matches)."""
    requests = {p.name for p in route.operation.params if p.source == "request"}
    found: set[str] = set()
    for node in walk(route.handler):
        if not isinstance(node, ast.Attribute):
            continue
        inner = node.value
        on_request = isinstance(inner, ast.Name) and inner.id in requests
        on_state = (
            isinstance(inner, ast.Attribute)
            and inner.attr == "state"
            and isinstance(inner.value, ast.Name)
            and inner.value.id in requests
        )
        if (on_request and node.attr in {"user", "auth"}) or (
            on_state and set(words(node.attr)) & STATE_CALLER_WORDS
        ):
            found.add(ast.unparse(node))
    return found


def _mentions(node: ast.AST, names: set[str]) -> str | None:
    dotted = any("." in name for name in names)
    for item in walk(node):
        if isinstance(item, ast.Name) and item.id in names:
            return item.id
        if dotted and isinstance(item, ast.Attribute) and (text := ast.unparse(item)) in names:
            return text
    return None


def _relates(handler: Function, callers: set[str], keys: Keys) -> bool:
    """Whether the handler relates what it loads to the caller, or answers 403 itself."""
    derived = set(callers)
    changed = True
    while changed:
        changed = False
        for node in walk(handler):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                if _mentions(node.value, derived) is None:
                    continue
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in walk(target):
                        if isinstance(name, ast.Name) and name.id not in derived:
                            derived.add(name.id)
                            changed = True
    for node in walk(handler):
        if isinstance(node, ast.Compare) and _mentions(node, derived):
            return True
        if isinstance(node, ast.If | ast.IfExp | ast.While | ast.Assert) and _mentions(
            node.test, derived
        ):
            return True
        if isinstance(node, ast.Call):
            parts: list[ast.AST] = [*node.args, *(k.value for k in node.keywords)]
            if isinstance(node.func, ast.Attribute):
                parts.append(node.func.value)
            if not any(_mentions(part, derived) for part in parts):
                continue
            called = words(ast.unparse(node.func).rpartition(".")[2])
            if set(called) & CHECK_WORDS or is_permission_name("_".join(called)):
                return True
            if any(keys.find(part) for part in parts):
                return True
            if callee_short(node) in {"where", "filter", "filter_by"}:
                return True
        if isinstance(node, ast.Raise) and node.exc is not None:
            text = ast.unparse(node.exc)
            if "403" in text or "FORBIDDEN" in text:
                return True
    return False
