"""Static evaluation of string constants: route paths, prefixes, settings defaults."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from apismith.project.module import Module
from apismith.project.project import Project, Scope

Bindings = Mapping[str, tuple[Module, ast.expr]]


def constant_str(
    project: Project,
    module: Module,
    node: ast.expr,
    depth: int = 0,
    env: Bindings | None = None,
    scope: Scope | None = None,
) -> str | None:
    """The string an expression always evaluates to, or None when it cannot be told.

    ``env`` binds local names (a factory's parameters) to the expressions they were given;
    ``scope`` gives the types of a function's locals (``settings = get_settings()``).
    """
    if depth > 10:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                inner = constant_str(project, module, value.value, depth + 1, env, scope)
                if inner is None:
                    return None
                parts.append(inner)
            else:
                part = constant_str(project, module, value, depth + 1, env, scope)
                parts.append(part or "")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = constant_str(project, module, node.left, depth + 1, env, scope)
        right = constant_str(project, module, node.right, depth + 1, env, scope)
        return left + right if left is not None and right is not None else None
    if env and isinstance(node, ast.Name) and node.id in env:
        owner, bound = env[node.id]
        return constant_str(project, owner, bound, depth + 1)
    if isinstance(node, ast.Name | ast.Attribute):
        return _named_constant(project, module, node, depth, scope)
    return None


def _named_constant(
    project: Project,
    module: Module,
    node: ast.Name | ast.Attribute,
    depth: int,
    scope: Scope | None,
) -> str | None:
    if isinstance(node, ast.Attribute):
        owner_type = project.type_of(module, node.value, scope)
        qualname = f"{owner_type}.{node.attr}" if owner_type else project.resolve(module, node)
    else:
        qualname = project.resolve(module, node)
    found = project.lookup(qualname) if qualname else None
    if found is None:
        return None
    owner, value = found
    if isinstance(value, ast.AnnAssign):
        return None
    if isinstance(value, ast.expr):
        return constant_str(project, owner, value, depth + 1)
    return None
