"""
## What it does
Finds two path operations of the same application registered for the same HTTP method and the
same full path (router and include prefixes applied).

## Why is this bad?
Starlette dispatches to the first matching route, so the second handler is never called: its
code, its dependencies and its documentation are dead, and the OpenAPI schema lists one
operation twice under the same path.

## Known problems
Routes whose path or prefix is computed at run time are skipped. Registrations in the two
branches of one `if` are not reported; other conditional wiring (an `include_router` behind a
feature flag in another module) may be.

## Example
```python
from fastapi import FastAPI

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    return {"id": item_id}


@app.get("/items/{item_id}")
def read_item_with_stock(item_id: int):
    return {"id": item_id, "stock": 0}
```

## Use instead
```python
from fastapi import FastAPI

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    return {"id": item_id}


@app.get("/items/{item_id}/stock")
def read_item_stock(item_id: int):
    return {"id": item_id, "stock": 0}
```

## Fix safety
No automatic fix: decide which handler should serve the path, then remove or move the other.

## References
- https://fastapi.tiangolo.com/tutorial/path-params/#order-matters
- https://www.starlette.io/routing/#route-priority
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from apismith.findings import Confidence, Severity
from apismith.project.constants import constant_str
from apismith.project.module import Module
from apismith.project.routes import Container, Operation
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context


@dataclass(frozen=True, slots=True)
class Step:
    """A call that registers routes: an ``include_router`` call or the route's declaration."""

    module: Module
    node: ast.expr
    owner: ast.AST | None


@dataclass(frozen=True, slots=True)
class Registration:
    """A route as one application registers it, with the chain of calls that put it there."""

    app: str
    method: str
    path: str
    operation: Operation
    certain: bool
    steps: tuple[Step, ...]

    @property
    def declaration(self) -> Step:
        """The decorator (or ``add_api_route`` call) that declares the route."""
        return self.steps[-1]

    @property
    def where(self) -> str:
        """``file:line`` of the declaration."""
        return f"{self.declaration.module.relpath}:{self.declaration.node.lineno}"

    @property
    def label(self) -> str:
        """``GET /path``."""
        return f"{self.method} {self.path}"


Include = tuple[Container, str | None, Step, bool]


def registrations(context: Context) -> list[Registration]:
    """Every route in registration order, per application (mounted apps are apps of their own)."""
    return context.shared(registrations, lambda: _Walker(context).run())


def registered_first(first: Registration, second: Registration) -> bool | None:
    """Whether ``first`` is registered before ``second`` (None when the order cannot be told).

    The order is known where the two chains of calls part in one function of one module.
    """
    for left, right in zip(first.steps, second.steps, strict=False):
        if left.node is right.node:
            continue
        if left.module is not right.module or left.owner is not right.owner:
            return None
        return (left.node.lineno, left.node.col_offset) < (right.node.lineno, right.node.col_offset)
    return None


def exclusive(first: Registration, second: Registration) -> bool:
    """Whether the two chains part in the two branches of one ``if`` statement."""
    for left, right in zip(first.steps, second.steps, strict=False):
        if left.node is right.node:
            continue
        if left.module is not right.module:
            return False
        parents = _parents(left.module)
        branches = dict(_branches(parents, left.node))
        return any(
            key in branches and branches[key] != branch
            for key, branch in _branches(parents, right.node)
        )
    return False


_PARENTS = "_apismith_parents"


def _parents(module: Module) -> dict[int, ast.AST]:
    """Parent of every node of a module, by ``id``; kept on the tree, so it goes with it."""
    found: dict[int, ast.AST] | None = module.tree.__dict__.get(_PARENTS)
    if found is None:
        found = {
            id(child): node for node in walk(module.tree) for child in ast.iter_child_nodes(node)
        }
        setattr(module.tree, _PARENTS, found)
    return found


def _branches(parents: dict[int, ast.AST], node: ast.AST) -> list[tuple[int, bool]]:
    """``(id of an enclosing if, whether node is in its body)`` for every enclosing ``if``."""
    found: list[tuple[int, bool]] = []
    child, parent = node, parents.get(id(node))
    while parent is not None:
        if isinstance(parent, ast.If) and child is not parent.test:
            found.append((id(parent), any(child is statement for statement in parent.body)))
        child, parent = parent, parents.get(id(parent))
    return found


