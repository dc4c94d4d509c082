"""Read, decode and parse one Python file, including syntax newer than the running interpreter.

``ast.parse`` is the fast path. When it fails, three rewrites of the post-3.11 constructs into
3.11 syntax on the same lines are tried in turn, cheapest first, and the result parsed again:
the failing lines repaired by pattern (``except A, B:``, PEP 695 headers and ``type`` aliases
on one line); then :mod:`apismith.project.downgrade`, a small scanner that also knows PEP 701
f-strings and constructs spanning lines; then :mod:`apismith.project.newsyntax`, where libcst
(whose parser knows the whole newer grammar) parses the file. The last two make the same rewrite,
so every statement keeps its line number:

- PEP 695/696 type parameters are dropped and ``type X[T] = v`` becomes ``X = v``;
- PEP 758 ``except A, B:`` becomes ``except (A, B):``;
- PEP 701 f-strings whose replacement fields use the delimiter quote or span lines get other
  quotes (triple quotes if they span lines); a field holding a backslash or a comment is
  replaced by a placeholder name, parsed on its own and spliced back into the tree in its place.

Bounds and defaults go with the type parameters. F-strings that 3.11 cannot express at all (format
specs nested two deep, nesting that runs out of quotes) still raise ``SourceError``. So does,
without asking libcst, a file in which the scanner finds unbalanced brackets or nothing to
rewrite: its syntax error is a plain one.
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

from apismith.errors import SourceError

MAX_BYTES: int = 5 * 1024 * 1024

_MB = 1024 * 1024


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
        repaired = _repair_lines(source, filename)
        if repaired is not None:
            return repaired
        from apismith.project import downgrade  # 6 ms to import: only here

        plain = False  # a syntax error that no rewrite, libcst's included, would fix
        try:
            return downgrade.parse_downgraded(source, filename)
        except downgrade.PlainSyntaxError:
            plain = True
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
        # libcst's native parser overflows the C stack on nesting this deep; no Python accepts it.
        if not plain and original.msg != "too many nested parentheses":
            from apismith.project import newsyntax  # libcst costs 0.1 s to import: only here

            with contextlib.suppress(
                newsyntax.ParserSyntaxError, SyntaxError, ValueError, RecursionError, MemoryError
            ):
                return newsyntax.parse_rewritten(source, filename)
    raise SourceError(f"syntax error: {original.msg}", original.lineno, original.offset)


# Each pattern matches within one line (``[ \t]``, never ``\s``), so one ``sub`` over the whole
# text rewrites every line that uses the construct and leaves line numbers as they were.
_REPAIRS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"^([ \t]*except\*?[ \t]+)(?!\()([^:#\n]+?,[^:#\n]+?)([ \t]+as[ \t]+\w+)?([ \t]*:)",
            re.MULTILINE,
        ),
        r"\1(\2)\3\4",
    ),
    (re.compile(r"^([ \t]*)type[ \t]+(\w+)[ \t]*(\[[^\]=\n]*\])?[ \t]*=", re.MULTILINE), r"\1\2 ="),
    (
        re.compile(
            r"^([ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+\w+)"
            r"\[[^\[\]\n]*(?:\[[^\]\n]*\][^\[\]\n]*)*\]",
            re.MULTILINE,
        ),
        r"\1",
    ),
)


def _repair_lines(source: str, filename: str) -> ast.Module | None:
    """Fast path for newer syntax: rewrite the lines that use it by pattern and parse again.

    Most files that need a newer grammar use it on single lines (``except A, B:``, PEP 695
    headers, ``type`` aliases); editing those lines keeps every line number and costs one
    re-parse, where the libcst route costs a hundred times more. None of the patterns is valid
    3.11 code, so rewriting every matching line at once changes nothing else (at most the text
    of a string that quotes such a line).
    """
    repaired = source
    for pattern, replacement in _REPAIRS:
        repaired = pattern.sub(replacement, repaired)
    if repaired == source:
        return None
    with contextlib.suppress(SyntaxError, ValueError, RecursionError, MemoryError):
        return ast.parse(repaired, filename)
    return None
