"""
## What it does
Finds routes whose response carries a secret: a `response_model` (or, without one, the return
annotation) with a field named like a password or password hash, a secret, a token or API
key, a private key, a social security or card number or a one-time code, also in nested
models; a route without `response_model` that returns an ORM record whose model has such a
column (`return user` for a `User` with `hashed_password`), or a record of a module-level dict
store whose records carry such a key (`return users_db[username]`); and a returned dict literal that
copies such a value from a record (`{"password": user.hashed_password}`, or
`user["password_hash"]` of a document); and a route that returns the service's own settings
(`settings.model_dump()`, when they hold a secret-named field) or `os.environ`.

## Why is this bad?
Password hashes can be cracked offline, and tokens, keys and personal data in a response end
up in browser storage, logs, caches and other users' hands (CWE-200).

## Known problems
Fields are judged by name; a field called just `token` (invitation and share links) is not
reported, nor are fields typed `SecretStr`, marked `Field(exclude=True)` or listed in
`response_model_exclude`. Tokens, keys and secrets are reported on user and account models
only (a webhook's or an OAuth client's secret is shown to whoever manages it), and not on
login, token and refresh routes, on `POST` routes (a key or a TOTP secret is shown once when
it is created),
or on routes about the caller themselves (`/me`); password hashes and personal data always
are.

## Example
```python
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class UserInDB(BaseModel):
    id: int
    email: str
    hashed_password: str


@app.get("/users/{user_id}", response_model=UserInDB)
def read_user(user_id: int):
    return UserInDB(id=user_id, email="ada@example.com", hashed_password="...")
```

## Use instead
```python
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class UserOut(BaseModel):
    id: int
    email: str


@app.get("/users/{user_id}", response_model=UserOut)
def read_user(user_id: int):
    return UserOut(id=user_id, email="ada@example.com")
```

## Fix safety
No automatic fix: declare a response schema without the secret fields.

## References
- https://cwe.mitre.org/data/definitions/200.html
- https://fastapi.tiangolo.com/tutorial/response-model/
- https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

from apismith.findings import Confidence, Severity
from apismith.project.classes import ClassInfo
from apismith.project.module import Function, Module
from apismith.project.routes import Route
from apismith.project.values import last_assigned_anywhere, literal_keys
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.security._access import words
from apismith.rules.security._dict_stores import DictStores
from apismith.rules.security.hardcoded_secret import secret_name

ALWAYS = re.compile(
    r"^(hashed_|encrypted_|plain_|raw_)?(password|passwd|pwd)(_?hash(ed)?|_digest|_salt)?$"
    r"|^hashed_pw$|^(ssn|social_security(_number)?|(credit_)?card_number|credit_card|cvv|cvc)$"
    r"|^(private_key|otp|otp_code)$"
)
CREDENTIALS = re.compile(
    r"^((client|api|app|jwt|signing|webhook|shared)_)?secret(_key)?$"
    r"|^(access|refresh|auth|session|reset|password_reset|verification|api|bearer|id)_token$"
    r"|^(api_?key|apikey|secret_access_key)$"
    r"|^(otp|totp|mfa)_secret$"
)
AUTH_WORDS = frozenset(
    {"login", "token", "refresh", "auth", "signin", "signup", "register", "oauth", "callback"}
)
ACCOUNTS = frozenset({"user", "account", "member", "customer", "profile", "person", "employee"})
SELF_WORDS = frozenset({"me", "my", "self", "current"})
SECRET_TYPES = frozenset({"SecretStr", "SecretBytes"})
DUMPS = frozenset({"dict", "model_dump", "model_dump_json", "json", "copy"})


class SensitiveDataInResponse(Rule):
    id = "SEC013"
    name = "sensitive-data-in-response"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 200
    shares = "access"
    fix_title = "Return a response schema without the secret fields (a separate `...Out` model)."

    def check_project(self, context: Context) -> Iterable[Report]:
        seen: set[int] = set()
        for route in context.routes.routes:
            if id(route.operation) in seen:
                continue
            seen.add(id(route.operation))
            credentials = _credentials_allowed(route)
            yield from self._declared(context, route, credentials)
            yield from self._literals(route, credentials)
            yield from _nested_records(context, route, credentials)
            yield from _configuration(context, route)

    def _declared(self, context: Context, route: Route, credentials: bool) -> Iterator[Report]:
        """Secrets in the response model, the return annotation or a returned ORM record."""
        module, handler = route.module, route.handler
        declared = "response_model" in route.operation.keywords
        node = route.keyword("response_model") if declared else handler.returns
        models = _models(context, module, node)
        if not models and (not declared or _is_none(node)):
            models = list(_returned_records(context, module, handler))
            if not models:
                yield from _returned_store_records(context, route, credentials)
                return
        excluded = literal_keys(route.keyword("response_model_exclude"))
        for info in models:
            found = _secret_field(context, info, credentials, excluded, 0)
            if found is not None:
                where = f"`{route.method} {route.path}` (`{handler.name}`)"
                yield Report(
                    module,
                    route.operation.decorator,
                    f"{where} returns `{info.name}`, which exposes `{found}`",
                )
                return

    def _literals(self, route: Route, credentials: bool) -> Iterator[Report]:
        """``return {"password": user.hashed_password}``, also inside a response class."""
        for node in walk(route.handler):
            if not isinstance(node, ast.Return) or node.value is None:
                continue
            for item in walk(node.value):
                if not isinstance(item, ast.Dict):
                    continue
                for key, value in zip(item.keys, item.values, strict=True):
                    record = _record_of(value)
                    if not (
                        isinstance(key, ast.Constant) and isinstance(key.value, str) and record
                    ):
                        continue
                    owner = set(words(ast.unparse(record)))
                    if not _is_secret(key.value, credentials or not owner & ACCOUNTS):
                        continue
                    yield Report(
                        route.module,
                        key,
                        f"`{route.method} {route.path}` (`{route.handler.name}`) returns "
                        f"`{ast.unparse(value)}` as `{key.value}`",
                    )


def _nested_records(context: Context, route: Route, credentials: bool) -> Iterator[Report]:
    """``return {"token": token, "user": user}``: a whole ORM record inside a returned dict."""
    module, handler = route.module, route.handler
    types = context.project.scope(handler).types
    for node in walk(handler):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        for item in walk(node.value):
            if not isinstance(item, ast.Dict):
                continue
            for value in item.values:
                record = _serialised(context, module, value)
                if not isinstance(record, ast.Name):
                    continue
                info = context.classes.get(types.get(record.id))
                if info is None:
                    loaded = last_assigned_anywhere(handler, record.id)
                    info = _loaded_model(context, module, loaded) if loaded is not None else None
                if info is None or info.kind != "orm":
                    continue
                found = _secret_field(context, info, credentials, set(), 0)
                if found is not None:
                    yield Report(
                        module,
                        value,
                        f"`{route.method} {route.path}` (`{handler.name}`) returns the "
                        f"`{info.name}` record `{record.id}`, which exposes `{found}`",
                    )
                    return


def _returned_store_records(context: Context, route: Route, credentials: bool) -> Iterator[Report]:
    """``return users_db[name]``: a record of a module-level dict store with a secret key."""
    stores = DictStores.of(context)
    for node in walk(route.handler):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        store = stores.record_of(route.module, route.handler, node.value)
        if store is None:
            continue
        allowed = credentials or not store.holds_users
        found = next((name for name in sorted(store.fields) if _is_secret(name, allowed)), None)
        if found is not None:
            yield Report(
                route.module,
                route.operation.decorator,
                f"`{route.method} {route.path}` (`{route.handler.name}`) returns a record of "
                f"`{store.name}`, which exposes `{found}`",
            )
            return


def _record_of(value: ast.expr) -> ast.expr | None:
    """The record a value is read from: ``user`` of ``user.password`` or ``user["password"]``."""
    if isinstance(value, ast.Attribute):
        return value.value
    if (
        isinstance(value, ast.Subscript)
        and isinstance(value.slice, ast.Constant)
        and isinstance(value.slice.value, str)
    ):
        return value.value
    return None


def _configuration(context: Context, route: Route) -> Iterator[Report]:
    """``return settings.model_dump()``, ``return dict(os.environ)``: the service's own secrets."""
    project, module = context.project, route.module
    scope = project.scope(route.handler)
    for node in walk(route.handler):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        value = node.value
        items = [value]
        if isinstance(value, ast.Dict | ast.List | ast.Tuple):
            items += value.values if isinstance(value, ast.Dict) else value.elts
        for item in items:
            what = _dumped(item)
            if what is None:
                continue
            if project.resolve(module, what, scope) == "os.environ":
                secret = "the environment"
            else:
                info = context.classes.get(project.type_of(module, what, scope))
                found = (
                    next((n for n in info.fields if secret_name(n)), None)
                    if info is not None and info.kind == "settings"
                    else None
                )
                if found is None:
                    continue
                secret = f"the settings, with `{found}`"
            yield Report(
                module,
                item,
                f"`{route.method} {route.path}` (`{route.handler.name}`) returns {secret}",
            )
            return