class _Walker:
    """Walks apps and routers the way FastAPI copies routes on ``include_router``."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.model = context.routes
        self.includes: dict[str, list[Include]] = {}
        self.declared: dict[int, Module] = {}
        names: dict[str, int] = {}
        for module in context.project.modules:
            names[module.name] = names.get(module.name, 0) + 1
        # Modules sharing a dotted name (namespace packages) get their routers mixed up.
        self.ambiguous = {name for name, count in names.items() if count > 1}
        for module in context.project.modules:
            if not module.is_test and module.imports_any("fastapi"):
                self._scan(module)

    def _scan(self, module: Module) -> None:
        for call, owner in module.index.calls:
            func = call.func
            if not isinstance(func, ast.Attribute):
                continue
            if func.attr == "add_api_route":
                self.declared[id(call)] = module
            if func.attr not in {"include_router", "mount"}:
                continue
            parent = self.model.container_for(module, func.value, owner)
            child_node = _argument(call, 0 if func.attr == "include_router" else 1, "router", "app")
            if parent is None or child_node is None:
                continue
            child = self.model.container_for(module, child_node, owner)
            prefix_node = (
                _argument(call, -1, "prefix")
                if func.attr == "include_router"
                else _argument(call, 0, "path")
            )
            prefix = self._text(module, prefix_node) if prefix_node is not None else ""
            if child is not None:
                step = Step(module, call, owner)
                self.includes.setdefault(parent.qualname, []).append(
                    (child, prefix, step, func.attr == "mount")
                )

    def _text(self, module: Module, node: ast.expr | None) -> str | None:
        """The constant a path or prefix expression evaluates to (None when unknown or absent)."""
        return constant_str(self.context.project, module, node) if node is not None else None

    def run(self) -> list[Registration]:
        containers = self.model.containers.values()
        roots = [c for c in containers if c.kind == "app" and not c.parents]
        if not roots:
            roots = [c for c in containers if not c.parents]
        found: list[Registration] = []
        for root in roots:
            self._walk(root, root.qualname, "", True, (), frozenset(), found)
        return found

    def _walk(
        self,
        container: Container,
        app: str,
        prefix: str,
        certain: bool,
        steps: tuple[Step, ...],
        seen: frozenset[str],
        found: list[Registration],
    ) -> None:
        if container.qualname in seen:
            return
        seen = seen | {container.qualname}
        prefix_node = _argument(container.node, -1, "prefix")
        own = self._text(container.module, prefix_node) if prefix_node is not None else ""
        base, certain = prefix + (own or ""), certain and own is not None
        certain = certain and container.module.name not in self.ambiguous
        for operation in container.operations:
            module = self._declared_in(operation)
            declaration = operation.decorator
            if not isinstance(declaration, ast.Call):
                continue
            path_node = _argument(declaration, 0, "path")
            sure = certain and self._text(module, path_node) is not None
            sure = sure and _literal_methods(declaration) and module.name not in self.ambiguous
            owner = (
                module.index.function_owner.get(id(operation.handler))
                if module is operation.module
                else self._call_owner(module, declaration)
            )
            step = Step(module, declaration, owner)
            for method in operation.methods:
                found.append(
                    Registration(
                        app, method, base + operation.path, operation, sure, (*steps, step)
                    )
                )
        for child, include_prefix, step, mount in self.includes.get(container.qualname, []):
            if mount:
                path = prefix + (include_prefix or "")
                sure = certain and include_prefix is not None
                self._walk(child, f"{app}@{path}", path, sure, (), seen, found)
            else:
                self._walk(
                    child,
                    app,
                    base + (include_prefix or ""),
                    certain and include_prefix is not None,
                    (*steps, step),
                    seen,
                    found,
                )

    def _declared_in(self, operation: Operation) -> Module:
        if any(d is operation.decorator for d in operation.handler.decorator_list):
            return operation.module
        return self.declared.get(id(operation.decorator), operation.module)

    @staticmethod
    def _call_owner(module: Module, call: ast.expr) -> ast.AST | None:
        return next((owner for node, owner in module.index.calls if node is call), None)


def _argument(call: ast.Call, position: int, *names: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in names:
            return keyword.value
    if 0 <= position < len(call.args):
        return call.args[position]
    return None


def _literal_methods(call: ast.Call) -> bool:
    """Whether a ``methods=`` argument, if any, is a literal list of strings."""
    methods = _argument(call, -1, "methods")
    return methods is None or (
        isinstance(methods, ast.List | ast.Tuple | ast.Set)
        and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in methods.elts)
    )


def handler_name(registration: Registration) -> str:
    """The name of the route's handler function."""
    return registration.operation.handler.name


class DuplicateRoute(Rule):
    id = "COR001"
    name = "duplicate-route"
    family = "correctness"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    fix_title = "Remove or re-path one of the two operations; only the first one ever runs."

    def check_project(self, context: Context) -> Iterable[Report]:
        first: dict[tuple[str, str, str], Registration] = {}
        for registration in registrations(context):
            if not registration.certain:
                continue
            key = (registration.app, registration.method, registration.path)
            earlier = first.get(key)
            if earlier is None:
                first[key] = registration
                continue
            if earlier.operation is registration.operation or exclusive(earlier, registration):
                continue
            if registered_first(earlier, registration) is False:
                earlier, registration = registration, earlier
            yield Report(
                registration.declaration.module,
                registration.declaration.node,
                f"`{registration.label}` is already registered by "
                f"`{handler_name(earlier)}` ({earlier.where}), so "
                f"`{handler_name(registration)}` never receives these requests",
            )
