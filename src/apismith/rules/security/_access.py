"""Who a route lets in: the authentication it really has, who the caller is, permission checks.

Shared by the access-control rules (SEC010, SEC011, and the route checks of SEC012). The route
model marks dependencies that authenticate; this module adds what it does not see, always
leaning towards "authenticated" so that a rule built on it stays quiet when in doubt:
authenticating middleware on an enclosing app, handlers that check a token or a session
themselves, credentials read from headers, dependencies whose names say they authenticate
(``Authenticator``, ``get_current_user`` from another package), and class-based views whose
bases are unknown.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from functools import cached_property

from apismith.project.module import Function, Module
from apismith.project.routes import AUTH_NAME, UNAUTHORIZED, Container, Dependency, Route
from apismith.project.walk import walk
from apismith.rules.context import Context
from apismith.rules.security._middleware_paths import EVERY_PATH, PathScope, path_scope

LOGIN_FORMS = ("OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict")
PERMISSION_PREFIXES = (
    "admin",
    "superuser",
    "superadmin",
    "permission",
    "privilege",
    "authoriz",
    "owner",
    "rbac",
)
PERMISSION_WORDS = frozenset(
    {"perm", "perms", "role", "roles", "scope", "scopes", "staff", "acl", "policy", "sudo"}
)
PRIVILEGED_ROLES = frozenset(
    {"staff", "employee", "manager", "moderator", "editor", "root", "operator", "support"}
)
ORDINARY_ROLES = frozenset(
    {"customer", "user", "member", "viewer", "guest", "reader", "basic", "client", "subscriber"}
)
KNOWN_BASES = ("builtins", "object", "typing", "abc", "pydantic", "enum")
MIDDLEWARE_WORDS = frozenset(
    {"jwt", "token", "apikey", "bearer", "oauth", "oauth2", "oidc", "keycloak", "login", "guard"}
)
AUTH_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "x-api-token", "x-auth-token", "x-access-token"}
)
CREDENTIAL_PARAMS = re.compile(
    r"^(x_)?(authorization|api_?key|(access_|auth_|api_|session_)?token|session(_id)?)$"
)
IDENTITY_WORDS = frozenset({"current", "authenticated", "logged", "signed"})
# Checks of the caller that the route model's names do not cover: fastapi-jwt-auth's
# ``Authorize.jwt_required()``, an ``AuthHandler().auth_wrapper`` method, ``decode_token(...)``.
CALLER_CHECKS = re.compile(
    r"^(fresh_)?jwt_(refresh_token_)?required$|^auth_wrapper$|^decode_(access_|auth_)?token$"
    r"|\.auth_wrapper$"
)
CALLER_WORDS = frozenset({"user", "principal", "identity", "subject", "caller", "viewer", "me"})
REQUEST_AUTH_ATTRIBUTES = frozenset({"user", "auth", "session", "principal", "identity"})
CALLER_PARAM = re.compile(
    r"^(current_|auth_|authenticated_|logged_in_|request_)?(user|account|principal|identity)$"
    r"|^(admin|superuser|claims|token_data|me)$"
)


_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")


def words(name: str) -> list[str]:
    """Lower-case words of an identifier or path: ``getCurrentUser`` -> get, current, user."""
    return list(_words(name))


@functools.lru_cache(maxsize=1 << 16)
def _words(name: str) -> tuple[str, ...]:
    """The same names recur across rules and routes: split each once."""
    spaced = _CAMEL.sub(r"\1_\2", _ACRONYM.sub(r"\1_\2", name))
    return tuple(word for word in _SEPARATORS.split(spaced.lower()) if word)


def is_permission_name(name: str) -> bool:
    """Whether a name speaks of roles or permissions (``require_admin``, ``PermissionChecker``).

    A name that says who the caller is (``get_current_staff``, ``current_member``) only counts
    with a privileged word (``get_current_active_superuser``): staff may be all its users.
    """
    found = words(name)
    if set(found) & IDENTITY_WORDS:
        return any(word.startswith(PERMISSION_PREFIXES) for word in found)
    return any(word.startswith(PERMISSION_PREFIXES) or word in PERMISSION_WORDS for word in found)


def is_login_form(dependency: Dependency) -> bool:
    """``OAuth2PasswordRequestForm``: a login form's fields, not a check of the caller."""
    names = (dependency.label, dependency.target or "", dependency.scheme or "")
    return any(name.rpartition(".")[2] in LOGIN_FORMS for name in names)


