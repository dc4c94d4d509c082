"""Which routes the project's tests call: TestClient/httpx calls matched to route templates.

A test request is read from ``client.get(path)``, ``client.request("DELETE", path)`` and the
like in test modules, and in ``test_*`` functions of modules importing a test client or pytest.
Its path may be a literal, an f-string, a concatenation, a constant
(``settings.API_V1_STR``, a module-level ``URL``), a local variable, or the return value of a
project function building URLs; parts that cannot be told become placeholders matching any
text. ``url_path_for("name")`` names a route, a direct call of a handler tests it, strings in
``pytest.mark.parametrize`` count as paths, and schemathesis tests every route.

Matching is lenient, so that a route is only called untested when no test can reach it: the
trailing slash is ignored, and a route matches a test path when either one may carry a prefix
the other lacks (a test client built on a bare router, a prefix the model could not resolve).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from apismith.project.constants import constant_str
from apismith.project.module import Function, Module
from apismith.project.project import Project
from apismith.project.routes import Route
from apismith.project.walk import walk

CLIENT_METHODS = frozenset({"get", "post", "put", "patch", "delete", "options", "head"})
METHOD_FIRST = frozenset({"request", "stream"})
URL_FOR = frozenset({"url_path_for", "url_for"})
PLACEHOLDER = "\x00"
EVERY_ROUTE = ("schemathesis",)
TEST_TOOLS = ("fastapi.testclient", "starlette.testclient", "pytest")
ROUTE_PARAM = re.compile(r"{[^}]+}")
STRING_WITH_SLASH = re.compile(r"[\"']([^\"'\n]*/[^\"'\n]*)[\"']")
RELATIVE = re.compile(r"^[A-Za-z0-9_-]+(/|\?|$)")
ORIGIN = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\x00]*")


@dataclass(frozen=True, slots=True)
class TestRequest:
    """One request a test makes: the method (None for any) and the path pattern."""

    method: str | None
    pattern: str


@dataclass(slots=True)
class TestUsage:
    """What the project's tests exercise."""

    requests: list[TestRequest] = field(default_factory=list)
    route_names: set[str] = field(default_factory=set)
    called: set[str] = field(default_factory=set)
    everything: bool = False
    unresolved: set[str | None] = field(default_factory=set)
    mentions: set[str] = field(default_factory=set)

    @property
    def makes_requests(self) -> bool:
        """Whether any test calls the application at all."""
        return bool(self.requests or self.route_names or self.everything)


def collect_test_usage(project: Project) -> TestUsage:
    """Requests, route names and handler calls of every test module of ``project``."""
    usage = TestUsage()
    for module in project.modules:
        if module.is_test and module.imports_any(*EVERY_ROUTE):
            usage.everything = True
        _Reader(project, module, usage).read()
    return usage


def tested_routes(
    project: Project, routes: list[Route], usage: TestUsage | None = None
) -> set[int]:
    """``id`` of every route that some test request reaches.

    A request reaches the routes it matches best: by its literal path before placeholders and
    prefix guesses, and with the fewest path parameters (``/users/me`` before ``/users/{id}``).
    """
    usage = usage or collect_test_usage(project)
    if usage.everything:
        return {id(route) for route in routes}
    matchers = [(route, _RouteMatcher(route.path)) for route in routes]
    tested: set[int] = set()
    for method, pattern in {(r.method, _normal(r.pattern)) for r in usage.requests}:
        best: tuple[int, int] | None = None
        winners: list[Route] = []
        concrete = pattern.replace(PLACEHOLDER, "1")
        loose = _pattern_regex(pattern) if PLACEHOLDER in pattern else None
        for route, matcher in matchers:
            score = matcher.score(concrete, loose) if method in {None, route.method} else None
            if score is None or (best is not None and score > best):
                continue
            if best is None or score < best:
                best, winners = score, []
            winners.append(route)
        tested.update(id(route) for route in winners)
    for route in routes:
        name = route.keyword("name")
        names = {route.handler.name}
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            names = {name.value}
        if (
            names & usage.route_names
            or f"{route.module.name}.{route.handler.name}" in usage.called
            or (usage.unresolved & {None, route.method} and _mentioned(route.path, usage.mentions))
        ):
            tested.add(id(route))
    return tested


def _mentioned(path: str, mentions: set[str]) -> bool:
    """Whether a test string names the route's last fixed segments (``organizers/tools``)."""
    segments = [s for s in path.split("/") if s]
    while segments and segments[-1].startswith("{"):
        segments.pop()
    run: list[str] = []
    for segment in reversed(segments):
        if segment.startswith("{") or len(run) == 2:
            break
        run.insert(0, segment)
    if not run:
        return False
    key = "/" + "/".join(run)
    return any(key in mention for mention in mentions)


