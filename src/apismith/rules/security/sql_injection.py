"""
## What it does
Finds SQL statements built from what a client sent (path, query, body, header or cookie
parameters, `request.json()` and friends, GraphQL resolver arguments) and passed to
`text()`, `execute()`, a DB-API cursor, psycopg's `sql.SQL()`, or the raw-query methods of
`databases` and asyncpg (`fetch_all()`, `fetchrow()`, ... when given SQL text). The flow is
followed through assignments, f-strings, `%`, `.format()`, concatenation, lists built with
`append()` and joined, objects that keep the value on `self`, and calls into the project's
own functions; it stops at conversions such as `int()`, at an allow-list check
(`if sort not in SORTABLE: raise ...`) and at an anchored regular expression without
wildcards (`re.fullmatch(r"[a-z_]+", column)`).

## Why is this bad?
The client chooses the SQL that runs: it can read other users' rows, change data or drop
tables (CWE-89).

## Known problems
A check made in another function than the one that builds the statement is not seen, nor a
validator on a pydantic field; suppress with `# apismith: ignore[SEC001]` after checking.

## Example
```python
from fastapi import FastAPI
from sqlalchemy import text

app = FastAPI()


@app.get("/users")
def find_users(name: str, db=None):
    return db.execute(text(f"SELECT * FROM users WHERE name = '{name}'")).all()
```

## Use instead
```python
from fastapi import FastAPI
from sqlalchemy import text

app = FastAPI()


@app.get("/users")
def find_users(name: str, db=None):
    return db.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name}).all()
```

## Fix safety
No automatic fix: the statement must be rewritten with bound parameters.

## References
- https://cwe.mitre.org/data/definitions/89.html
- https://docs.sqlalchemy.org/en/20/core/tutorial.html#using-textual-sql
"""

from __future__ import annotations

from collections.abc import Iterable

from apismith.analysis.sinks import SQL
from apismith.findings import Confidence, Severity
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.taint_rule import taint_reports


class SqlInjection(Rule):
    id = "SEC001"
    name = "sql-injection"
    family = "security"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 89
    shares = "taint"
    fix_title = (
        "Use bound parameters (`text('... :name')` with a dict, or the ORM) "
        "instead of building SQL from input."
    )

    def check_project(self, context: Context) -> Iterable[Report]:
        return taint_reports(context, SQL, "SQL statement built from {sources}")