def dependency_names(dependency: Dependency) -> Iterator[str]:
    """The names a dependency is known by: its label, target and function."""
    yield dependency.label
    if dependency.target:
        yield dependency.target.rpartition(".")[2]
    if dependency.function is not None:
        yield dependency.function[1].name


def _authenticates(dependency: Dependency) -> bool:
    """Whether a dependency checks the caller, also when only its names say so."""
    if is_login_form(dependency):
        return False
    return dependency.authenticates or any(
        AUTH_NAME.search(name) or CALLER_CHECKS.search(name)
        for node in dependency.closure()
        for name in dependency_names(node)
    )


class Access:
    """Effective authentication of every route of a project, computed once per review."""

    @classmethod
    def of(cls, context: Context) -> Access:
        """The analysis of ``context``, shared by the rules of one review."""
        return context.shared(cls, lambda: cls(context))

    def __init__(self, context: Context) -> None:
        self.context = context
        self.project = context.project
        self.containers = context.routes.containers
        self.parents: dict[str, set[str]] = {}
        for container in self.containers.values():
            children = [name for name, _, _ in container.includes]
            children += [name for _, name in container.mounts]
            for child in children:
                self.parents.setdefault(child, set()).add(container.qualname)
        self.scopes: dict[str, PathScope] = {}
        self.guarded = self._guarded_containers()
        self._class_auth: dict[int, str | None] = {}
        self.auth: dict[int, str | None] = {id(r): self._auth(r) for r in context.routes.routes}

    # -- queries -------------------------------------------------------------------------------

    def auth_of(self, route: Route) -> str | None:
        """What authenticates the route's caller (a dependency, middleware...), or None."""
        return self.auth[id(route)]

    @property
    def has_authentication(self) -> bool:
        """Whether some route of the project authenticates its caller."""
        return any(label is not None for label in self.auth.values())

    def is_wired(self, route: Route) -> bool:
        """Whether the route's router is an app or is included somewhere (its wiring is known)."""
        container = self.containers.get(route.router)
        return container is not None and (container.kind == "app" or container.parents > 0)

    def caller_params(self, route: Route) -> set[str]:
        """Handler parameters that stand for the authenticated caller (``user: CurrentUser``)."""
        found: set[str] = set()
        for param in route.operation.params:
            dependency = param.dependency
            if dependency is not None:
                names = [n for d in dependency.closure() for n in dependency_names(d)]
                spoken = {word for name in (param.name, *names) for word in words(name)}
                if _authenticates(dependency) or any(
                    word.startswith("auth") or word in CALLER_WORDS for word in spoken
                ):
                    found.add(param.name)
            elif param.source == "query" and CALLER_PARAM.match(param.name):
                found.add(param.name)
        return found

    def permission_of(self, route: Route) -> str | None:
        """A dependency that checks roles, permissions or OAuth scopes, or None.

        A role checker configured with ordinary roles only (``RoleChecker(["customer"])``)
        does not count: it tells signed-in users apart, not privileged ones.
        """
        for dependency in route.all_dependencies:
            for node in dependency.closure():
                if _has_scopes(node.node):
                    return f"{node.label} (scopes)"
                for name in dependency_names(node):
                    if is_permission_name(name) and not self._ordinary_roles(route, node):
                        return name
        return None

    def _ordinary_roles(self, route: Route, dependency: Dependency) -> bool:
        """Whether a parameterised role checker also admits ordinary users."""
        marker = dependency.node
        target = marker.args[0] if isinstance(marker, ast.Call) and marker.args else None
        if isinstance(target, ast.Name):
            found = self.project.lookup(self.project.resolve(route.module, target) or "")
            target = found[1] if found is not None and isinstance(found[1], ast.Call) else None
        if not isinstance(target, ast.Call):
            return False
        named = _role_words([*target.args, *(k.value for k in target.keywords)])
        return bool(named & ORDINARY_ROLES)

    @cached_property
    def principal_words(self) -> frozenset[str]:
        """Names of the ORM models that stand for the caller (``Staff`` of ``get_current_staff``
        and its table ``staff``): what authenticating dependencies return."""
        found: set[str] = set()
        for route in self.context.routes.routes:
            for dependency in route.all_dependencies:
                for node in dependency.closure():
                    if node.function is None or not _authenticates(node):
                        continue
                    module, function = node.function
                    info = self.context.classes.get(
                        self.project.annotation_type(module, function.returns)
                    )
                    if info is not None and info.kind == "orm":
                        found.add(info.name.lower())
                        found |= _table_names(info.node)
        return frozenset(found)

    # -- effective authentication ---------------------------------------------------------------

    def _auth(self, route: Route) -> str | None:
        for dependency in route.all_dependencies:
            if _authenticates(dependency):
                return dependency.label
        handler, module = route.handler, route.module
        found = self._view_class_auth(module, handler)
        if found is not None:
            return found
        for name in self._ancestors(route.router):
            if name in self.guarded and self.scopes.get(name, EVERY_PATH).covers(route.path):
                return self.guarded[name]
        if _checks_caller(self.context, module, handler):
            return f"checks in {handler.name}"
        for param in route.operation.params:
            if param.source == "query" and CALLER_PARAM.match(param.name):
                return param.name
            if param.source in {"header", "cookie", "query"} and CREDENTIAL_PARAMS.match(
                param.name.lower()
            ):
                return param.name
        return None

    def _ancestors(self, name: str) -> Iterator[str]:
        seen: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            yield current
            stack.extend(self.parents.get(current, ()))

    def _guarded_containers(self) -> dict[str, str]:
        """Apps and routers protected by authenticating middleware."""
        guarded: dict[str, str] = {}
        routes = self.context.routes
        for known in self.containers.values():
            found = self._middleware_argument(known)
            if found is not None:
                guarded[known.qualname] = found
        for module in self.project.modules:
            if module.is_test:
                continue
            for call, owner in module.index.calls:
                func = call.func
                if not isinstance(func, ast.Attribute) or func.attr != "add_middleware":
                    continue
                container = routes.container_for(module, func.value, owner)
                if container is not None and call.args:
                    label = self._middleware_auth(module, call.args[0])
                    if label is not None:
                        guarded[container.qualname] = label
                        self.scopes[container.qualname] = self._class_scope(module, call.args[0])
            for function in module.index.functions:
                for decorator in function.decorator_list:
                    if (
                        isinstance(decorator, ast.Call)
                        and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr == "middleware"
                        and _checks_caller(self.context, module, function)
                    ):
                        owner = module.index.function_owner.get(id(function))
                        container = routes.container_for(module, decorator.func.value, owner)
                        if container is not None:
                            guarded[container.qualname] = f"middleware {function.name}"
                            self.scopes[container.qualname] = path_scope(
                                self.project, module, function
                            )
        return guarded

    def _middleware_argument(self, container: Container) -> str | None:
        """``FastAPI(middleware=[Middleware(AuthMiddleware)])``."""
        for keyword in container.node.keywords:
            if keyword.arg == "middleware" and isinstance(keyword.value, ast.List | ast.Tuple):
                for item in keyword.value.elts:
                    if isinstance(item, ast.Call) and item.args:
                        label = self._middleware_auth(container.module, item.args[0])
                        if label is not None:
                            scope = self._class_scope(container.module, item.args[0])
                            self.scopes[container.qualname] = scope
                            return label
        return None

    def _class_scope(self, module: Module, node: ast.expr) -> PathScope:
        """The paths a middleware class checks, read from its ``dispatch`` (or ``__call__``)."""
        found = self.project.lookup(self.project.resolve(module, node) or "")
        if found is not None and isinstance(found[1], ast.ClassDef):
            for statement in found[1].body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    statement.name in {"dispatch", "__call__"}
                ):
                    return path_scope(self.project, found[0], statement)
        return EVERY_PATH

    def _middleware_auth(self, module: Module, node: ast.expr) -> str | None:
        """A middleware class that authenticates: by its name, or by what its methods do."""
        qualname = self.project.resolve(module, node) or ast.unparse(node)
        short = qualname.rpartition(".")[2]
        if any(word.startswith("auth") or word in MIDDLEWARE_WORDS for word in words(short)):
            return f"middleware {short}"
        found = self.project.lookup(qualname)
        if found is not None and isinstance(found[1], ast.ClassDef):
            for statement in found[1].body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    _checks_caller(self.context, found[0], statement)
                ):
                    return f"middleware {short}"
        return None

    def _view_class_auth(self, module: Module, handler: Function) -> str | None:
        """A class-based view whose bases cannot be read may declare an authenticating attribute.

        The route model collects class-level ``Depends`` of the view and of the bases it can
        resolve; a base it cannot resolve (a star import, another package) is given the benefit
        of the doubt.
        """
        owner = module.index.method_class.get(id(handler))
        if owner is None:
            return None
        key = id(owner)
        if key not in self._class_auth:
            self._class_auth[key] = self._unknown_base(module, owner, 0)
        return self._class_auth[key]

    def _unknown_base(self, module: Module, node: ast.ClassDef, depth: int) -> str | None:
        for base in node.bases:
            name = self.project.resolve(module, base)
            found = self.project.lookup(name) if name is not None else None
            if found is not None and isinstance(found[1], ast.ClassDef):
                inherited = (
                    self._unknown_base(found[0], found[1], depth + 1) if depth < 10 else None
                )
                if inherited is not None:
                    return inherited
            elif name is None or not name.startswith(KNOWN_BASES):
                return f"base class {ast.unparse(base)}"
        return None