class _Reader:
    """Reads the requests one test module makes."""

    def __init__(self, project: Project, module: Module, usage: TestUsage) -> None:
        self.project = project
        self.module = module
        self.usage = usage

    def read(self) -> None:
        inline = not self.module.is_test  # outside test modules, only ``test_*`` functions
        if inline and not self.module.imports_any(*TEST_TOOLS):
            return
        if not inline and self.module.relpath.rsplit("/", 1)[-1].startswith("test_"):
            self.usage.mentions.update(STRING_WITH_SLASH.findall(self.module.source))
        for call, owner in self.module.index.calls:
            if not inline or (owner is not None and _is_test_function(self.module, owner)):
                self._call(call, owner)
        for function in self.module.index.functions:
            if inline and not _is_test_function(self.module, function):
                continue
            for decorator in function.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith(
                    "parametrize"
                ):
                    self._parametrized(decorator)

    def _call(self, call: ast.Call, owner: Function | None) -> None:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        target: ast.expr | None = None
        method: str | None = None
        if name in CLIENT_METHODS:
            method, target = name.upper(), _argument(call, 0, "url")
        elif name in METHOD_FIRST and isinstance(func, ast.Attribute):
            verb = _argument(call, 0, "method")
            if isinstance(verb, ast.Constant) and isinstance(verb.value, str):
                method = verb.value.upper()
            target = _argument(call, 1, "url")
        elif name in URL_FOR and isinstance(func, ast.Attribute):
            route_name = _argument(call, 0, "name")
            if isinstance(route_name, ast.Constant) and isinstance(route_name.value, str):
                self.usage.route_names.add(route_name.value)
            return
        else:
            called = self.project.resolve(self.module, func)
            if called is not None:
                self.usage.called.add(called)
            return
        pattern = self.pattern(self.module, target, owner, 0, {}) if target is not None else None
        if pattern is not None and _is_client(func) and RELATIVE.match(pattern):
            pattern = "/" + pattern  # a client with a ``base_url``: ``client.get("wallet")``
        if pattern is not None and _is_path(pattern):
            self.usage.requests.append(TestRequest(method, pattern))
            self.usage.mentions.add(pattern)
        elif target is not None and _is_client(func) and not _parametrized_name(owner, target):
            self.usage.unresolved.add(method)

    def _parametrized(self, decorator: ast.Call) -> None:
        for argument in decorator.args[1:]:
            cases: ast.AST = argument
            if isinstance(argument, ast.Name):  # a module-level list of cases
                cases = self.module.bindings.get(argument.id, argument)
            for node in walk(cases):
                text = node.value if isinstance(node, ast.Constant) else None
                if not isinstance(text, str):
                    continue
                self.usage.route_names.add(text)  # ``url_path_for(name)`` of a parametrized name
                if text.startswith("/") and _is_path(text):
                    self.usage.requests.append(TestRequest(None, text))

    def pattern(
        self,
        module: Module,
        node: ast.expr,
        owner: Function | None,
        depth: int,
        bound: dict[str, str | None],
    ) -> str | None:
        """The path an expression builds, with placeholders for what cannot be told.

        ``bound`` holds the patterns of the arguments of a URL-building helper being followed.
        """
        if depth > 6:
            return None
        if isinstance(node, ast.Name) and node.id in bound:
            return bound[node.id]
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    inner = value.value
                    known = (
                        bound.get(inner.id)
                        if isinstance(inner, ast.Name) and inner.id in bound
                        else constant_str(self.project, module, inner)
                    )
                    parts.append(known if known is not None else PLACEHOLDER)
                else:
                    parts.append(self.pattern(module, value, owner, depth + 1, bound) or "")
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.pattern(module, node.left, owner, depth + 1, bound)
            right = self.pattern(module, node.right, owner, depth + 1, bound)
            return (left or PLACEHOLDER) + (right or PLACEHOLDER)
        if isinstance(node, ast.Name) and owner is not None:
            local = _assigned(owner, node)
            if local is not None:
                return self.pattern(module, local, owner, depth + 1, bound)
        if isinstance(node, ast.Name | ast.Attribute):
            return constant_str(self.project, module, node)
        if isinstance(node, ast.Call):
            return self._built(module, node, owner, depth, bound)
        return None

    def _built(
        self,
        module: Module,
        call: ast.Call,
        owner: Function | None,
        depth: int,
        bound: dict[str, str | None],
    ) -> str | None:
        """The path a project function returns (``v1("/users")``, ``routes.recipe(slug)``)."""
        found = self.project.function(self.project.resolve(module, call.func))
        if found is None:
            return None
        callee_module, function = found
        returned = [n.value for n in walk(function) if isinstance(n, ast.Return) and n.value]
        if len(returned) != 1:
            return None
        names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        if names[:1] in (["self"], ["cls"]):
            names = names[1:]
        arguments: dict[str, str | None] = {}
        for name, value in zip(names, call.args, strict=False):
            arguments[name] = self.pattern(module, value, owner, depth + 1, bound)
        for keyword in call.keywords:
            if keyword.arg is not None:
                arguments[keyword.arg] = self.pattern(
                    module, keyword.value, owner, depth + 1, bound
                )
        return self.pattern(callee_module, returned[0], function, depth + 1, arguments)


