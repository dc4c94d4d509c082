"""Checks that pin a client's value down before it is used.

An allow-list (``if column not in SORTABLE: raise``), an equality with a constant, an anchored
regular expression without wildcards (``re.fullmatch(r"[a-z_]+", name)``), a digits-only test,
and a substitution that keeps only harmless characters (``re.sub(r"[^A-Za-z0-9_.-]", "_",
name)``). Each tells for which sink kinds the value is safe afterwards.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Callable
from dataclasses import dataclass

from apismith.analysis import sinks as S

URL_LIKE = frozenset({S.URL, S.REDIRECT})
# A value equal to one the program knows is safe for everything.
KNOWN = S.KINDS
# A value made of a fixed set of characters still chooses which host a URL names.
CHARACTERS = S.KINDS - URL_LIKE
MATCHERS = frozenset({"re.fullmatch", "re.match", "regex.fullmatch", "regex.match"})
PATTERN_TYPES = frozenset({"re.compile", "re.Pattern", "regex.compile"})
SUBSTITUTIONS = frozenset({"re.sub", "regex.sub"})
VALIDATORS = frozenset(
    {
        "pydantic.field_validator",
        "pydantic.validator",
        "pydantic.functional_validators.field_validator",
    }
)
DIGITS_ONLY = frozenset({"isdigit", "isdecimal", "isnumeric"})
WORD_ONLY = frozenset({"isalnum", "isalpha", "isidentifier"})
# Characters that give a value control over each kind of sink.
DANGEROUS = {
    S.PATH: frozenset("/\\"),
    S.SQL: frozenset("'\";-()\\ \t\n"),
    S.COMMAND: frozenset(";|&$`<>()'\"\\*?[]{}~! \t\n"),
    S.HTML: frozenset("<>\"'&"),
    S.TEMPLATE: frozenset("{}%"),
    S.CODE: frozenset("()[].'\""),
}
CLASS_ESCAPES = {
    "w": string.ascii_letters + string.digits + "_",
    "d": string.digits,
    "s": " \t\n\r\f\v",
}


@dataclass(frozen=True, slots=True)
class Checked:
    """Names a test pins down, with the sink kinds each becomes safe for."""

    names: dict[str, frozenset[str]]

    def __or__(self, other: Checked) -> Checked:
        merged = dict(self.names)
        for name, kinds in other.names.items():
            merged[name] = merged.get(name, frozenset()) | kinds
        return Checked(merged)

    def __and__(self, other: Checked) -> Checked:
        return Checked({n: k & other.names[n] for n, k in self.names.items() if n in other.names})


NOTHING = Checked({})


@dataclass(frozen=True, slots=True)
class Reader:
    """What the guard analysis needs from its caller: whether an expression carries client
    data, the qualified name of a callee, and the text of a constant or compiled pattern."""

    clean: Callable[[ast.expr], bool]
    callee: Callable[[ast.expr], str | None]
    text: Callable[[ast.expr], str | None]


def checks(test: ast.expr, reader: Reader) -> tuple[Checked, Checked]:
    """What a condition pins down when it is true, and when it is false."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        when_true, when_false = checks(test.operand, reader)
        return when_false, when_true
    if isinstance(test, ast.BoolOp):
        parts = [checks(value, reader) for value in test.values]
        trues, falses = [p[0] for p in parts], [p[1] for p in parts]
        if isinstance(test.op, ast.And):
            return _union(trues), _intersection(falses)
        return _intersection(trues), _union(falses)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        return _comparison(test, reader)
    if isinstance(test, ast.Call):
        return _matched(test, reader), NOTHING
    return NOTHING, NOTHING


def leaves(body: list[ast.stmt]) -> bool:
    """Whether a block always leaves the code that follows it (raise, return, continue)."""
    return bool(body) and isinstance(body[-1], ast.Raise | ast.Return | ast.Continue | ast.Break)


def rebound(checked: Checked, body: list[ast.stmt], reader: Reader) -> Checked:
    """The names of ``checked`` that a block sets to a value without client data."""
    names = {
        target.id
        for statement in body
        if isinstance(statement, ast.Assign) and reader.clean(statement.value)
        for target in statement.targets
        if isinstance(target, ast.Name)
    }
    return Checked({name: kinds for name, kinds in checked.names.items() if name in names})


def validated(
    klass: ast.ClassDef,
    name: str,
    resolve: Callable[[ast.expr], str | None],
    text: Callable[[ast.expr], str | None],
) -> frozenset[str]:
    """Kinds a model's validator of field ``name`` makes the field safe for: one that raises
    unless the value passes an allow-list or a pattern."""
    for method in klass.body:
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef) or not any(
            _validates(decorator, name, resolve) for decorator in method.decorator_list
        ):
            continue
        params = [a.arg for a in method.args.args if a.arg not in {"self", "cls"}]
        if not params:
            continue
        value = params[0]
        reader = Reader(_without(value), resolve, text)
        for statement in method.body:
            if isinstance(statement, ast.If) and leaves(statement.body):
                kinds = checks(statement.test, reader)[1].names.get(value)
            elif isinstance(statement, ast.Assert):
                kinds = checks(statement.test, reader)[0].names.get(value)
            else:
                continue
            if kinds:
                return kinds
    return frozenset()


