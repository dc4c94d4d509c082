"""
## What it does
Finds public path operations (not `include_in_schema=False`) with no `summary=` or
`description=` in the decorator and no docstring on the handler.

## Why is this bad?
The OpenAPI document is the API's manual. Without a summary FastAPI titles the operation with
the handler's name ("Get Items V2") and leaves the description empty, so the generated docs
and client SDKs tell the reader nothing about what the operation does or when to use it.

## Known problems
Operations documented elsewhere (an `openapi_extra`, a router-wide convention, an external
spec) are still reported.

## Example
```python
from fastapi import FastAPI

app = FastAPI()


@app.get("/items")
def list_items():
    return []
```

## Use instead
```python
from fastapi import FastAPI

app = FastAPI()


@app.get("/items")
def list_items():
    \"\"\"List the items of the caller's catalogue, newest first.\"\"\"
    return []
```

## Fix safety
Adding documentation does not change behaviour.

## References
- https://fastapi.tiangolo.com/tutorial/path-operation-configuration/#summary-and-description
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.project import last_name
from apismith.project.routes import Route
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

DOCUMENTING = ("summary", "description", "openapi_extra")
SCHEMA_BUILDER = "fastapi.openapi.utils.get_openapi"


class MissingOperationSummary(Rule):
    id = "MNT004"
    name = "missing-operation-summary"
    family = "maintainability"
    severity = Severity.INFO
    confidence = Confidence.HIGH
    fix_title = "Give the handler a docstring, or pass `summary=` / `description=`."

    def check_project(self, context: Context) -> Iterable[Report]:
        for route in context.declared_routes():
            if _documented(route) or _hidden(context, route):
                continue
            yield Report(
                route.module,
                route.operation.decorator,
                f"`{route.method} {route.path}` (`{route.handler.name}`) has no summary, "
                "description or docstring",
            )


def _documented(route: Route) -> bool:
    if ast.get_docstring(route.handler):
        return True
    return any(route.keyword(name) is not None for name in DOCUMENTING)


def _hidden(context: Context, route: Route) -> bool:
    """``include_in_schema=False`` on the operation or on the router that holds it, or an app
    that publishes no OpenAPI document (``openapi_url=None``): no summary is shown anywhere."""
    flags = [route.keyword("include_in_schema")]
    container = context.routes.containers.get(route.router)
    if container is not None:
        flags += [k.value for k in container.node.keywords if k.arg == "include_in_schema"]
    if any(isinstance(f, ast.Constant) and f.value is False for f in flags):
        return True
    app = context.routes.containers.get(route.app)
    schema = [k.value for k in app.node.keywords if k.arg == "openapi_url"] if app else []
    unpublished = any(isinstance(value, ast.Constant) and not value.value for value in schema)
    return unpublished and not context.shared(_builds_schemas, lambda: _builds_schemas(context))


def _builds_schemas(context: Context) -> bool:
    """Whether the project renders OpenAPI documents itself (``get_openapi(routes=...)``), as
    services that version their schema do: ``openapi_url=None`` then hides nothing."""
    project = context.project
    names = project.spellings(frozenset({SCHEMA_BUILDER}))
    return any(
        last_name(call.func) in names and project.resolve(module, call.func) == SCHEMA_BUILDER
        for module in project.modules
        if not module.is_test
        for call, _ in module.index.calls
    )
