"""The slow path for grammar newer than the running Python: rewrite with libcst, keep lines.

libcst's native parser knows the newer grammar; a transformer rewrites only the newer
constructs into their 3.11 equivalents (dropping type parameters, parenthesising
``except A, B:``, re-quoting f-strings) without moving any line, and ``ast`` parses the result.
:mod:`apismith.project.downgrade` makes the same rewrite without libcst for the code its scanner
understands; the two must stay in step.
"""

from __future__ import annotations

import ast
from typing import TypeVar

import libcst as cst
from libcst import ParserSyntaxError

from apismith.project.downgrade import PLACEHOLDER, Splice, requoted

__all__ = ["ParserSyntaxError", "parse_rewritten"]

_CODEGEN = cst.Module(body=[])
_NO_SPACE = cst.SimpleWhitespace("")
_Definition = TypeVar("_Definition", cst.FunctionDef, cst.ClassDef)


def parse_rewritten(source: str, filename: str) -> ast.Module:
    downgrade = _Downgrade()
    code = cst.parse_module(source).visit(downgrade).code
    if len(code.splitlines()) != len(source.splitlines()):  # libcst drops lines of a lone "\\"
        raise SyntaxError("the rewritten code would not keep the line numbers")
    tree = ast.parse(code, filename)
    Splice(downgrade.fields).visit(tree)
    return tree


def _code(node: cst.CSTNode) -> str:
    return _CODEGEN.code_for_node(node)


def _continuations(removed: str) -> str:
    """Backslash continuations standing in for the line breaks of removed code."""
    return "\\\n" * removed.count("\n")


def _drop_type_parameters(node: _Definition) -> _Definition:
    if node.type_parameters is None:
        return node
    removed = _continuations(_code(node.type_parameters))
    after = node.whitespace_after_name.value + removed + node.whitespace_after_type_parameters.value
    return node.with_changes(
        whitespace_after_name=cst.SimpleWhitespace(after),
        type_parameters=None,
        whitespace_after_type_parameters=_NO_SPACE,
    )


def _parenthesized(node: cst.BaseExpression | None) -> cst.BaseExpression | None:
    if isinstance(node, cst.Tuple) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


class _Downgrade(cst.CSTTransformer):
    """Rewrite post-3.11 syntax into 3.11 syntax without moving any line."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}  # placeholder name -> code of the field it replaces
        self.quotes: list[str] = []  # closing quotes of the f-strings around the current node

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        return _drop_type_parameters(updated_node)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        return _drop_type_parameters(updated_node)

    def leave_TypeAlias(
        self, original_node: cst.TypeAlias, updated_node: cst.TypeAlias
    ) -> cst.Assign:
        # Everything up to the value, whose line breaks the continuations stand in for.
        head = updated_node.with_changes(value=cst.Name("v"), semicolon=cst.MaybeSentinel.DEFAULT)
        before_equal = cst.SimpleWhitespace(" " + _continuations(_code(head)))
        target = cst.AssignTarget(updated_node.name, whitespace_before_equal=before_equal)
        return cst.Assign([target], updated_node.value, semicolon=updated_node.semicolon)

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        return updated_node.with_changes(type=_parenthesized(updated_node.type))

    def leave_ExceptStarHandler(
        self, original_node: cst.ExceptStarHandler, updated_node: cst.ExceptStarHandler
    ) -> cst.ExceptStarHandler:
        return updated_node.with_changes(type=_parenthesized(updated_node.type))

    def leave_FormattedStringExpression(
        self,
        original_node: cst.FormattedStringExpression,
        updated_node: cst.FormattedStringExpression,
    ) -> cst.FormattedStringExpression:
        node = updated_node
        before, code = _code(node.whitespace_before_expression), _code(node.expression)
        after = _code(node.whitespace_after_expression)
        after += "" if node.equal is None else _code(node.equal)  # f"{x = }" debug fields
        text = before + code + after
        if "\\" not in text and "#" not in text:
            return node  # 3.11 accepts neither anywhere in a replacement field
        name = PLACEHOLDER.format(len(self.fields))
        self.fields[name] = code
        # Same line breaks, and the name where the field's code starts on its line.
        lines_before, indent = before.count("\n"), " " * len(before.rsplit("\n", 1)[-1])
        lines_after = (code + after).count("\n")
        placeholder = "(" + "\n" * lines_before + indent + name + "\n" * lines_after + ")"
        return node.with_changes(
            whitespace_before_expression=_NO_SPACE,
            expression=cst.parse_expression(placeholder),
            whitespace_after_expression=_NO_SPACE,
            equal=node.equal and cst.AssignEqual(_NO_SPACE, _NO_SPACE),
        )

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        self.quotes.append(node.end)
        return True

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.FormattedString:
        self.quotes.pop()
        node, quote = updated_node, updated_node.end
        outer = {enclosing for enclosing in self.quotes if len(enclosing) == 3}  # these stay
        fields = "".join(
            _code(part) for part in node.parts if isinstance(part, cst.FormattedStringExpression)
        )
        parts = "".join(_code(part) for part in node.parts)
        delimiter = requoted(quote, fields, parts, outer)
        if delimiter is None:
            return node
        return node.with_changes(start=node.start[: -len(quote)] + delimiter, end=delimiter)
