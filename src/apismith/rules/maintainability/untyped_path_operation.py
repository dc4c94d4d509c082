"""
## What it does
Finds path operations with a request parameter that has no type annotation, or with neither a
return annotation nor a `response_model` while they return data.

## Why is this bad?
FastAPI builds validation and the OpenAPI schema from the types. An unannotated parameter is
accepted as any string without validation and documented without a type; an operation with no
response type publishes an empty response schema, so generated clients get `any` and nothing
keeps the handler from leaking fields it should not return.

## Known problems
Operations that return `Response` objects (templates, files, redirects, streams) or nothing
are not asked for a return type.

## Example
```python
from fastapi import FastAPI

app = FastAPI()


@app.get("/items")
def list_items(q, limit: int = 10):
    return [{"name": q}]
```

## Use instead
```python
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str


@app.get("/items")
def list_items(q: str, limit: int = 10) -> list[Item]:
    return [Item(name=q)]
```

## Fix safety
Adding types adds validation: requests that were accepted before may now get a 422.

## References
- https://fastapi.tiangolo.com/tutorial/query-params/
- https://fastapi.tiangolo.com/tutorial/response-model/
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.analysis.blocking import own_nodes
from apismith.findings import Confidence, Severity
from apismith.project.routes import Route
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context


class UntypedPathOperation(Rule):
    id = "MNT002"
    name = "untyped-path-operation"
    family = "maintainability"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    fix_title = "Annotate every request parameter and the return type (or set `response_model`)."

    def check_project(self, context: Context) -> Iterable[Report]:
        for route in context.declared_routes():
            problems: list[str] = []
            untyped = [
                p.name
                for p in route.operation.params
                if p.annotation is None and p.source != "dependency"
            ]
            if untyped:
                names = ", ".join(f"`{name}`" for name in untyped)
                problems.append(f"no type on parameter{'s' if len(untyped) > 1 else ''} {names}")
            if _needs_return_type(context, route):
                problems.append("no return annotation or `response_model`")
            if problems:
                yield Report(
                    route.module,
                    route.operation.decorator,
                    f"`{route.method} {route.path}` (`{route.handler.name}`): "
                    + " and ".join(problems),
                )


def _needs_return_type(context: Context, route: Route) -> bool:
    if route.handler.returns is not None or route.keyword("response_model") is not None:
        return False
    if route.keyword("response_class") is not None or _hidden(route):
        return False
    status = route.keyword("status_code")
    if status is not None and "204" in ast.unparse(status):
        return False
    returned = [
        node.value
        for node in own_nodes(route.handler)
        if isinstance(node, ast.Return) and node.value is not None
    ]
    values = [v for v in returned if not (isinstance(v, ast.Constant) and v.value is None)]
    return bool(values) and not any(_is_response(context, route, v) for v in values)


def _hidden(route: Route) -> bool:
    flag = route.keyword("include_in_schema")
    return isinstance(flag, ast.Constant) and flag.value is False


def _is_response(context: Context, route: Route, value: ast.expr) -> bool:
    """Whether a returned value is a ``Response``: built by a ``...Response`` class or function,
    returned by a project function annotated so, or held in a local of such a type."""
    if isinstance(value, ast.Await):
        value = value.value
    project = context.project
    if isinstance(value, ast.Call):
        scope = project.scope(route.handler)
        name = project.resolve(route.module, value.func, scope) or ast.unparse(value.func)
        found = project.function(name)
        if found is not None:
            name = project.annotation_type(found[0], found[1].returns) or name
        return name.lower().endswith("response")
    if isinstance(value, ast.Name):
        declared = [
            project.annotation_type(route.module, node.annotation)
            for node in own_nodes(route.handler)
            if isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == value.id
        ]
        types = [project.scope(route.handler).types.get(value.id), *declared]
        return any(t is not None and t.endswith("Response") for t in types)
    return False
