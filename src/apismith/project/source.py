"""Read, decode and parse one Python file, including syntax newer than the running interpreter.

``ast.parse`` is the fast path. When it fails, libcst (whose parser knows newer grammar) parses the
file and the post-3.11 constructs are rewritten into 3.11 syntax on the same lines, so every
statement keeps its line number:

- PEP 695/696 type parameters are dropped and ``type X[T] = v`` becomes ``X = v``;
- PEP 758 ``except A, B:`` becomes ``except (A, B):``;
- PEP 701 f-strings whose replacement fields use the delimiter quote or span lines get other
  quotes (triple quotes if they span lines); a field holding a backslash or a comment is
  replaced by a placeholder name, parsed on its own and spliced back into the tree in its place.

Bounds and defaults go with the type parameters. F-strings that 3.11 cannot express at all (format
specs nested two deep, nesting that runs out of quotes) still raise ``SourceError``.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import stat
import tokenize
import warnings
from pathlib import Path
from typing import TypeVar

import libcst as cst

from apismith.errors import SourceError

MAX_BYTES: int = 5 * 1024 * 1024

_MB = 1024 * 1024
_PLACEHOLDER = "__apismith_field_{}__"
_CODEGEN = cst.Module(body=[])
_NO_SPACE = cst.SimpleWhitespace("")
_Definition = TypeVar("_Definition", cst.FunctionDef, cst.ClassDef)


def decode_source(data: bytes) -> str:
    """Decode source bytes as CPython does: UTF-8 BOM, PEP 263 coding cookie, else UTF-8."""
    if b"\x00" in data:
        raise SourceError("binary file (contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if not error.msg.startswith("invalid or missing encoding declaration"):
            raise SourceError(error.msg) from None  # unknown encoding, cookie vs. BOM
        encoding = "utf-8"  # undecodable bytes in the first two lines: decoding says where
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        name = "utf-8" if encoding == "utf-8-sig" else encoding
        raise SourceError(
            f"not valid {name}: {error.reason} at byte offset {error.start}"
        ) from None
    except LookupError as error:  # a codec that is not a text encoding, such as rot13
        raise SourceError(f"unusable encoding {encoding}: {error}") from None


def read_source(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """Read and decode one file; refuse files over ``max_bytes`` and special files."""
    try:
        info = path.stat()
        if info.st_size > max_bytes:
            size, limit = info.st_size / _MB, max_bytes / _MB
            raise SourceError(f"file too large ({size:.1f} MB > {limit:.1f} MB limit)")
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            raise SourceError("not a regular file")  # a FIFO would block, a device never end
        data = path.read_bytes()  # a directory fails here, with the OS reason
    except OSError as error:
        raise SourceError(error.strerror or str(error)) from None
    return decode_source(data)


def parse_python(source: str, filename: str) -> ast.Module:
    """Parse ``source``; on a syntax error, retry with post-3.11 constructs rewritten."""
    with warnings.catch_warnings(action="ignore"):  # warnings about the code are not findings
        try:
            return ast.parse(source, filename)
        except SyntaxError as error:
            original = error
        except ValueError as error:  # such as a lone surrogate, which cannot be encoded
            raise SourceError(f"cannot parse: {error}") from None
        except (RecursionError, MemoryError):  # CPython's own nesting limits
            raise SourceError("cannot parse: too deeply nested") from None
        repaired = _repair_lines(source, filename, original)
        if repaired is not None:
            return repaired
        # libcst's native parser overflows the C stack on nesting this deep; no Python accepts it.
        if original.msg != "too many nested parentheses":
            with contextlib.suppress(
                cst.ParserSyntaxError, SyntaxError, ValueError, RecursionError, MemoryError
            ):
                return _parse_rewritten(source, filename)
    raise SourceError(f"syntax error: {original.msg}", original.lineno, original.offset)


_EXCEPT_TUPLE = re.compile(r"^(\s*except\*?\s+)(?!\()([^:#]+?,[^:#]+?)(\s+as\s+\w+)?(\s*:)")
_TYPE_ALIAS = re.compile(r"^(\s*)type\s+(\w+)\s*(\[[^\]=]*\])?\s*=")
_GENERIC_DEF = re.compile(
    r"^(\s*(?:async\s+)?(?:def|class)\s+\w+)(\[[^\[\]]*(?:\[[^\]]*\][^\[\]]*)*\])"
)


def _repair_line(line: str) -> str | None:
    """One line with the commonest post-3.11 syntax rewritten in place, or None."""
    for pattern, replace in (
        (_EXCEPT_TUPLE, lambda m: f"{m[1]}({m[2]}){m[3] or ''}{m[4]}"),
        (_TYPE_ALIAS, lambda m: f"{m[1]}{m[2]} ="),
        (_GENERIC_DEF, lambda m: m[1]),
    ):
        fixed = pattern.sub(replace, line, count=1)
        if fixed != line:
            return fixed
    return None


def _repair_lines(source: str, filename: str, error: SyntaxError) -> ast.Module | None:
    """Fast path for newer syntax: rewrite the failing line by pattern and parse again.

    Most files that need a newer grammar use it on single lines (``except A, B:``, PEP 695
    headers, ``type`` aliases); editing those lines keeps every line number and costs a
    re-parse, where the libcst route costs a hundred times more.
    """
    lines = source.split("\n")
    for _ in range(200):
        number = (error.lineno or 0) - 1
        fixed = _repair_line(lines[number]) if 0 <= number < len(lines) else None
        if fixed is None:
            return None
        lines[number] = fixed
        try:
            return ast.parse("\n".join(lines), filename)
        except SyntaxError as again:
            error = again
        except (ValueError, RecursionError, MemoryError):
            return None
    return None


def _parse_rewritten(source: str, filename: str) -> ast.Module:
    downgrade = _Downgrade()
    code = cst.parse_module(source).visit(downgrade).code
    if len(code.splitlines()) != len(source.splitlines()):  # libcst drops lines of a lone "\\"
        raise SyntaxError("the rewritten code would not keep the line numbers")
    tree = ast.parse(code, filename)
    _Splice(downgrade.fields).visit(tree)
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
        name = _PLACEHOLDER.format(len(self.fields))
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
        other = "'" if quote[0] == '"' else '"'
        outer = {enclosing for enclosing in self.quotes if len(enclosing) == 3}  # these stay
        fields = "".join(
            _code(part) for part in node.parts if isinstance(part, cst.FormattedStringExpression)
        )
        delimiters: tuple[str, ...] = ()
        if len(quote) == 3:
            delimiters = (other * 3,) if quote in outer else ()
        elif "\n" in fields:  # only triple quotes allow line breaks
            delimiters = (quote * 3, other * 3)
        elif quote in fields:  # the other quote leaves the most room for nesting
            delimiters = (other, quote * 3, other * 3)
        if not delimiters:
            return node
        parts = "".join(_code(part) for part in node.parts)
        for delimiter in delimiters:
            if (
                delimiter not in outer
                and delimiter not in parts
                and not parts.endswith(delimiter[0])
            ):
                return node.with_changes(start=node.start[: -len(quote)] + delimiter, end=delimiter)
        return node


class _Splice(ast.NodeTransformer):
    """Replace each placeholder name with its field, parsed at the placeholder's position."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields

    def visit_Name(self, node: ast.Name) -> ast.AST:
        code = self.fields.get(node.id)
        if code is None:
            return node
        # Padding puts the field's code where the placeholder name starts, one line down.
        padded = "(" + "\n" * node.lineno + " " * node.col_offset + code + "\n)"
        field = ast.increment_lineno(ast.parse(padded, mode="eval").body, -1)
        visited: ast.AST = self.visit(field)
        return visited
