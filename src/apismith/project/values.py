"""What a local name holds at a point of a function, as far as straight-line code tells."""

from __future__ import annotations

import ast

from apismith.project.module import Function
from apismith.project.walk import walk


def last_assignment(function: Function | None, name: ast.Name) -> ast.expr | None:
    """The value last assigned to a local name before ``name`` reads it."""
    if function is None:
        return None
    found: ast.Assign | None = None
    for node in walk(function):
        if (
            isinstance(node, ast.Assign)
            and (node.lineno, node.col_offset) < (name.lineno, name.col_offset)
            and any(isinstance(t, ast.Name) and t.id == name.id for t in node.targets)
            and (found is None or node.lineno > found.lineno)
        ):
            found = node
    return found.value if found is not None else None


def last_assigned_anywhere(function: Function, name: str) -> ast.expr | None:
    """The value of the last plain assignment to ``name`` anywhere in ``function``."""
    value: ast.expr | None = None
    for node in walk(function):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            value = node.value
    return value


def literal_keys(node: ast.expr | None) -> set[str]:
    """String keys or elements of a literal set, dict, list or tuple."""
    if isinstance(node, ast.Dict):
        elements: list[ast.expr | None] = list(node.keys)
    elif isinstance(node, ast.Set | ast.List | ast.Tuple):
        elements = list(node.elts)
    else:
        return set()
    return {e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)}
