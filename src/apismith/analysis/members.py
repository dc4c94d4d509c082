"""The classes of the attributes a class keeps on ``self``: ``self.repo = ProductRepository(db)``
makes ``self.repo.search`` a call of ``ProductRepository.search``."""

from __future__ import annotations

import ast
from collections.abc import Callable

from apismith.project.module import Function, Module
from apismith.project.project import Project
from apismith.project.walk import walk

MAX_BASES = 10


def member_type(project: Project, module: Module, klass: ast.ClassDef, attr: str) -> str | None:
    """Qualified class of ``self.<attr>`` in the methods of ``klass`` or of its bases: a
    class-level annotation, or what a method assigns (a constructor call, an annotated
    parameter, an annotated assignment)."""
    for _ in range(MAX_BASES):
        found = _declared(project, module, klass, attr) or _assigned(project, module, klass, attr)
        if found is not None:
            return found
        bases = [project.lookup(project.resolve(module, base) or "") for base in klass.bases]
        classes = [(m, c) for m, c in filter(None, bases) if isinstance(c, ast.ClassDef)]
        if not classes:
            return None
        module, klass = classes[0]
    return None


def holds_input(klass: ast.ClassDef, attr: str, safe: Callable[[ast.expr | None], bool]) -> bool:
    """Whether ``self.<attr>`` may hold text the object was given: a method stores one of its
    parameters there (not one whose annotation ``safe`` accepts, a number or an id), or no
    method sets it (a declared field, a base class's)."""
    assigned = False
    for method in klass.body:
        if not isinstance(method, Function):
            continue
        arguments = method.args
        params = {
            a.arg
            for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
            if a.arg != "self" and not safe(a.annotation)
        }
        for node in walk(method):
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            if any(_is_member(target, attr) for target in targets):
                assigned = True
                if any(isinstance(n, ast.Name) and n.id in params for n in walk(value)):
                    return True
    return not assigned


def _declared(project: Project, module: Module, klass: ast.ClassDef, attr: str) -> str | None:
    for statement in klass.body:
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.target.id == attr
        ):
            return project.annotation_type(module, statement.annotation)
    return None


def _assigned(project: Project, module: Module, klass: ast.ClassDef, attr: str) -> str | None:
    for method in klass.body:
        if not isinstance(method, Function):
            continue
        for node in walk(method):
            if isinstance(node, ast.AnnAssign) and _is_member(node.target, attr):
                return project.annotation_type(module, node.annotation)
            if not isinstance(node, ast.Assign) or not any(
                _is_member(target, attr) for target in node.targets
            ):
                continue
            scope = project.scope(method)
            value = node.value
            if isinstance(value, ast.Name):
                found = scope.types.get(value.id)
            else:
                found = project.type_of(module, value, scope)
            if found is not None:
                return found
    return None


def _is_member(target: ast.expr, attr: str) -> bool:
    return (
        isinstance(target, ast.Attribute)
        and target.attr == attr
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
    )
