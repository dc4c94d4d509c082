"""The fast path for grammar newer than Python 3.11: a small scanner rewrites it, keeping lines.

It makes the rewrite :mod:`apismith.project.newsyntax` makes with libcst, text for text, so both
give the same tree; it only spares libcst's import and its parse of the whole file. The scanner
knows just enough of the grammar for that: brackets, comments, strings and PEP 701 f-strings,
whose replacement fields may reuse the string's quote, span lines and hold comments or
backslashes. Anything else it does not understand raises ``SyntaxError``, and the caller falls
back to libcst.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = ["PLACEHOLDER", "PlainSyntaxError", "Splice", "parse_downgraded", "requoted"]

PLACEHOLDER = "__apismith_field_{}__"

_TOKEN = re.compile(
    r"""
    (?P<space>(?:[ \t\f]|\\\r?\n)+)
    | (?P<newline>\r?\n|\r)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>[rRbBuUfF]{0,2}(?:'''|\"\"\"|'|"))
    | (?P<name>\w+)
    | (?P<op>==|!=|<=|>=|:=|->|[\s\S])
    """,
    re.VERBOSE,
)
_STRING_BODY = {
    quote: re.compile(rf"[^{quote}\\\r\n]*(?:\\(?:\r\n|[\s\S])[^{quote}\\\r\n]*)*")
    for quote in "'\""
} | {
    quote * 3: re.compile(rf"[^{quote}\\]*(?:(?:\\[\s\S]|{quote}(?!{quote}{quote}))[^{quote}\\]*)*")
    for quote in "'\""
}
_LITERAL = re.compile(r"[^{}\\'\"\r\n]*")
_TRIVIA = re.compile(r"(?:[ \t\f\r\n]|\#[^\r\n]*)*")
_NAME = re.compile(r"\w*")
_FIELD_END = frozenset({"}", "!", ":", ":=", "="})


def requoted(quote: str, fields: str, parts: str, outer: set[str]) -> str | None:
    """The quotes a PEP 701 f-string written with ``quote`` needs in 3.11 grammar, where its
    replacement fields (``fields``; ``parts`` is all its text) may hold neither that quote nor
    a line break, and no quotes of an enclosing triple-quoted string (``outer``). None when its
    own quotes serve, or when no other quotes would."""
    other = "'" if quote[0] == '"' else '"'
    delimiters: tuple[str, ...] = ()
    if len(quote) == 3:
        delimiters = (other * 3,) if quote in outer else ()
    elif "\n" in fields:  # only triple quotes allow line breaks
        delimiters = (quote * 3, other * 3)
    elif quote in fields:  # the other quote leaves the most room for nesting
        delimiters = (other, quote * 3, other * 3)
    for delimiter in delimiters:
        if delimiter not in outer and delimiter not in parts and not parts.endswith(delimiter[0]):
            return delimiter
    return None


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # a group name of _TOKEN, or "fstring"
    start: int
    end: int
    fstring: _FString | None = None


@dataclass(frozen=True, slots=True)
class _FString:
    prefix: str
    quote: str
    parts: list[str | _Field]


@dataclass(frozen=True, slots=True)
class _Field:
    """One replacement field, split where libcst splits it."""

    before: str  # whitespace and comments before the expression
    expression: list[str | _FString]
    after: str  # what follows it: whitespace, comments, the debug ``=``, moved line breaks
    equal: bool
    conversion: str  # "!r" or ""
    spec: list[str | _Field] | None


class PlainSyntaxError(SyntaxError):
    """A syntax error no rewrite fixes: unbalanced brackets, or no construct newer than 3.11."""


def parse_downgraded(source: str, filename: str) -> ast.Module:
    """Parse ``source`` with its post-3.11 constructs rewritten on the same lines."""
    scanner = _Scanner(source)
    tokens = scanner.tokens(in_field=False)
    edits = _Rewriter(scanner, tokens).edits()
    if not edits:
        raise PlainSyntaxError("no construct newer than Python 3.11")
    code = _apply(source, edits)
    tree = ast.parse(code, filename)
    if scanner.fields:
        Splice(scanner.fields).visit(tree)
    return tree


def _apply(source: str, edits: list[tuple[int, int, str]]) -> str:
    """``source`` with each (start, end, text) edit made; the edits do not overlap."""
    pieces, done = [], 0
    for start, end, text in sorted(edits, key=lambda edit: (edit[0], edit[1])):
        pieces += [source[done:start], text]
        done = end
    return "".join([*pieces, source[done:]])


class _Scanner:
    """Tokens of the code, with every f-string parsed into parts and fields."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.fields: dict[str, str] = {}  # placeholder name -> code of the field it replaces

    def tokens(self, *, in_field: bool) -> list[_Token]:
        """The tokens up to the end, spaces and comments left out; in a field, up to its ``}``,
        ``!``, ``:`` or ``=`` outside brackets."""
        source, found, depth = self.source, [], 0
        while self.pos < len(source):
            match = _TOKEN.match(source, self.pos)
            assert match is not None  # the last alternative takes any other character
            kind, start, end = match.lastgroup or "", match.start(), match.end()
            self.pos = end
            if kind == "string":
                found.append(self._string(start, match.group()))
                continue
            if kind == "op":
                text = match.group()
                if in_field and depth == 0 and text in _FIELD_END:
                    self.pos = start
                    return found
                if text in ("(", "[", "{"):
                    depth += 1
                elif text in (")", "]", "}"):
                    if depth == 0:
                        error = SyntaxError if in_field else PlainSyntaxError
                        raise error(f"unmatched {text!r}")
                    depth -= 1
            if kind not in ("space", "comment"):  # kept out: the rewrites need neither
                found.append(_Token(kind, start, end))
        if in_field:
            raise SyntaxError("unterminated f-string")
        return found

    def _string(self, start: int, opening: str) -> _Token:
        quote = opening.lstrip("rRbBuUfF")
        prefix = opening[: -len(quote)]
        if "f" in prefix.lower():
            fstring = _FString(prefix, quote, self._parts(quote, "r" in prefix.lower(), False))
            return _Token("fstring", start, self.pos, fstring)
        body = _STRING_BODY[quote].match(self.source, self.pos)
        if body is None or not self.source.startswith(quote, body.end()):
            raise SyntaxError("unterminated string")
        self.pos = body.end() + len(quote)
        return _Token("string", start, self.pos)

    def _parts(self, quote: str, raw: bool, spec: bool) -> list[str | _Field]:
        """Literal text and fields up to the closing quote (in a format spec: up to ``}``)."""
        source, parts, text_start = self.source, list[str | _Field](), self.pos
        while True:
            self.pos = _end(_LITERAL, source, self.pos)
            char = source[self.pos : self.pos + 1]
            if char == "\\":
                if not raw and source.startswith("N{", self.pos + 1):  # a named character
                    end = source.find("}", self.pos)
                    self.pos = len(source) if end < 0 else end + 1
                else:  # a brace after a backslash still opens or closes a field
                    self.pos += 1 if source[self.pos + 1 : self.pos + 2] in "{}" else 2
            elif (char in ("'", '"') and not source.startswith(quote, self.pos)) or (
                char in ("\r", "\n") and len(quote) == 3  # line breaks: only in triple quotes
            ):
                self.pos += 1
            elif char in ("{", "}") and not spec and source.startswith(char * 2, self.pos):
                self.pos += 2
            elif char == "{":
                parts.append(source[text_start : self.pos])
                self.pos += 1
                parts.append(self._field(quote))
                text_start = self.pos
            elif (char == "}" and spec) or (char in ("'", '"') and not spec):
                parts.append(source[text_start : self.pos])
                self.pos += 0 if spec else len(quote)
                return [part for part in parts if part != ""]
            else:  # the end of the file or line, a lone "}", or the quote inside a format spec
                raise SyntaxError("unterminated f-string")

    def _field(self, quote: str) -> _Field:
        source, opening = self.source, self.pos
        code = [token for token in self.tokens(in_field=True) if token.kind != "newline"]
        if not code:
            raise SyntaxError("f-string: valid expression required before '}'")
        first, last = code[0].start, code[-1].end
        expression: list[str | _FString] = []
        done = first
        for token in code:
            if token.fstring is not None:
                expression += [source[done : token.start], token.fstring]
                done = token.end
        expression.append(source[done:last])
        equal = source.startswith("=", self.pos)
        if equal:
            self.pos = _end(_TRIVIA, source, self.pos + 1)
        after, conversion, spec = source[last : self.pos], "", None
        if source.startswith("!", self.pos):
            conversion = source[self.pos : _end(_NAME, source, self.pos + 1)]
            space = self.pos + len(conversion)
            self.pos = _end(_TRIVIA, source, space)
            # 3.11 takes nothing between the conversion and the spec; libcst drops the spaces.
            # Line breaks go before the conversion instead, to keep the lines that follow.
            after += "\n" * source.count("\n", space, self.pos)
        if source.startswith(":", self.pos):
            self.pos += 1
            spec = self._parts(quote, False, True)
        if not source.startswith("}", self.pos):
            raise SyntaxError("f-string: expecting '}'")
        self.pos += 1
        return _Field(source[opening:first], expression, after, equal, conversion, spec)

    def render(self, fstring: _FString, enclosing: list[str], block: str) -> str:
        """The f-string in 3.11 syntax, as libcst's rewrite re-quotes it (see ``newsyntax``).

        ``enclosing`` holds the quotes of the f-strings around it; ``block`` is the indentation
        of its statement, which libcst strips from the lines of a field's code and re-adds.
        """
        enclosing.append(fstring.quote)
        rendered = [
            part if isinstance(part, str) else self._field_code(part, enclosing, block)
            for part in fstring.parts
        ]
        enclosing.pop()
        quote, parts = fstring.quote, "".join(rendered)
        outer = {quotes for quotes in enclosing if len(quotes) == 3}  # these stay
        fields = "".join(
            text
            for part, text in zip(fstring.parts, rendered, strict=True)
            if not isinstance(part, str)
        )
        delimiter = requoted(quote, fields, parts, outer) or quote
        return fstring.prefix + delimiter + parts + delimiter

    def _field_code(self, field: _Field, enclosing: list[str], block: str) -> str:
        """The field in 3.11 syntax: 3.11 allows no backslash or comment in it, so a field
        holding one becomes a placeholder name on the same lines, spliced back after parsing."""
        code = "".join(
            part if isinstance(part, str) else self.render(part, enclosing, block)
            for part in field.expression
        )
        spec = field.spec
        tail = field.conversion
        if spec is not None:
            tail += ":" + "".join(
                part if isinstance(part, str) else self._field_code(part, enclosing, block)
                for part in spec
            )
        text = field.before + code + field.after
        if "\\" not in text and "#" not in text:
            return "{" + text + tail + "}"
        name = PLACEHOLDER.format(len(self.fields))
        self.fields[name] = _dedent(code, block)
        lines_before = field.before.count("\n")
        indent = " " * len(_dedent(field.before, block).rsplit("\n", 1)[-1])
        lines_after = (code + field.after).count("\n")
        placeholder = "(" + "\n" * lines_before + indent + name + "\n" * lines_after + ")"
        placeholder = placeholder.replace("\n", "\n" + block)
        return "{" + placeholder + ("=" if field.equal else "") + tail + "}"


def _dedent(code: str, block: str) -> str:
    return code.replace("\n" + block, "\n") if block else code


def _end(pattern: re.Pattern[str], source: str, pos: int) -> int:
    """Where ``pattern``, which also matches the empty string, stops matching at ``pos``."""
    match = pattern.match(source, pos)
    assert match is not None
    return match.end()


class _Rewriter:
    """The edits that turn the tokens' newer constructs into 3.11 code on the same lines."""

    def __init__(self, scanner: _Scanner, tokens: list[_Token]) -> None:
        self.scanner, self.source = scanner, scanner.source
        self.code = tokens
        self.closing = _closing_brackets(self.source, self.code)

    def edits(self) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        depth, index, starts_statement, starts_line, block = 0, 0, True, True, ""
        while index < len(self.code):
            token, after = self.code[index], index + 1
            text = self.source[token.start : token.end]
            if starts_line and token.kind != "newline":
                block = self.source[self.source.rfind("\n", 0, token.start) + 1 : token.start]
            if token.fstring is not None:
                rendered = self.scanner.render(token.fstring, [], block)
                if rendered != text:
                    found.append((token.start, token.end, rendered))
            elif token.kind == "name" and depth == 0:
                if text in ("def", "class") and self._text(index + 2) == "[":
                    start, after = self.code[index + 2].start, self.closing[index + 2] + 1
                    end = self.code[after - 1].end
                    found.append((start, end, "\\\n" * self.source.count("\n", start, end)))
                elif starts_statement and (value := self._type_alias_value(index)):
                    after, end = value, self.code[value].start  # the head spans the parameters
                    lines = "\\\n" * self.source.count("\n", token.start, end)
                    found.append((token.start, end, self._text(index + 1) + " " + lines + "= "))
                elif text == "except":
                    found += self._except(index)
            if text in ("(", "[", "{"):
                depth += 1
            elif text in (")", "]", "}"):
                depth -= 1
            starts_line = depth == 0 and token.kind == "newline"
            starts_statement = starts_line or (depth == 0 and text in (";", ":"))
            index = after
        return found

    def _text(self, index: int) -> str:
        if index >= len(self.code):
            return ""
        token = self.code[index]
        return self.source[token.start : token.end]

    def _type_alias_value(self, index: int) -> int | None:
        """Where the value of ``type X[T] = v`` starts (it becomes ``X = v``), if it is one."""
        if self._text(index) != "type" or index + 1 == len(self.code):
            return None
        equal = index + 2
        if self._text(equal) == "[":
            equal = self.closing[equal] + 1
        if self.code[index + 1].kind != "name" or self._text(equal) != "=":
            return None
        return equal + 1 if equal + 1 < len(self.code) else None

    def _except(self, index: int) -> list[tuple[int, int, str]]:
        """``except A, B:`` becomes ``except (A, B):``."""
        first = index + 2 if self._text(index + 1) == "*" else index + 1
        depth, comma, last = 0, False, first
        while last < len(self.code):
            text = self._text(last)
            if depth == 0 and text in (":", "as"):
                break
            comma |= depth == 0 and text == ","
            depth += text in ("(", "[", "{")
            depth -= text in (")", "]", "}")
            last += 1
        if not comma:
            return []
        start, end = self.code[first].start, self.code[last - 1].end
        return [(start, start, "("), (end, end, ")")]


def _closing_brackets(source: str, code: list[_Token]) -> dict[int, int]:
    """For the index of each opening bracket, the index of the bracket that closes it."""
    closing, opened = {}, []
    for index, token in enumerate(code):
        text = source[token.start : token.end]
        if text in ("(", "[", "{"):
            opened.append(index)
        elif text in (")", "]", "}"):
            closing[opened.pop()] = index
    if opened:
        raise PlainSyntaxError("unclosed bracket")
    return closing


class Splice(ast.NodeTransformer):
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
