"""Server errors: a 5xx answer, no answer, or a dropped connection.

## What it does
Sends each operation requests generated from its OpenAPI schema with hypothesis: requests
whose every part conforms, and requests where exactly one part does not (a wrong type, a
value out of range, a required field missing). Edge values come first: 0, -1, 2**63, empty
and very long strings. A 5xx answer, a request that gets no answer within the timeout, or a
dropped connection is reported with the smallest failing request hypothesis could find.

## Why is this bad?
A 500 is an unhandled exception: an input the code did not expect, often a crash a caller
can repeat at will (a division by zero, a missing key, an integer too large for the
database). Invalid input should get a 4xx that says what is wrong.

## Example
```python
@app.get("/ratio")
def ratio(a: int, b: int):
    return {"ratio": a / b}  # b=0 -> 500
```

## Use instead
```python
@app.get("/ratio")
def ratio(a: int, b: int = Query(..., ne=0)):
    return {"ratio": a / b}
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings

from apismith.dynamic.findings import DynamicFinding
from apismith.dynamic.schema import Operation
from apismith.findings import Confidence, Severity
from apismith.probe.channel import BudgetExhausted, Exchange
from apismith.probe.checks.base import Check, define
from apismith.probe.context import ProbeContext, denied, finding
from apismith.probe.discover import order
from apismith.probe.requests import RequestData, request_strategy, size

RULE = define(__doc__, "PRB001", "server-error", Severity.MEDIUM, Confidence.HIGH, 755)
PER_OPERATION = 40
SHRINK_LIMIT = 40
# Nineteen digits or more: at or beyond 2**63, the range of a 64-bit database integer.
HUGE_NUMBER = re.compile(r"(?<![\w.])-?\d{19,}(?![\w.])")
RESERVE = 150
# An operation that answers SLOW_LIMIT times in more than SLOW seconds (or half the timeout,
# so hangs count) is fuzzed no more: each further request would cost as much.
SLOW = 1.0
SLOW_LIMIT = 3  # requests kept for the checks that run after this one
TAME_LIMIT = 3  # failures beyond 64 bits sent again with ordinary numbers


@dataclass
class _Search:
    """The state of one hypothesis search: the smallest failures and the shrink budget.

    Only plain 5xx answers are shrunk. A hang is not retried (each costs the timeout), and a
    failure on an integer beyond 64 bits (what SQLite and most drivers cannot store) is sent
    again with those integers made ordinary: when it still fails the huge number was not the
    cause; otherwise it is kept aside and the search goes on.
    """

    ctx: ProbeContext
    operation: Operation
    smallest: tuple[int, Exchange] | None = None
    aside: Exchange | None = None
    after_failure: int = 0
    slow: int = 0
    tamed: int = 0

    def attempt(self, data: RequestData) -> None:
        if self.slow >= SLOW_LIMIT:
            return  # every request costs seconds: the budget is better spent elsewhere
        if self.smallest is not None:
            self.after_failure += 1
            if self.after_failure > SHRINK_LIMIT:
                return
        try:
            exchange = self.ctx.send(self.operation, data, self.ctx.user)
        except BudgetExhausted:
            return
        self.slow += exchange.elapsed > min(SLOW, self.ctx.channel.timeout / 2)
        if exchange.ok:
            self.ctx.remember_ids(self.operation, self.ctx.user, exchange.json())
        if exchange.status is not None and exchange.status < 500:
            return
        if exchange.status is not None and _beyond_64_bits(data) and self.tamed < TAME_LIMIT:
            self.tamed += 1
            data = _tame(data)
            exchange = self.ctx.send(self.operation, data, self.ctx.user)
            if exchange.status is not None and exchange.status < 500:
                return
        if exchange.status is None or _beyond_64_bits(data):
            if self.aside is None:
                self.aside = exchange
            return
        weight = size(data)
        if self.smallest is None or weight < self.smallest[0]:
            self.smallest = (weight, exchange)
        raise AssertionError("server error")


def run(ctx: ProbeContext) -> None:
    """Fuzz every operation within the budget left for it."""
    operations = order(ctx.schema.operations)
    for position, operation in enumerate(operations):
        reserve = min(RESERVE, ctx.channel.max_requests // 5)
        share = (ctx.channel.remaining - reserve) // (len(operations) - position)
        examples = min(PER_OPERATION, share)
        anonymous = ctx.anonymous.get(operation)
        if ctx.user.anonymous and anonymous is not None and denied(anonymous):
            examples = min(examples, 4)  # every request stops at authentication
        if examples < 2:
            continue
        search = _Search(ctx, operation)
        for valid, count in ((True, (examples * 3) // 5), (False, examples - (examples * 3) // 5)):
            if search.smallest is None and count > 0:
                _explore(search, valid, count)
        if search.smallest is not None:
            ctx.report(_finding(search.smallest[1]))
        elif search.aside is not None:
            ctx.report(_finding(search.aside))


def _explore(search: _Search, valid: bool, count: int) -> None:
    # Known objects are kept for the checks that follow: deletions get made-up ids.
    operation = search.operation
    ids = {} if operation.method == "DELETE" else search.ctx.ids_for(operation, search.ctx.user)

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(request_strategy(search.operation, valid=valid, ids=ids))
    def attempt(data: RequestData) -> None:
        search.attempt(data)

    try:
        attempt()
    except Exception:  # hypothesis re-raises the failure it shrank; it is recorded already
        return


def _finding(exchange: Exchange) -> DynamicFinding:
    operation = exchange.operation
    label = operation.label if operation else exchange.request.method
    if exchange.status is None:
        return finding(RULE, exchange, f"{label}: {exchange.error}")
    if HUGE_NUMBER.search(
        str(exchange.request.url) + exchange.request.content.decode("utf-8", "replace")
    ):
        message = f"{label} answered {exchange.status} to an integer beyond 64 bits; bound it"
        return finding(RULE, exchange, message, Severity.LOW)
    return finding(RULE, exchange, f"{label} answered {exchange.status}")


def _tame(value: Any) -> Any:
    """``value`` with every integer beyond 64 bits replaced by 1."""
    if isinstance(value, RequestData):
        parts = (value.path, value.query, value.headers, value.cookies, value.body)
        path, query, headers, cookies, body = (_tame(part) for part in parts)
        return replace(value, path=path, query=query, headers=headers, cookies=cookies, body=body)
    if isinstance(value, int) and not isinstance(value, bool) and _beyond_64_bits(value):
        return 1
    if isinstance(value, dict):
        return {key: _tame(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tame(item) for item in value]
    return value


def _beyond_64_bits(value: object) -> bool:
    if isinstance(value, RequestData):
        parts = (value.path, value.query, value.headers, value.cookies, value.body)
        return any(_beyond_64_bits(part) for part in parts)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -(2**63) <= value < 2**63
    if isinstance(value, dict):
        return any(_beyond_64_bits(item) for item in value.values())
    if isinstance(value, list):
        return any(_beyond_64_bits(item) for item in value)
    return False


def collect(ctx: ProbeContext) -> None:
    """Report server errors any step ran into, with the smallest request per operation."""
    smallest: dict[Operation, Exchange] = {}
    for exchange in ctx.channel.exchanges:
        operation = exchange.operation
        if operation is None or (exchange.status is not None and exchange.status < 500):
            continue
        known = smallest.get(operation)
        if known is None or len(exchange.curl) < len(known.curl):
            smallest[operation] = exchange
    for exchange in smallest.values():
        ctx.report(_finding(exchange))


CHECK = Check(RULE, run)
