"""A memoised ``ast.walk``: rules walk the same functions many times, the tree never changes.

The first walk of a node stores the list of its descendants on the node itself, so the cache
lives exactly as long as the tree and costs nothing to invalidate. Context and operator markers
(``Load``, ``Store``, ``Add``, ``Eq``...) are left out: a third of all nodes, and no analysis
looks at them except through their parent's ``ctx``, ``op`` or ``ops``.
"""

from __future__ import annotations

import ast

_CACHE = "_apismith_descendants"
_MARKERS = frozenset({"ctx", "op", "ops"})
_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def walk(node: ast.AST) -> list[ast.AST]:
    """``node`` and every node below it, in the breadth-first order of :func:`ast.walk`."""
    cached: list[ast.AST] | None = node.__dict__.get(_CACHE)
    if cached is not None:
        return cached
    found = [node]
    position = 0
    while position < len(found):
        found += children(found[position])
        position += 1
    setattr(node, _CACHE, found)
    return found


def children(node: ast.AST) -> list[ast.AST]:
    """The direct children of ``node`` in field order, markers left out."""
    kind = type(node)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(name for name in kind._fields if name not in _MARKERS)
    found: list[ast.AST] = []
    for name in names:
        value = getattr(node, name, None)
        if type(value) is list:
            found += [item for item in value if isinstance(item, ast.AST)]
        elif isinstance(value, ast.AST):
            found.append(value)
    return found
