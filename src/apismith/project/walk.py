"""A memoised ``ast.walk``: rules walk the same functions many times, the tree never changes.

The first walk of a node stores the list of its descendants on the node itself, so the cache
lives exactly as long as the tree and costs nothing to invalidate. Context and operator markers
(``Load``, ``Store``, ``Add``, ``Eq``...) are left out: a third of all nodes, and no analysis
looks at them except through their parent's ``ctx``, ``op`` or ``ops``.
"""

from __future__ import annotations

import ast
import re

_CACHE = "_apismith_descendants"
_MARKERS = frozenset({"ctx", "op", "ops"})
# Field types of the ``ast`` grammar that hold no node (``Name(identifier id, ...)``).
_PLAIN = frozenset({"identifier", "string", "constant", "int", "object", "bytes"})
_FIELD = re.compile(r"(\w+)([*?]?) (\w+)")
_NODE, _LIST, _UNKNOWN = "node", "list", "unknown"
# For each node type: its fields that may hold nodes, with their shape.
_SPECS: dict[type[ast.AST], tuple[tuple[str, str], ...]] = {}


def walk(node: ast.AST) -> list[ast.AST]:
    """``node`` and every node below it, in the breadth-first order of :func:`ast.walk`."""
    cached: list[ast.AST] | None = node.__dict__.get(_CACHE)
    if cached is not None:
        return cached
    found = [node]
    extend = found.extend
    for below in found:  # the list grows as it is read: breadth first
        extend(children(below))
    setattr(node, _CACHE, found)
    return found


def children(node: ast.AST) -> list[ast.AST]:
    """The direct children of ``node`` in field order, markers left out."""
    kind = type(node)
    spec = _SPECS.get(kind)
    if spec is None:
        spec = _SPECS[kind] = _spec(kind)
    found: list[ast.AST] = []
    for name, shape in spec:
        value = getattr(node, name, None)
        if shape is _LIST:
            if value:  # ``Dict.keys`` and ``arguments.kw_defaults`` may hold None
                found += value if None not in value else [v for v in value if v is not None]
        elif shape is _NODE:
            if value is not None:
                found.append(value)
        elif type(value) is list:
            found += [item for item in value if isinstance(item, ast.AST)]
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def _spec(kind: type[ast.AST]) -> tuple[tuple[str, str], ...]:
    """The fields of ``kind`` that may hold nodes and their shape, read from the grammar line
    of its docstring (``Dict(expr* keys, expr* values)``); unknown when it has none."""
    line = (kind.__doc__ or "").partition("\n")[0]
    fields = line.partition("(")[2].rpartition(")")[0]
    declared = {name: (grammar, mark) for grammar, mark, name in _FIELD.findall(fields)}
    spec: list[tuple[str, str]] = []
    for name in kind._fields:
        if name in _MARKERS:
            continue
        grammar, mark = declared.get(name, ("", "?"))
        if grammar in _PLAIN:
            continue
        spec.append((name, _UNKNOWN if not grammar else _LIST if mark == "*" else _NODE))
    return tuple(spec)
