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
        frame = analysis.frame(module, function)
        for node in own_nodes(function):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                stack.append((module, node))
            if not isinstance(node, ast.Call):
                continue
            target = analysis.callee(frame, node)
            if target is not None:
                stack.append(target)
            for argument in node.args:
                if isinstance(argument, ast.Name | ast.Attribute):
                    passed = project.function(project.resolve(module, argument, frame.scope))
                    if passed is not None:
                        stack.append(passed)
    return seen


def called_functions(analysis: BlockingCalls) -> set[int]:
    """``id`` of every project function that some call of the project runs."""
    project = analysis.project
    found: set[int] = set()
    for module in project.modules:
        for call, owner in module.index.calls:
            scope = project.scope(owner) if owner is not None else None
            target = project.function(project.resolve(module, call.func, scope))
            if target is None and owner is not None:
                target = analysis.callee(analysis.frame(module, owner), call)
            if target is not None:
                found.add(id(target[1]))
    return found