def _parametrized_name(function: Function | None, node: ast.expr) -> bool:
    """Whether ``node`` names an argument that ``pytest.mark.parametrize`` supplies."""
    if function is None or not isinstance(node, ast.Name):
        return False
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and decorator.args:
            names = decorator.args[0]
            if isinstance(names, ast.Constant) and isinstance(names.value, str):
                if node.id in {n.strip() for n in names.value.split(",")}:
                    return True
            elif isinstance(names, ast.List | ast.Tuple) and any(
                isinstance(e, ast.Constant) and e.value == node.id for e in names.elts
            ):
                return True
    return False


def _is_client(func: ast.expr) -> bool:
    """Whether a call's receiver looks like an HTTP client (``client``, ``self.api_client``)."""
    return isinstance(func, ast.Attribute) and "client" in ast.unparse(func.value).lower()


def _is_test_function(module: Module, function: Function) -> bool:
    """Whether a function is a test (``test_*``), or nested in one."""
    current: Function | None = function
    while current is not None:
        if current.name.startswith("test"):
            return True
        current = module.index.function_owner.get(id(current))
    return False


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return call.args[position] if len(call.args) > position else None


def _assigned(function: Function, name: ast.Name) -> ast.expr | None:
    """The value last assigned to a local name before it is used, if assigned in ``function``."""
    found: ast.expr | None = None
    for node in walk(function):
        if (
            isinstance(node, ast.Assign)
            and node.lineno < name.lineno
            and any(isinstance(t, ast.Name) and t.id == name.id for t in node.targets)
            and (found is None or node.lineno > found.lineno)
        ):
            found = node.value
    return found


def _is_path(pattern: str) -> bool:
    """Whether a pattern looks like a request path with something fixed in it."""
    path = ORIGIN.sub("", pattern)
    if not path.startswith(("/", PLACEHOLDER)):
        return False
    path = path.split("?", 1)[0]
    return path == "/" or any(ch.isalnum() for ch in path)


def _normal(pattern: str) -> str:
    """The path part of a pattern, without origin, query, fragment or trailing slash."""
    path = ORIGIN.sub("", pattern).split("?", 1)[0].split("#", 1)[0]
    return path.rstrip("/") or "/"


class _RouteMatcher:
    """Matches test path patterns against one route template, leniently (see module doc)."""

    def __init__(self, path: str) -> None:
        template = path.rstrip("/") or "/"
        self.full = _template_regex(template)
        self.sample = ROUTE_PARAM.sub("1", template)
        segments = template.split("/")
        self.suffixes = [
            _template_regex("/".join(["", *segments[start:]]))
            for start in range(2, len(segments))
            if any(s and not s.startswith("{") for s in segments[start:])
        ]
        self.literal = any(s and not s.startswith("{") for s in segments)
        self.params = len(ROUTE_PARAM.findall(template))

    def score(self, concrete: str, loose: re.Pattern[str] | None) -> tuple[int, int] | None:
        """How well a test path matches: (how, path parameters); lower is better.

        ``concrete`` is the test path with placeholders filled in, ``loose`` its regular
        expression with placeholders matching anything (None without placeholders).
        """
        if self.full.fullmatch(concrete):
            return (0, self.params)
        if loose is not None and loose.fullmatch(self.sample):
            return (1, self.params)
        if any(suffix.fullmatch(concrete) for suffix in self.suffixes):
            return (2, self.params)  # the test's client serves a router without the app's prefix
        if (
            self.literal
            and any(  # the test path carries a prefix the route model does not know
                self.full.fullmatch(concrete[index:])
                for index, char in enumerate(concrete)
                if char == "/" and index > 0
            )
        ):
            return (2, self.params)
        return None


def _template_regex(template: str) -> re.Pattern[str]:
    pieces = re.split(r"({[^}]+})", template)
    regex = "".join(
        (".+" if p.endswith(":path}") else "[^/]+") if p.startswith("{") else re.escape(p)
        for p in pieces
    )
    return re.compile(regex)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split(PLACEHOLDER)))
