"""Error details leaked: an answer that shows a traceback, an exception's text or SQL.

## What it does
Looks at every answer of the run for Python tracebacks, source file paths with line
numbers, exception class names followed by their message (``KeyError: 'x'``), the messages
of common Python exceptions (``division by zero``), database driver errors and SQL
statements. Text that the request itself contained (an echoed input)
does not count.

## Why is this bad?
Internal details tell an attacker which code, libraries, tables and queries sit behind the
API, and SQL in an error message is often the first step of an injection.

## Example
```python
@app.exception_handler(Exception)
async def handler(request, exc):
    return JSONResponse({"detail": traceback.format_exc()}, status_code=500)
```

## Use instead
```python
@app.exception_handler(Exception)
async def handler(request, exc):
    logger.exception("unhandled error")
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
```
"""

from __future__ import annotations

import re

from apismith.findings import Confidence, Severity
from apismith.probe.checks.base import Check, define
from apismith.probe.context import ProbeContext, finding

RULE = define(__doc__, "PRB009", "error-details-leaked", Severity.MEDIUM, Confidence.HIGH, 209)
PATTERNS = (
    ("a Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("a source file and line", re.compile(r"File \\?\"[^\"\\]+\.py\\?\", line \d+")),
    (
        "a database error",
        re.compile(
            r"\b(sqlite3|psycopg2?|pymysql|MySQLdb|asyncpg|aiosqlite|sqlalchemy(\.exc)?)\."
            r"\w*(Error|Exception)\b|\b(OperationalError|IntegrityError|ProgrammingError|"
            r"DataError|UniqueViolation)\b|sqlalche\.me|syntax error at or near|"
            r"UNIQUE constraint failed|no such (table|column)"
        ),
    ),
    (
        "an SQL statement",
        re.compile(
            r"\b(SELECT\s+[\w\s,.*()\"`]+?\s+FROM\s+\w|INSERT\s+INTO\s+\w|"
            r"UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s+\w)"
        ),
    ),
    (
        "a Python exception's message",
        re.compile(
            r"division by zero|list index out of range|string index out of range|"
            r"object has no attribute|unsupported operand type|invalid literal for int\(\)|"
            r"'NoneType' object|object is not subscriptable|is not JSON serializable|"
            r"required positional argument|maximum recursion depth|"
            r"could not convert string to float"
        ),
    ),
    (
        "an exception's text",
        re.compile(
            r"\b(ZeroDivisionError|KeyError|IndexError|TypeError|AttributeError|NameError|"
            r"ValueError|RuntimeError|AssertionError|UnboundLocalError|RecursionError|"
            r"OverflowError|[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception)): "
        ),
    ),
)


def run(ctx: ProbeContext) -> None:
    """Scan every answer for internal details that the request did not contain."""
    for exchange in ctx.channel.exchanges:
        if exchange.operation is None or not exchange.text:
            continue
        sent = str(exchange.request.url) + exchange.request.content.decode(errors="replace")
        for what, pattern in PATTERNS:
            match = pattern.search(exchange.text)
            if match is None or match.group(0) in sent:
                continue
            start = max(0, match.start() - 80)
            excerpt = exchange.text[start : match.end() + 200]
            message = (
                f"{exchange.operation.label} answered {exchange.status} with {what}: "
                f"{match.group(0)[:80]!r}"
            )
            ctx.report(finding(RULE, exchange, message, excerpt=excerpt))
            break


CHECK = Check(RULE, run)
