"""SQL statements per request: SQLAlchemy engine events attributed through a context variable.

:func:`traced` wraps the app so that each request gets its own list of statements; the
``before_cursor_execute`` listener on the ``Engine`` class (every engine, sync or async)
appends to the list of the request whose context it runs in, threads of the pool included.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from apismith.dynamic.target import ASGIApp, Receive, Send

TRACE_HEADER = b"x-apismith-trace"

_statements: ContextVar[list[str] | None] = ContextVar("apismith_statements", default=None)
_LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")
_IN_LIST = re.compile(r"\bIN\s*\((?:\s*(?:\?|__\[POSTCOMPILE_\w+\])\s*,?)+\)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


class Traces:
    """Statements of the requests that carried a trace header, by the header's value."""

    def __init__(self) -> None:
        self.by_id: dict[str, list[str]] = {}

    def pop(self, trace: str) -> list[str] | None:
        """The statements of one finished request (None when none was recorded)."""
        return self.by_id.pop(trace, None)


def traced(app: ASGIApp, traces: Traces) -> ASGIApp:
    """``app`` recording the statements of each request that carries a trace header."""

    async def wrapped(scope: Any, receive: Receive, send: Send) -> None:
        trace = dict(scope.get("headers", ())).get(TRACE_HEADER)
        bucket: list[str] = []
        if trace is not None:
            traces.by_id[trace.decode("latin-1")] = bucket
        token = _statements.set(bucket)
        try:
            await app(scope, receive, send)
        finally:
            _statements.reset(token)

    return wrapped


def _record(*args: Any) -> None:
    bucket = _statements.get()
    if bucket is not None:
        bucket.append(str(args[2]))


@contextmanager
def recording() -> Iterator[bool]:
    """Listen to every SQLAlchemy engine while inside; yields whether the app uses SQLAlchemy."""
    if "sqlalchemy" not in sys.modules:
        yield False
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "before_cursor_execute", _record)
    try:
        yield True
    finally:
        event.remove(Engine, "before_cursor_execute", _record)


def normalise(statement: str) -> str:
    """One line, literals and ``IN`` lists replaced, so repeats of a statement compare equal."""
    text = _LITERAL.sub("?", _SPACE.sub(" ", statement).strip())
    return _IN_LIST.sub("IN (?)", text)


def most_repeated(statements: list[str]) -> tuple[str, int]:
    """The normalised statement issued most often in one request, and how often."""
    if not statements:
        return "", 0
    statement, count = Counter(normalise(s) for s in statements).most_common(1)[0]
    return statement, count
