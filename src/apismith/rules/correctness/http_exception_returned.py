"""
## What it does
Finds path operations and dependencies that `return HTTPException(...)` (FastAPI's or
Starlette's, or a project subclass) instead of raising it.

## Why is this bad?
A returned exception is just a value: the client gets a 200 response with the exception
serialised as the body, or a 500 when it fails the response model's validation. The error
status the code meant to send is lost, and with it the check it implemented: a dependency that
"rejects" a caller this way lets the request through (CWE-393).

## Known problems
Factories that build an exception for the caller to raise (`def not_found(): return
HTTPException(404)`) are not path operations or dependencies, and are not reported.

## Example
```python
from fastapi import FastAPI, HTTPException

app = FastAPI()
ITEMS = {1: "hammer"}


@app.get("/items/{item_id}")
def read_item(item_id: int):
    if item_id not in ITEMS:
        return HTTPException(status_code=404, detail="Item not found")
    return {"name": ITEMS[item_id]}
```

## Use instead
```python
from fastapi import FastAPI, HTTPException

app = FastAPI()
ITEMS = {1: "hammer"}


@app.get("/items/{item_id}")
def read_item(item_id: int):
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="Item not found")
    return {"name": ITEMS[item_id]}
```

## Fix safety
Replacing `return` with `raise` is safe: it is what the code means.

## References
- https://cwe.mitre.org/data/definitions/393.html
- https://fastapi.tiangolo.com/tutorial/handling-errors/
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

EXCEPTIONS = frozenset(
    {
        "fastapi.HTTPException",
        "fastapi.exceptions.HTTPException",
        "starlette.exceptions.HTTPException",
        "fastapi.WebSocketException",
        "fastapi.exceptions.WebSocketException",
        "starlette.exceptions.WebSocketException",
    }
)


class HttpExceptionReturned(Rule):
    id = "COR008"
    name = "http-exception-returned"
    family = "correctness"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 393
    fix_title = "`raise` the HTTPException instead of returning it."

    def check_project(self, context: Context) -> Iterable[Report]:
        endpoints = {id(route.handler) for route in context.routes.routes}
        endpoints |= context.dependency_functions
        for module in context.project.modules:
            if module.is_test or not module.imports_any("fastapi", "starlette"):
                continue
            for node, function in module.index.returns:
                if id(function) not in endpoints or node.value is None:
                    continue
                name = _exception(context, module, function, node.value)
                if name is not None:
                    yield Report(
                        module,
                        node,
                        f"`{function.name}` returns `{name}` instead of raising it: the client "
                        "gets it as a successful response",
                    )


def _exception(context: Context, module: Module, function: Function, value: ast.expr) -> str | None:
    """The exception class a returned expression constructs, directly or through a local."""
    if isinstance(value, ast.Name):
        assigned = [
            node.value
            for node in walk(function)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets)
        ]
        if len(assigned) != 1:
            return None
        value = assigned[0]
    if not isinstance(value, ast.Call):
        return None
    qualname = context.project.resolve(module, value.func)
    if qualname is not None and _is_http_exception(context, qualname, 0):
        return ast.unparse(value.func)
    return None


def _is_http_exception(context: Context, qualname: str, depth: int) -> bool:
    if qualname in EXCEPTIONS:
        return True
    found = context.project.lookup(qualname)
    if found is None or depth > 10:
        return False
    owner, node = found
    if not isinstance(node, ast.ClassDef):
        return False
    return any(
        _is_http_exception(context, base, depth + 1)
        for base in (context.project.resolve(owner, b) for b in node.bases)
        if base is not None
    )