def _table_names(node: ast.ClassDef) -> set[str]:
    """``__tablename__ = "staff"`` of a model class."""
    return {
        statement.value.value.lower()
        for statement in node.body
        if isinstance(statement, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in statement.targets)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    }


def _has_scopes(node: ast.expr) -> bool:
    """``Security(dependency, scopes=[...])`` asking for a privileged scope (``users:admin``).

    Scopes naming resources and verbs (``wallets:read``, ``items:write``) are granted to
    ordinary users; scopes that are not literals are given the benefit of the doubt.
    """
    if not isinstance(node, ast.Call):
        return False
    for keyword in node.keywords:
        if keyword.arg != "scopes":
            continue
        value = keyword.value
        if not isinstance(value, ast.List | ast.Tuple | ast.Set):
            return True
        named = _role_words(value.elts)
        if named & PRIVILEGED_ROLES or any(w.startswith(PERMISSION_PREFIXES) for w in named):
            return True
    return False


def _role_words(arguments: list[ast.expr]) -> set[str]:
    """The words of the roles or scopes listed: ``"admin"``, ``Role.STAFF``, ``"items:write"``.

    Only the leaves count: the class of an enum member (``UserRole.ADMIN``) names no role.
    """
    named: set[str] = set()
    qualifiers: set[int] = set()
    for argument in arguments:
        for item in walk(argument):
            if isinstance(item, ast.Attribute):
                named |= set(words(item.attr))
                qualifiers.add(id(item.value))
            elif isinstance(item, ast.Constant) and isinstance(item.value, str):
                named |= set(words(item.value))
            elif isinstance(item, ast.Name) and id(item) not in qualifiers:
                named |= set(words(item.id))
    return named


