"""Which request paths an authenticating middleware checks.

A middleware often checks credentials only under some prefixes
(``if request.url.path.startswith("/account"): ...``) or lets some paths through first
(``if request.url.path in PUBLIC_PATHS: return await call_next(request)``). Routes outside what
it checks are not authenticated by it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from apismith.project.module import Function, Module
from apismith.project.project import Project
from apismith.project.walk import walk


@dataclass(frozen=True, slots=True)
class PathScope:
    """The prefixes a middleware checks (empty: every path) and the paths it lets through."""

    checked: frozenset[str]
    skipped_prefixes: frozenset[str]
    skipped: frozenset[str]

    def covers(self, path: str) -> bool:
        """Whether the middleware checks the caller of a route at ``path``."""
        if path in self.skipped or path.rstrip("/") in self.skipped:
            return False
        if any(path.startswith(prefix) for prefix in self.skipped_prefixes):
            return False
        return not self.checked or any(path.startswith(prefix) for prefix in self.checked)


EVERY_PATH = PathScope(frozenset(), frozenset(), frozenset())


def path_scope(project: Project, module: Module, function: Function) -> PathScope:
    """The paths a middleware function checks, read from the ``if`` tests on the request path."""
    arguments = [*function.args.posonlyargs, *function.args.args]
    forward = arguments[-1].arg if arguments else ""  # ``call_next``
    checked: set[str] = set()
    skipped_prefixes: set[str] = set()
    skipped: set[str] = set()
    for node in walk(function):
        if not isinstance(node, ast.If):
            continue
        prefixes, exact = _path_tests(project, module, node.test)
        if not (prefixes or exact):
            continue
        negated = isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
        passes = _passes_through(node.body, forward)
        if passes != negated:  # ``if path in PUBLIC: return await call_next(request)``
            skipped_prefixes |= prefixes
            skipped |= exact
        else:  # ``if path.startswith("/account"): <check credentials>``
            checked |= prefixes
    return PathScope(frozenset(checked), frozenset(skipped_prefixes), frozenset(skipped))


def _path_tests(project: Project, module: Module, test: ast.expr) -> tuple[set[str], set[str]]:
    """Prefixes of ``path.startswith(...)`` and paths of ``path in (...)`` / ``path == ...``."""
    prefixes: set[str] = set()
    exact: set[str] = set()
    for node in walk(test):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "startswith"
            and _is_path(node.func.value)
            and node.args
        ):
            prefixes |= _strings(project, module, node.args[0])
        elif isinstance(node, ast.Compare) and _is_path(node.left):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.Eq):
                    exact |= _strings(project, module, right)
    return prefixes, exact


def _is_path(node: ast.expr) -> bool:
    """``request.url.path``, ``request.scope["path"]`` or a local called ``path``."""
    if isinstance(node, ast.Attribute):
        return node.attr == "path"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "path"
    return isinstance(node, ast.Name) and "path" in node.id.lower()


def _strings(project: Project, module: Module, node: ast.expr) -> set[str]:
    if isinstance(node, ast.Name):
        found = project.lookup(project.resolve(module, node) or "")
        if found is not None and isinstance(found[1], ast.expr):
            node = found[1]
    elements = node.elts if isinstance(node, ast.List | ast.Tuple | ast.Set) else [node]
    return {
        element.value
        for element in elements
        if isinstance(element, ast.Constant) and isinstance(element.value, str)
    }


def _passes_through(body: list[ast.stmt], forward: str) -> bool:
    """Whether a branch hands the request on unchecked: ``return await call_next(request)``."""
    for statement in body:
        if isinstance(statement, ast.Return) and statement.value is not None:
            value = statement.value
            if isinstance(value, ast.Await):
                value = value.value
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == forward
            ):
                return True
    return False
