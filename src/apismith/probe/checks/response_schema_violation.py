"""Response schema violation: a documented answer whose body does not match its declared schema.

## What it does
Validates the JSON body of every answer whose status the operation documents (or any 2xx
one documented by a range or ``default``) against the schema the OpenAPI document declares
for it. FastAPI's automatic 401/403/404/405/422 answers are not checked against the success
schema.

## Why is this bad?
Clients are generated from the schema. A field that is missing, renamed or of another type
breaks them, and a response model that is bypassed (a raw ``JSONResponse``, a dict) often
also leaks fields that were meant to stay private.

## Example
```python
@app.get("/users/{user_id}", response_model=UserOut)
def read_user(user_id: int):
    return JSONResponse({"id": user_id, "mail": "a@example.com"})  # 'email' is required
```

## Use instead
```python
@app.get("/users/{user_id}", response_model=UserOut)
def read_user(user_id: int):
    return UserOut(id=user_id, email="a@example.com")
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema

from apismith.dynamic.schema import Operation
from apismith.findings import Confidence, Severity
from apismith.probe.channel import Exchange
from apismith.probe.checks.base import Check, define
from apismith.probe.context import ProbeContext, finding

RULE = define(__doc__, "PRB002", "response-schema-violation", Severity.MEDIUM, Confidence.HIGH, 20)
UNSET: Any = object()


def declared(operation: Operation, status: int) -> Any:
    """The schema declared for ``status`` (None when undeclared or without a JSON schema)."""
    responses = operation.responses
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx"):
        if key in responses:
            return responses[key]
    if 200 <= status < 300 and "default" in responses:
        return responses["default"]
    return UNSET


EXCLUDES = (
    "response_model_include",
    "response_model_exclude",
    "response_model_exclude_unset",
    "response_model_exclude_defaults",
    "response_model_exclude_none",
)


def run(ctx: ProbeContext) -> None:
    """Validate every recorded answer that has a declared schema."""
    validators: dict[int, jsonschema.protocols.Validator] = {}
    for exchange in ctx.channel.exchanges:
        operation = exchange.operation
        if (
            operation is None
            or exchange.status is None
            or exchange.status in (401, 403, 404, 405, 422)
            or exchange.request.method != operation.method
        ):
            continue
        schema = declared(operation, exchange.status)
        if not isinstance(schema, dict) or not _is_json(exchange):
            continue
        body = exchange.json()
        if body is None and exchange.text.strip() != "null":
            continue  # cut at the excerpt limit or not JSON: nothing to judge
        key = id(schema)
        if key not in validators:
            openapi3_0 = ctx.schema.version.startswith("3.0")
            schema = _nullable(schema) if openapi3_0 else schema
            validators[key] = jsonschema.Draft202012Validator(schema)
        errors = list(validators[key].iter_errors(body))
        excludes = route_excludes(ctx.channel.target.app, operation)
        plain = [e for e in errors if not _subset_missing(e)]
        error = jsonschema.exceptions.best_match(plain if excludes is not False else errors)
        severity = None
        if error is None and excludes is None and errors:
            # Fields left out of an object that holds only declared ones: from outside this
            # may be response_model_exclude at work, which the published schema ignores.
            error, severity = jsonschema.exceptions.best_match(errors), Severity.LOW
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "the body"
            maybe = " (unless the route excludes fields)" if severity else ""
            ctx.report(
                finding(
                    RULE,
                    exchange,
                    f"{operation.label} answered {exchange.status} with a body that breaks its "
                    f"declared schema at {where}: {error.message[:160]}{maybe}",
                    severity,
                )
            )


def route_excludes(app: object, operation: Operation) -> bool | None:
    """Whether the FastAPI route of ``operation`` leaves fields out of its answers.

    ``response_model_exclude`` and its kin are not in the published schema; an in-process
    app's routes tell. None when unknown (a URL target, a route not found).
    """
    for route in _routes(app):
        path = getattr(route, "path_format", None)
        methods = getattr(route, "methods", None) or ()
        known = isinstance(path, str) and path.strip("/") and operation.path.endswith(path)
        if known and operation.method in methods:
            return any(getattr(route, name, None) for name in EXCLUDES)
    return None


def _routes(app: object, depth: int = 0) -> Iterator[object]:
    """The routes of an app, those of included routers too."""
    for route in getattr(app, "routes", None) or ():
        yield route
        if depth < 5:
            # An included router: its own routes, or (newer FastAPI) those of the original.
            yield from _routes(getattr(route, "original_router", route), depth + 1)


def _subset_missing(error: jsonschema.exceptions.ValidationError) -> bool:
    """A required field missing from an object that holds only declared fields."""
    if error.validator != "required" or not isinstance(error.instance, dict):
        return False
    declared = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    return set(error.instance) <= set(declared)


def _is_json(exchange: Exchange) -> bool:
    return "json" in exchange.headers.get("content-type", "")


def _nullable(schema: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema's null type."""
    if isinstance(schema, list):
        return [_nullable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {k: _nullable(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


CHECK = Check(RULE, run)
