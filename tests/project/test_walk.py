"""The memoised walk visits what ``ast.walk`` visits, in the same order, markers left out."""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from apismith.project.walk import children, walk

SOURCES = [
    "def f(a, *b, c=1, **d):\n    return [x async for x in y if x] or {k: v for k, v in z}\n",
    "class A(B, metaclass=M):\n    x: int = 1\n    def g(self):\n        with a as b, c:\n"
    "            pass\n",
    "match p:\n    case [1, *rest] | {'k': v}:\n        pass\n"
    "    case _:\n        raise E from e\n",
    "x = f'{a!r:>{w}}' + (lambda q: q)(1)\n",
    "y += -a if not (b < c <= d and e or f) else ~g @ h\n",
    # ``Dict.keys`` and ``arguments.kw_defaults`` hold None beside nodes
    "d = {**a, 'k': 1}\ndef h(*, a, b=2):\n    global g\n    import m as n\n    del d[0]\n",
    "try:\n    pass\nexcept* (A, B) as e:\n    yield from x\nfinally:\n    assert y, z\n",
]


MARKERS = (ast.expr_context, ast.operator, ast.cmpop, ast.boolop, ast.unaryop)


def _meaningful(nodes: list[ast.AST]) -> list[ast.AST]:
    return [node for node in nodes if not isinstance(node, MARKERS)]


@settings(max_examples=40)
@given(st.sampled_from(SOURCES), st.integers(min_value=0, max_value=60))
def test_walk_matches_ast_walk_from_any_node(source: str, pick: int) -> None:
    tree = ast.parse(source)
    nodes = list(ast.walk(tree))
    start = _meaningful(nodes)[pick % len(_meaningful(nodes))]
    expected = _meaningful(list(ast.walk(start)))
    assert walk(start) == expected
    assert walk(start) is walk(start)  # memoised: the second call returns the stored list


@given(st.sampled_from(SOURCES))
def test_children_match_iter_child_nodes(source: str) -> None:
    for node in ast.walk(ast.parse(source)):
        assert children(node) == _meaningful(list(ast.iter_child_nodes(node)))


class _Unknown(ast.AST):
    """A node type with no grammar line in its docstring: every field is examined."""

    _fields = ("single", "many", "text")


def test_children_of_a_node_type_without_grammar() -> None:
    first, second, third = ast.Name("a"), ast.Name("b"), ast.Constant(1)
    node = _Unknown()
    node.single, node.many, node.text = first, [second, "not a node", third], "plain"  # type: ignore[attr-defined]
    assert children(node) == [first, second, third]
