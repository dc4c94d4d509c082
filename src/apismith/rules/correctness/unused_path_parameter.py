"""
## What it does
Finds a `{name}` in a route's full path (prefixes included) that neither the handler nor any
dependency it uses reads: no parameter of that name in the handler or in a dependency function
(however deep), and no `request.path_params["name"]`.

## Why is this bad?
The value the client puts in the path is thrown away. Usually the handler's parameter is
misspelled (`{item_id}` in the path, `id` in the signature): FastAPI then treats `id` as a
required query parameter, and every call answers 422. When a prefix carries the parameter
(`/orgs/{org_id}/...`), the handler serves every organisation's data without checking which
one was asked for.

## Known problems
Dependencies that the analysis cannot see into (from installed libraries, or built by a factory
call) may read the parameter, so routes using them are skipped, as are handlers that are methods
of a class-based view and handlers serving pages (HTML, templates, files, or one handler for
several paths: a single-page app's client-side router reads those parameters).

## Example
```python
from fastapi import FastAPI

app = FastAPI()


@app.get("/orders/{order_id}/items/{item_id}")
def read_order_item(item_id: int):
    return {"item": item_id}
```

## Use instead
```python
from typing import Annotated

from fastapi import Depends, FastAPI

app = FastAPI()


def valid_order(order_id: int) -> int:
    return order_id


@app.get("/orders/{order_id}/items/{item_id}")
def read_order_item(order: Annotated[int, Depends(valid_order)], item_id: int):
    return {"order": order, "item": item_id}
```

## Fix safety
No automatic fix: rename the handler's parameter, or read and check the value.

## References
- https://fastapi.tiangolo.com/tutorial/path-params/
- https://docs.astral.sh/ruff/rules/fast-api-unused-path-parameter/
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.module import Function
from apismith.project.routes import PATH_PARAM, Dependency, Route
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

EVERYTHING = "*"
PAGES = ("TemplateResponse", "HTMLResponse", "FileResponse")
PATH_READERS = ("path_params", "compile_path", "path_regex")


class UnusedPathParameter(Rule):
    id = "COR003"
    name = "unused-path-parameter"
    family = "correctness"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    fix_title = "Declare a handler (or dependency) parameter with the path parameter's name."

    def check_project(self, context: Context) -> Iterable[Report]:
        seen: set[tuple[int, str]] = set()
        reads: tuple[set[str], bool] | None = None
        for route in context.routes.routes:
            names = route.path_params
            if not names or _is_method(route.handler) or _serves_pages(context, route):
                continue
            consumed = _consumed(context, route)
            if consumed is None:
                continue
            own = set(PATH_PARAM.findall(route.operation.path))
            for name in names:
                key = (id(route.operation.decorator), name)
                if name in consumed or key in seen:
                    continue
                if reads is None:
                    reads = _project_reads(context)
                if name in reads[0] or (reads[1] and name not in own):
                    continue
                seen.add(key)
                yield Report(
                    route.module,
                    route.operation.decorator,
                    f"path parameter `{{{name}}}` of `{route.method} {route.path}` is read "
                    f"neither by `{route.handler.name}` nor by its dependencies",
                )


def _serves_pages(context: Context, route: Route) -> bool:
    """Whether the handler renders a page for several paths or returns HTML or a file: a
    single-page app's shell ignores the parameters its client-side router reads."""
    handler = route.handler
    paths = {r.operation.path for r in context.routes_of(handler)}
    if len(paths) > 1:
        return True
    response_class = route.keyword("response_class")
    if response_class is not None and ast.unparse(response_class).endswith(PAGES):
        return True
    return any(
        isinstance(node, ast.Return)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func).endswith(PAGES)
        for node in walk(handler)
    )


def _project_reads(context: Context) -> tuple[set[str], bool]:
    """Names read by key from ``path_params`` anywhere in the project, and whether code outside
    handlers and dependencies (a middleware, a permission helper) parses paths in other ways."""
    inside = set(context.dependency_functions) | {id(r.handler) for r in context.routes.routes}
    keys: set[str] = set()
    dynamic = False
    for module in context.project.modules:
        if module.is_test or not any(word in module.source for word in PATH_READERS):
            continue
        for function in module.index.functions:
            found = _keyed_reads(function)
            keys |= found - {EVERYTHING}
            dynamic = dynamic or (EVERYTHING in found and id(function) not in inside)
    return keys, dynamic


