"""Undocumented success status: a 2xx answer with a status code the operation does not declare.

## What it does
Reports an operation that answers a 2xx status its OpenAPI responses do not list (a 200 from
an operation declared as 201, a 204 where 200 is declared). Error statuses are left alone:
FastAPI's automatic 401/403/404/405/422 and an application's own 4xx are correct behaviour
even when not documented.

## Why is this bad?
Generated clients decide how to read an answer from its status; an undeclared success status
is treated as an error or parsed with the wrong model.

## Example
```python
@app.post("/items", status_code=201)
def create(item: Item):
    return JSONResponse(item.model_dump(), status_code=200)
```

## Use instead
```python
@app.post("/items", status_code=201)
def create(item: Item):
    return item
```
"""

from __future__ import annotations

from apismith.findings import Confidence, Severity
from apismith.probe.checks.base import Check, define
from apismith.probe.checks.response_schema_violation import UNSET, declared
from apismith.probe.context import ProbeContext, finding

RULE = define(__doc__, "PRB003", "undocumented-success-status", Severity.LOW, Confidence.HIGH, None)


def run(ctx: ProbeContext) -> None:
    """Look for 2xx answers with undeclared statuses."""
    for exchange in ctx.channel.exchanges:
        operation = exchange.operation
        if operation is None or not exchange.ok or not operation.responses:
            continue
        if exchange.request.method != operation.method:
            continue  # a CORS preflight to the operation's path
        assert exchange.status is not None
        if declared(operation, exchange.status) is UNSET:
            listed = ", ".join(sorted(operation.responses))
            ctx.report(
                finding(
                    RULE,
                    exchange,
                    f"{operation.label} answered {exchange.status}, which it does not declare "
                    f"(declared: {listed})",
                )
            )


CHECK = Check(RULE, run)
