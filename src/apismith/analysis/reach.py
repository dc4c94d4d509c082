"""Which project functions run while a request is handled: route handlers, their dependencies
and every project function they call or hand to a deferred runner (``add_task``,
``run_in_threadpool``), transitively."""

from __future__ import annotations

import ast

from apismith.analysis.blocking import BlockingCalls, own_nodes
from apismith.project.module import Function, Module
from apismith.project.routes import RouteModel


def request_functions(routes: RouteModel, analysis: BlockingCalls) -> set[int]:
    """``id`` of every function reachable from a path operation or one of its dependencies."""
    stack: list[tuple[Module, Function]] = []
    for route in routes.routes:
        stack.append((route.module, route.handler))
        for dependency in route.all_dependencies:
            stack.extend(n.function for n in dependency.closure() if n.function is not None)
    seen: set[int] = set()
    project = analysis.project
    while stack:
        module, function = stack.pop()
        if id(function) in seen:
            continue
        seen.add(id(function))
        scope = project.scope(function)
        for node in own_nodes(function):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                stack.append((module, node))
            if not isinstance(node, ast.Call):
                continue
            target = _target(analysis, module, function, node.func)
            if target is not None:
                stack.append(target)
            for argument in node.args:
                if isinstance(argument, ast.Name | ast.Attribute):
                    passed = project.function(project.resolve(module, argument, scope))
                    if passed is not None:
                        stack.append(passed)
    return seen


class Callers:
    """Whether some call of the project runs a given project function, answered per function.

    Only the calls spelled like the function (its name, or a name the project imports it as)
    are resolved (``Project.calls_spelled``). A constructor is the exception: ``Sub()`` runs
    the ``__init__`` ``Sub`` inherits, whatever its name, so for ``__init__`` every call is
    resolved, once.
    """

    def __init__(self, analysis: BlockingCalls) -> None:
        self.analysis = analysis
        self._every: set[int] | None = None  # every function called, once computed

    def calls(self, function: Function) -> bool:
        """Whether some call of the project runs ``function``."""
        project = self.analysis.project
        if function.name == "__init__":
            if self._every is None:
                self._every = {
                    id(target[1])
                    for module in project.modules
                    for call, owner in module.index.calls
                    if (target := _target(self.analysis, module, owner, call.func)) is not None
                }
            return id(function) in self._every
        module = project.module_of(function)
        names = {function.name}
        if id(function) not in module.index.method_class:
            names |= project.spellings(frozenset({f"{module.name}.{function.name}"}))
        return any(
            (target := _target(self.analysis, caller, owner, call.func)) is not None
            and target[1] is function
            for caller, call, owner in project.calls_spelled(names)
        )


def _target(
    analysis: BlockingCalls, module: Module, owner: Function | None, func: ast.expr
) -> tuple[Module, Function] | None:
    """The project function a call runs, by name: a function, a method of the caller's own
    class or of a typed receiver, or the ``__init__`` of a project class."""
    project = analysis.project
    if (
        owner is not None
        and isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in {"self", "cls"}
    ):
        klass = module.index.method_class.get(id(owner))
        return analysis.method(module, klass, func.attr) if klass is not None else None
    name = project.resolve(module, func, project.scope(owner) if owner is not None else None)
    found = project.lookup(name) if name is not None else None
    if found is None and name is not None:
        holder = project.lookup(name.rpartition(".")[0])
        if holder is not None and isinstance(holder[1], ast.ClassDef):
            return analysis.method(holder[0], holder[1], name.rpartition(".")[2])
        return None
    if found is not None and isinstance(found[1], ast.ClassDef):
        return analysis.method(found[0], found[1], "__init__")
    if found is not None and isinstance(found[1], ast.FunctionDef | ast.AsyncFunctionDef):
        return found[0], found[1]
    return None