def _checks_caller(context: Context, module: Module, function: Function) -> bool:
    """Whether a function checks who calls: decodes a token, reads credentials, answers 401/403."""
    project = context.project
    scope = project.scope(function)
    for node in walk(function):
        if isinstance(node, ast.Call):
            name = project.resolve(module, node.func, scope) or _callee_name(node)
            short = name.rpartition(".")[2]
            if name.endswith(("jwt.decode", "jws.verify")) or AUTH_NAME.search(short):
                return True
            if CALLER_CHECKS.search(short):
                return True
            for argument in [*node.args[:1], *(k.value for k in node.keywords)]:
                text = ast.unparse(argument).rpartition(".")[2]
                if UNAUTHORIZED.search(text):
                    return True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value.lower()
            if value in AUTH_HEADERS or value.startswith("bearer "):
                return True
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in REQUEST_AUTH_ATTRIBUTES
            and _is_request(node.value, scope.types)
        ):
            return True
    return False


def _is_request(node: ast.expr, types: dict[str, str]) -> bool:
    """``request`` or ``request.state`` of a ``Request``-typed name."""
    if isinstance(node, ast.Attribute) and node.attr == "state":
        node = node.value
    return isinstance(node, ast.Name) and types.get(node.id, "").endswith(
        ("Request", "HTTPConnection", "WebSocket")
    )


def _callee_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""
