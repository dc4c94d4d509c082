"""
## What it does
Counts the SQL statements each list operation issues (SQLAlchemy engine events, attributed to
the request), adds a few objects through the app's own create operation, and lists again.
When the statements grow with the number of listed items, and one statement is repeated once
more per added item, the operation runs one query per item: an N+1. The repeated statement is
shown. When no data can be added, a statement repeated once per listed item (three or more)
is reported with medium confidence.

## Why is this bad?
A list of 1,000 items costs 1,001 round trips to the database. The page is fast in development
with five rows and times out in production (CWE-1073). It usually comes from a lazy relationship
touched while serialising each item.

## Known problems
Only in-process targets that use SQLAlchemy are measured. Adding data needs a POST operation on
the same collection that accepts schema-made bodies; `--seed 0` turns it off. Objects that are
already in the session's identity map are not fetched again, so an N+1 on a many-to-one
relationship shows only with distinct parents.

## Example
```python
@app.get("/authors", response_model=list[AuthorOut])
def list_authors(db: Session = Depends(get_db)):
    return db.scalars(select(Author)).all()  # AuthorOut.books lazy-loads per author
```

## Use instead
```python
@app.get("/authors", response_model=list[AuthorOut])
def list_authors(db: Session = Depends(get_db)):
    return db.scalars(select(Author).options(selectinload(Author.books))).all()
```

## Fix safety
No automatic fix: choose `selectinload` or `joinedload` for the relationship the response uses.

## References
- https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html
- https://cwe.mitre.org/data/definitions/1073.html
"""

from __future__ import annotations

from apismith.findings import Confidence, Severity
from apismith.profile.findings import Check, ProfileFinding
from apismith.profile.result import Growth, ProfileResult
from apismith.profile.sql import most_repeated, normalise

CHECK = Check("PRF001", "n-plus-one", Severity.MEDIUM, 1073, __doc__ or "")


def check(result: ProfileResult) -> list[ProfileFinding]:
    """An N+1 finding for each list operation whose statements grow per listed item."""
    found: list[ProfileFinding] = []
    for growth in result.growth:
        finding = _grown(result, growth) or _repeated(result, growth)
        if finding is not None:
            found.append(finding)
    return found


def _grown(result: ProfileResult, growth: Growth) -> ProfileFinding | None:
    before, after = growth.before, growth.after
    if after is None or before.statements is None or after.statements is None:
        return None
    added = (after.items or 0) - (before.items or 0)
    statement, repeats = most_repeated(list(after.statements))
    earlier = sum(1 for s in before.statements if normalise(s) == statement)
    if added <= 0 or repeats - earlier < added:
        return None
    return _finding(
        result,
        growth,
        f"{growth.timing.call.operation.label} runs one more SQL statement per listed item: "
        f"{len(before.statements)} statement(s) for {before.items} item(s), "
        f"{len(after.statements)} for {after.items}; repeated {repeats} times: {statement}",
        Confidence.HIGH,
        statement,
    )


def _repeated(result: ProfileResult, growth: Growth) -> ProfileFinding | None:
    before = growth.before
    items = before.items or 0
    statement, repeats = most_repeated(list(before.statements or ()))
    if items < 3 or repeats < items:
        return None
    return _finding(
        result,
        growth,
        f"{growth.timing.call.operation.label} repeats one SQL statement for each of its "
        f"{items} listed items ({repeats} times in one request): {statement}",
        Confidence.MEDIUM,
        statement,
    )


def _finding(
    result: ProfileResult, growth: Growth, message: str, confidence: Confidence, statement: str
) -> ProfileFinding:
    sample = growth.after or growth.before
    operation = growth.timing.call.operation
    return ProfileFinding(
        CHECK,
        operation.method,
        operation.path,
        message,
        sample.status,
        statement,
        result.reproduce(growth.timing),
        confidence,
    )
