"""A memoised ``ast.walk``: rules walk the same functions many times, the tree never changes.

The first walk of a node stores the list of its descendants on the node itself, so the cache
lives exactly as long as the tree and costs nothing to invalidate.
"""

from __future__ import annotations

import ast

_CACHE = "_apismith_descendants"


def walk(node: ast.AST) -> list[ast.AST]:
    """``node`` and every node below it, in the breadth-first order of :func:`ast.walk`."""
    cached: list[ast.AST] | None = node.__dict__.get(_CACHE)
    if cached is not None:
        return cached
    found = [node]
    position = 0
    while position < len(found):
        found.extend(children(found[position]))
        position += 1
    setattr(node, _CACHE, found)
    return found


def children(node: ast.AST) -> list[ast.AST]:
    """The direct children of ``node`` in field order, as :func:`ast.iter_child_nodes` gives."""
    found: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            found.append(value)
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.AST))
    return found