def _keyed_reads(function: Function) -> set[str]:
    """Constant keys a function reads from ``path_params``; ``*`` for any other path parsing."""
    found: set[str] = set()
    keyed: set[int] = set()
    for node in walk(function):
        key: ast.expr | None = None
        if isinstance(node, ast.Subscript) and _is_path_params(node.value):
            key, keyed = node.slice, keyed | {id(node.value)}
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and _is_path_params(node.func.value)
            and node.args
        ):
            key, keyed = node.args[0], keyed | {id(node.func.value)}
        if key is not None:
            text = key.value if isinstance(key, ast.Constant) else None
            found.add(text if isinstance(text, str) else EVERYTHING)
    for node in walk(function):
        if id(node) not in keyed and _parses_paths(node):
            found.add(EVERYTHING)
    return found


def _is_path_params(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "path_params"


def _parses_paths(node: ast.AST) -> bool:
    return (
        (isinstance(node, ast.Attribute) and node.attr in PATH_READERS)
        or (isinstance(node, ast.Name) and node.id in PATH_READERS)
        or (isinstance(node, ast.Constant) and node.value in PATH_READERS)
    )


def _consumed(context: Context, route: Route) -> set[str] | None:
    """Path parameter names the route reads; None when it may read any of them."""
    found = _names(route.handler)
    for dependency in route.all_dependencies:
        for node in dependency.closure():
            names = _dependency_names(context, node)
            if names is None:
                return None
            found |= names
    return None if EVERYTHING in found else found


def _dependency_names(context: Context, dependency: Dependency) -> set[str] | None:
    if dependency.scheme is not None:
        return set()
    if dependency.function is None:
        return _class_fields(context, dependency.target)
    _, function = dependency.function
    target = _target(dependency.node)
    if _is_factory(function) or (
        isinstance(target, ast.Call) and function.name not in {"__call__", "__init__"}
    ):
        return None
    return _names(function) | dependency.path_reads


def _class_fields(context: Context, qualname: str | None) -> set[str] | None:
    """Field names of a pydantic model or dataclass used as ``Depends()`` (None if unknown)."""
    info = context.classes.get(qualname)
    if info is not None:
        return set(info.fields)
    found = context.project.lookup(qualname) if qualname else None
    if found is None or not isinstance(found[1], ast.ClassDef) or found[1].bases:
        return None
    return {
        s.target.id
        for s in found[1].body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    }


def _target(node: ast.expr) -> ast.expr | None:
    if not isinstance(node, ast.Call):
        return None
    for keyword in node.keywords:
        if keyword.arg == "dependency":
            return keyword.value
    return node.args[0] if node.args else None


def _names(function: Function) -> set[str]:
    """Parameter names and ``alias=`` values of a function; everything if it parses paths."""
    arguments = function.args
    found = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    if arguments.kwarg is not None or _reads_path_params(function):
        found.add(EVERYTHING)
    for node in walk(function.args):
        value = node.value if isinstance(node, ast.keyword) and node.arg == "alias" else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.add(value.value)
    return found


def _reads_path_params(function: Function) -> bool:
    """Whether a function reads ``request.path_params`` or matches paths itself."""
    return any(_parses_paths(node) for node in walk(function))


def _is_factory(function: Function) -> bool:
    """Whether a function returns a function it defines (a dependency factory)."""
    inner = {
        n.name for n in walk(function) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    return any(
        isinstance(n, ast.Return)
        and (
            isinstance(n.value, ast.Lambda)
            or (isinstance(n.value, ast.Name) and n.value.id in inner)
        )
        for n in walk(function)
    )


def _is_method(function: Function) -> bool:
    arguments = [*function.args.posonlyargs, *function.args.args]
    return bool(arguments) and arguments[0].arg in {"self", "cls"}
