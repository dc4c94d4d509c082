"""
## What it does
Finds routes that no test calls, in projects whose tests do call the API. A route counts as
tested when a test module requests a path it matches (`client.get("/items/1")`,
`client.get(f"{API}/items/{item.id}")`, `client.request("DELETE", url)`, through constants,
local variables and URL-building helpers), names it in `url_path_for`, or calls its handler.

## Why is this bad?
The project has an API test suite, and this operation is outside it: a regression in its
validation, its permissions or its response shape ships unnoticed. Untested routes are also the
ones that rot first when the code around them changes.

## Known problems
Requests whose path is built in ways the analysis cannot follow (passed in from a fixture,
assembled in a loop) do not count, so their routes may be reported although a test reaches
them. Projects without any request in their tests are not reported at all, and neither are
the routes of a top-level folder (a service of a monorepo) none of whose routes a test reaches.

## Example
```python
from fastapi import FastAPI
from fastapi.testclient import TestClient

app = FastAPI()


@app.get("/items")
def list_items():
    return []


@app.delete("/items/{item_id}")
def delete_item(item_id: int):
    return None


def test_list_items():
    assert TestClient(app).get("/items").status_code == 200
```

## Use instead
```python
from fastapi import FastAPI
from fastapi.testclient import TestClient

app = FastAPI()


@app.get("/items")
def list_items():
    return []


@app.delete("/items/{item_id}")
def delete_item(item_id: int):
    return None


def test_items():
    client = TestClient(app)
    assert client.get("/items").status_code == 200
    assert client.delete("/items/1").status_code == 200
```

## Fix safety
Not applicable: write a test that calls the route.

## References
- https://fastapi.tiangolo.com/tutorial/testing/
"""

from __future__ import annotations

from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.routes import Route
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.testing_map import collect_test_usage, tested_routes


def _service(route: Route) -> str:
    """The top-level folder of the route's module: one service of a monorepo."""
    return route.module.relpath.split("/", 1)[0] if "/" in route.module.relpath else ""


class UntestedRoute(Rule):
    id = "TST001"
    name = "untested-route"
    family = "testing"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    fix_title = "Add a test that calls this route (TestClient or httpx.AsyncClient)."

    def check_project(self, context: Context) -> Iterable[Report]:
        routes = context.routes.routes
        usage = collect_test_usage(context.project)
        if not routes or not usage.makes_requests:
            return
        tested = tested_routes(context.project, routes, usage)
        # A service none of whose routes the tests reach is tested elsewhere, or not at all.
        covered = {_service(route) for route in routes if id(route) in tested}
        reported: set[tuple[int, str]] = set()
        for route in routes:
            key = (id(route.operation.decorator), route.method)
            if id(route) in tested or key in reported or _service(route) not in covered:
                continue
            reported.add(key)
            yield Report(
                route.module,
                route.operation.decorator,
                f"no test calls `{route.method} {route.path}` (`{route.handler.name}`)",
            )
