"""
## What it does
Counts the SQL statements each list operation issues (SQLAlchemy engine events, attributed to
the request), adds a few objects through the app's own create operation, and lists again.
When the statements grow with the number of listed items, and one statement is repeated once
more per added item, the operation runs one query per item: an N+1. The repeated statement is
shown. When no data can be added, a statement repeated once per listed item (three or more)
is reported with medium confidence.

Against a URL no statement can be counted: 30 objects are added and the fastest of 20
requests before is compared with the fastest of 40 after, in two windows (a busy machine only
adds time). A list that gets slower by 0.08 ms or more
per added item (and by 2 ms in all) costs about what a query per item costs on a local
database, when serialising an item costs a few microseconds: that is reported with low
severity and low confidence.

## Why is this bad?
A list of 1,000 items costs 1,001 round trips to the database. The page is fast in development
with five rows and times out in production (CWE-1073). It usually comes from a lazy relationship
touched while serialising each item.

## Known problems
Statements are counted in-process only, for apps that use SQLAlchemy; from outside, any
per-item cost that large looks the same (a slow serialiser, a computation per item). Adding
data needs a POST operation on
the same collection that accepts schema-made bodies; `--seed 0` turns it off. Objects that are
already in the session's identity map are not fetched again, so an N+1 on a many-to-one
relationship shows only with distinct parents. The objects added stay in the app's database.

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

from apismith.dynamic.findings import DynamicRule
from apismith.findings import Confidence, Severity
from apismith.profile.findings import ProfileFinding
from apismith.profile.result import Growth, LatencyGrowth, ProfileResult
from apismith.profile.sql import most_repeated, normalise

CHECK = DynamicRule(
    "PRF001", "n-plus-one", "profile", Severity.MEDIUM, Confidence.HIGH, 1073, __doc__ or ""
)
PER_ITEM_MS = 0.08
GROWTH_MS = 2.0


def check(result: ProfileResult) -> list[ProfileFinding]:
    """An N+1 finding for each list operation whose statements grow per listed item."""
    found: list[ProfileFinding] = []
    for growth in result.growth:
        finding = _grown(result, growth) or _repeated(result, growth)
        if finding is not None:
            found.append(finding)
    found.extend(_slower(result, growth) for growth in result.latency_growth if _per_item(growth))
    return found


def _per_item(growth: LatencyGrowth) -> bool:
    added = growth.after_items - growth.before_items
    grew = growth.after_ms - growth.before_ms
    return added > 0 and grew >= GROWTH_MS and grew / added >= PER_ITEM_MS


def _slower(result: ProfileResult, growth: LatencyGrowth) -> ProfileFinding:
    operation = growth.timing.call.operation
    added = growth.after_items - growth.before_items
    per_item = (growth.after_ms - growth.before_ms) / added
    return ProfileFinding(
        CHECK,
        operation.method,
        operation.path,
        f"{operation.label} gets slower by {per_item:.2f} ms per listed item "
        f"({growth.before_ms:.1f} ms for {growth.before_items} item(s), {growth.after_ms:.1f} ms "
        f"for {growth.after_items}), about the cost of one query per item; profile the app "
        "in-process (module:app) to see its SQL statements",
        growth.timing.first.status,
        growth.timing.first.excerpt,
        result.reproduce(growth.timing),
        Confidence.LOW,
        severity=Severity.LOW,
    )


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