def _dumped(node: ast.expr) -> ast.expr | None:
    """What a returned value exposes whole: ``x``, ``x.model_dump()``, ``dict(x)``."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in DUMPS and not node.args:
            return func.value
        if isinstance(func, ast.Name) and func.id in {"dict", "vars"} and len(node.args) == 1:
            return node.args[0]
        return None
    return node if isinstance(node, ast.Name | ast.Attribute) else None


def _credentials_allowed(route: Route) -> bool:
    """Login, token and creation routes, and routes about the caller, may return credentials."""
    names = set(words(route.path)) | set(words(route.handler.name))
    return route.method == "POST" or bool(names & (AUTH_WORDS | SELF_WORDS))


def _is_secret(name: str, credentials_allowed: bool) -> bool:
    lower = name.lower()
    return bool(ALWAYS.match(lower)) or (not credentials_allowed and bool(CREDENTIALS.match(lower)))


def _is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _models(context: Context, module: Module, node: ast.expr | None) -> list[ClassInfo]:
    """Pydantic or ORM classes a response annotation names, through containers and unions."""
    if node is None:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return []
    if isinstance(node, ast.BinOp):
        return _models(context, module, node.left) + _models(context, module, node.right)
    if isinstance(node, ast.Subscript):
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        found = [info for item in inner for info in _models(context, module, item)]
        return found or _models(context, module, node.value)
    info = context.classes.get(context.project.resolve(module, node))
    return [info] if info is not None else []


def _secret_field(
    context: Context, info: ClassInfo, credentials: bool, excluded: set[str], depth: int
) -> str | None:
    """The dotted name of the first secret field of a model, looking into nested models.

    Credentials are reported on account models only: a webhook's or an OAuth client's secret
    is shown to whoever manages it, a user's API key is not for other users to read.
    """
    credentials = credentials or not set(words(info.name)) & ACCOUNTS
    for name, statement in info.fields.items():
        if name in excluded or name in info.relationships or _hidden(info.module, statement):
            continue
        if _is_secret(name, credentials):
            return name
        annotation = statement.annotation if isinstance(statement, ast.AnnAssign) else None
        if info.kind == "pydantic" and depth < 2:
            for nested in _models(context, info.module, annotation):
                if nested is not info:
                    found = _secret_field(context, nested, credentials, set(), depth + 1)
                    if found is not None:
                        return f"{name}.{found}"
    return None


def _hidden(module: Module, statement: ast.stmt) -> bool:
    """``SecretStr`` fields and ``Field(exclude=True)`` are not serialised in clear."""
    if not isinstance(statement, ast.AnnAssign):
        return False
    if set(_names(statement.annotation)) & SECRET_TYPES:
        return True
    value = statement.value
    return isinstance(value, ast.Call) and any(
        k.arg == "exclude" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in value.keywords
    )


def _names(node: ast.expr) -> Iterator[str]:
    """Names in an annotation, also inside quoted forward references."""
    for item in walk(node):
        if isinstance(item, ast.Name):
            yield item.id
        elif isinstance(item, ast.Attribute):
            yield item.attr
        elif isinstance(item, ast.Constant) and isinstance(item.value, str):
            yield item.value.rpartition(".")[2]


def _returned_records(context: Context, module: Module, handler: Function) -> Iterator[ClassInfo]:
    """ORM models of what a handler returns: typed parameters, loads bound to a name, queries."""
    project = context.project
    scope = project.scope(handler)
    for node in walk(handler):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        value = _serialised(context, module, node.value)
        if isinstance(value, ast.Name):
            typed = context.classes.get(scope.types.get(value.id))
            if typed is not None and typed.kind == "orm":
                yield typed
                continue
            value = last_assigned_anywhere(handler, value.id) or value
        model = _loaded_model(context, module, value) or _constructed(context, module, value)
        if model is not None:
            yield model


def _serialised(context: Context, module: Module, node: ast.expr) -> ast.expr:
    """The record behind ``user.__dict__``, ``vars(user)``, ``dict(user)``,
    ``jsonable_encoder(user)`` or ``JSONResponse(content=...)`` of one: every column goes out."""
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        return node.value
    if isinstance(node, ast.Call):
        name = context.project.resolve(module, node.func) or ""
        if name.endswith("Response"):
            content = next((k.value for k in node.keywords if k.arg == "content"), None)
            content = content or (node.args[0] if node.args else None)
            return _serialised(context, module, content) if content is not None else node
        if len(node.args) == 1 and (name in {"vars", "dict"} or name.endswith(".jsonable_encoder")):
            return node.args[0]
    return node


def _constructed(context: Context, module: Module, node: ast.expr) -> ClassInfo | None:
    """The schema or model a handler builds and returns: ``return UserInDB(...)``."""
    if not isinstance(node, ast.Call):
        return None
    return context.classes.get(context.project.resolve(module, node.func))


def _loaded_model(context: Context, module: Module, node: ast.expr) -> ClassInfo | None:
    """The ORM model of ``db.get(M, id)``, ``db.query(M)...first()``, ``select(M)`` chains."""
    for item in walk(node):
        if not isinstance(item, ast.Call) or not item.args:
            continue
        func = item.func
        short = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if short in {"get", "query", "select"}:
            info = context.classes.get(context.project.resolve(module, item.args[0]))
            if info is not None and info.kind == "orm":
                return info
    return None
