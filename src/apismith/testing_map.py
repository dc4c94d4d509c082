"""Which routes the project's tests call: TestClient/httpx calls matched to route templates."""

from __future__ import annotations

import ast
import re

from apismith.project.module import Module
from apismith.project.project import Project
from apismith.project.routes import Route

CLIENT_METHODS = frozenset({"get", "post", "put", "patch", "delete", "options", "head"})
PLACEHOLDER = "\x00"


def test_calls(module: Module) -> list[tuple[str | None, str]]:
    """``(method or None, path pattern)`` of each request a test module makes.

    Interpolated parts of f-strings become placeholders that match any path segment text.
    """
    found: list[tuple[str | None, str]] = []
    for call, _ in module.index.calls:
        func = call.func
        if not isinstance(func, ast.Attribute):
            continue
        method: str | None
        if func.attr in CLIENT_METHODS and call.args:
            method, target = func.attr.upper(), call.args[0]
        elif func.attr == "request" and len(call.args) >= 2:
            verb = call.args[0]
            method = verb.value.upper() if isinstance(verb, ast.Constant) and isinstance(verb.value, str) else None
            target = call.args[1]
        else:
            continue
        pattern = _pattern(target)
        if pattern is not None and pattern.startswith(("/", PLACEHOLDER)):
            found.append((method, pattern))
    return found


def _pattern(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            else:
                parts.append(PLACEHOLDER)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _pattern(node.left), _pattern(node.right)
        return (left or PLACEHOLDER) + (right or PLACEHOLDER)
    return None


def _route_regex(path: str) -> re.Pattern[str]:
    pieces = re.split(r"({[^}]+})", path)
    regex = "".join("[^/]+" if p.startswith("{") else _literal(p) for p in pieces)
    return re.compile(regex + "/?")


def _literal(text: str) -> str:
    return "".join(re.escape(ch) for ch in text)


def _matches(route: Route, regex: re.Pattern[str], method: str | None, pattern: str) -> bool:
    if method is not None and method != route.method:
        return False
    concrete = pattern.split("?", 1)[0].replace(PLACEHOLDER, "x")
    if regex.fullmatch(concrete):
        return True
    # A placeholder may stand for a whole prefix (``f"{API}/users"``): match on the suffix.
    if PLACEHOLDER in pattern:
        tail = pattern.split("?", 1)[0].rsplit(PLACEHOLDER, 1)[1]
        return bool(tail) and route.path.endswith(tail.rstrip("/")) and "{" not in tail
    return False


def tested_routes(project: Project, routes: list[Route]) -> set[int]:
    """``id`` of every route that some test request reaches."""
    calls = [call for m in project.modules if m.is_test for call in test_calls(m)]
    tested: set[int] = set()
    for route in routes:
        regex = _route_regex(route.path)
        if any(_matches(route, regex, method, pattern) for method, pattern in calls):
            tested.add(id(route))
    return tested