def _validates(decorator: ast.expr, name: str, resolve: Callable[[ast.expr], str | None]) -> bool:
    return (
        isinstance(decorator, ast.Call)
        and resolve(decorator.func) in VALIDATORS
        and any(isinstance(a, ast.Constant) and a.value == name for a in decorator.args)
    )


def _without(name: str) -> Callable[[ast.expr], bool]:
    """Whether an expression leaves ``name`` out."""
    return lambda node: not any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def substitution_safe(call: ast.Call, reader: Reader) -> frozenset[str] | None:
    """Kinds ``re.sub(r"[^...]", repl, value)`` makes its value safe for: those whose
    dangerous characters are neither kept nor inserted. None when the call is no such
    substitution."""
    callee = reader.callee(call.func) or ""
    if callee in SUBSTITUTIONS and len(call.args) >= 3:
        pattern, replacement = call.args[0], call.args[1]
    elif _compiled(call.func, reader, "sub") and len(call.args) >= 2:
        pattern, replacement = call.func.value, call.args[0]  # type: ignore[attr-defined]
    else:
        return None
    kept = _negated_class(reader.text(pattern))
    inserted = reader.text(replacement)
    if kept is None or inserted is None:
        return None
    kept |= frozenset(inserted)
    return frozenset(kind for kind, bad in DANGEROUS.items() if not kept & bad)


def _comparison(test: ast.Compare, reader: Reader) -> tuple[Checked, Checked]:
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.In | ast.NotIn | ast.Eq | ast.NotEq | ast.Is | ast.IsNot):
        for name, other in ((left, right), (right, left)):
            if not isinstance(name, ast.Name) or not reader.clean(other):
                continue
            if isinstance(op, ast.Is | ast.IsNot) and not _is_none(other):
                continue
            if isinstance(op, ast.Eq | ast.NotEq | ast.Is | ast.IsNot) and not isinstance(
                other, ast.Constant
            ):
                continue
            if isinstance(op, ast.In | ast.NotIn) and other is left:
                continue  # ``name in x``: only a value on the left is pinned down
            found = Checked({name.id: KNOWN})
            positive = isinstance(op, ast.In | ast.Eq | ast.Is)
            return (found, NOTHING) if positive else (NOTHING, found)
    return NOTHING, NOTHING


def _matched(call: ast.Call, reader: Reader) -> Checked:
    """``re.fullmatch(PATTERN, name)``, ``SAFE.fullmatch(name)``, ``name.isdigit()``."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and not call.args:
        if func.attr in DIGITS_ONLY:
            return Checked({func.value.id: KNOWN})
        if func.attr in WORD_ONLY:
            return Checked({func.value.id: CHARACTERS})
    callee = reader.callee(func) or ""
    if callee in MATCHERS and len(call.args) >= 2:
        pattern, value, whole = call.args[0], call.args[1], callee.endswith("fullmatch")
    elif _compiled(func, reader, "fullmatch") and call.args:
        pattern, value, whole = func.value, call.args[0], True  # type: ignore[attr-defined]
    elif _compiled(func, reader, "match") and call.args:
        pattern, value, whole = func.value, call.args[0], False  # type: ignore[attr-defined]
    else:
        return NOTHING
    if isinstance(value, ast.Name) and _restrictive(reader.text(pattern), whole):
        return Checked({value.id: CHARACTERS})
    return NOTHING


def _compiled(func: ast.expr, reader: Reader, method: str) -> bool:
    """Whether ``func`` is ``PATTERN.method`` of a compiled regular expression."""
    if not (isinstance(func, ast.Attribute) and func.attr == method):
        return False
    callee = reader.callee(func) or ""
    return callee.rpartition(".")[0] in PATTERN_TYPES


def _restrictive(pattern: str | None, whole: bool) -> bool:
    """Whether a pattern accepts only characters it lists, over the whole value: anchored at
    the end, with no wildcard, negated class or complement escape."""
    if pattern is None:
        return False
    if not (whole or pattern.endswith(("$", "\\Z"))):
        return False
    if any(token in pattern for token in ("[^", "\\S", "\\W", "\\D", "|")):
        return False
    escaped = in_class = False
    for character in pattern:
        if not escaped:
            if character == "." and not in_class:
                return False
            in_class = (in_class or character == "[") and character != "]"
        escaped = character == "\\" and not escaped
    return True


def _negated_class(pattern: str | None) -> frozenset[str] | None:
    """The characters a pattern ``[^...]`` (with an optional ``+`` or ``*``) leaves alone."""
    if pattern is None or not pattern.startswith("[^"):
        return None
    body, closing, rest = pattern[2:].partition("]")
    if not closing or rest not in {"", "+", "*"} or not body:
        return None
    kept: set[str] = set()
    position = 0
    while position < len(body):
        character = body[position]
        if character == "\\" and position + 1 < len(body):
            escape = body[position + 1]
            kept.update(CLASS_ESCAPES.get(escape, escape))
            position += 2
            continue
        if position + 2 < len(body) and body[position + 1] == "-":
            kept.update(chr(c) for c in range(ord(character), ord(body[position + 2]) + 1))
            position += 3
            continue
        kept.add(character)
        position += 1
    return frozenset(kept)


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _union(parts: list[Checked]) -> Checked:
    result = NOTHING
    for part in parts:
        result = result | part
    return result


def _intersection(parts: list[Checked]) -> Checked:
    result = parts[0]
    for part in parts[1:]:
        result = result & part
    return result
