"""
## What it does
Finds a route that can never be reached because a route registered before it, for the same
HTTP method in the same application, matches every path it matches: `GET /users/{user_id}`
declared before `GET /users/me`.

## Why is this bad?
Starlette tries routes in registration order and a `{param}` matches any path segment, whatever
the type annotation of the handler's parameter says. `GET /users/me` is served by the
`{user_id}` handler, which answers 422 (`"me"` is not an integer) or looks up a user named
`"me"`; the intended handler never runs.

## Known problems
Only routes whose paths are known statically and whose registration order can be told (both
declared in one module, or their routers included from one module) are compared. Custom path
convertors are not modelled.

## Example
```python
from fastapi import APIRouter

router = APIRouter(prefix="/users")


@router.get("/{user_id}")
def read_user(user_id: int):
    return {"id": user_id}


@router.get("/me")
def read_me():
    return {"id": 0}
```

## Use instead
```python
from fastapi import APIRouter

router = APIRouter(prefix="/users")


@router.get("/me")
def read_me():
    return {"id": 0}


@router.get("/{user_id}")
def read_user(user_id: int):
    return {"id": user_id}
```

## Fix safety
Moving the fixed-path route above the parameterised one changes which handler serves the
path; no automatic fix.

## References
- https://fastapi.tiangolo.com/tutorial/path-params/#order-matters
- https://www.starlette.io/routing/#route-priority
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.correctness.duplicate_route import (
    Registration,
    exclusive,
    handler_name,
    registered_first,
    registrations,
)

PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")
CONVERTORS = {
    None: "[^/]+",
    "str": "[^/]+",
    "path": ".*",
    "int": "[0-9]+",
    "float": r"[0-9]+(?:\.[0-9]+)?",
    "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
}
ANY = "\x00"


def route_regex(path: str) -> re.Pattern[str] | None:
    """The regular expression Starlette compiles for a path (None for unknown convertors)."""
    parts: list[str] = []
    end = 0
    for match in PARAM.finditer(path):
        convertor = CONVERTORS.get(match.group(2))
        if convertor is None:
            return None
        parts += [re.escape(path[end : match.start()]), convertor]
        end = match.end()
    parts.append(re.escape(path[end:]))
    return re.compile("".join(parts))


def sample(path: str) -> str:
    """The path with each parameter replaced by a value only a parameter can match."""
    return PARAM.sub(lambda m: f"{ANY}/{ANY}" if m.group(2) == "path" else ANY, path)


class ShadowedRoute(Rule):
    id = "COR002"
    name = "shadowed-route"
    family = "correctness"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    fix_title = "Declare the fixed-path route before the parameterised route that matches it."

    def check_project(self, context: Context) -> Iterable[Report]:
        groups: dict[tuple[str, str], list[Registration]] = {}
        for registration in registrations(context):
            if registration.certain:
                groups.setdefault((registration.app, registration.method), []).append(registration)
        for routes in groups.values():
            patterns = [(route, route_regex(route.path)) for route in routes]
            for later in routes:
                text = sample(later.path)
                for earlier, pattern in patterns:
                    if (
                        pattern is None
                        or earlier.path == later.path
                        or not pattern.fullmatch(text)
                        or registered_first(earlier, later) is not True
                        or exclusive(earlier, later)
                    ):
                        continue
                    yield Report(
                        later.declaration.module,
                        later.declaration.node,
                        f"`{later.label}` (`{handler_name(later)}`) is never reached: "
                        f"`{earlier.label}` (`{handler_name(earlier)}`, {earlier.where}) is "
                        "registered before it and matches the same paths",
                    )
                    break
