"""
## What it does
Finds parameters of path operations and dependencies declared with a FastAPI marker as their
default value (`db: Session = Depends(get_db)`, `q: str = Query(None)`,
`user = Security(current_user, scopes=["me"])`) instead of inside `Annotated`.

## Why is this bad?
The default-value form ties the function to FastAPI: called directly (in a test, a script or
another function) the parameter silently receives the `Depends` object itself. The marker also
cannot be shared: the same `Depends(get_db)` is repeated in every signature, where an
`Annotated` alias (`DbSession = Annotated[Session, Depends(get_db)]`) is written once. FastAPI
recommends `Annotated` since 0.95.

## Known problems
Projects pinned to FastAPI older than 0.95 cannot use `Annotated` markers; a pin below 0.95 in
`requirements.txt`, `pyproject.toml`, `setup.py`, `setup.cfg` or `Pipfile` (at the root or one
folder down) turns the rule off.

## Example
```python
from fastapi import Depends, FastAPI

app = FastAPI()


def get_db():
    yield None


@app.get("/users")
def list_users(db=Depends(get_db)):
    return []
```

## Use instead
```python
from typing import Annotated

from fastapi import Depends, FastAPI

app = FastAPI()


def get_db():
    yield None


@app.get("/users")
def list_users(db: Annotated[object, Depends(get_db)]):
    return []
```

## Fix safety
Moving the marker into `Annotated` keeps the behaviour; a default value given to the marker
(`Query(10)`) becomes the parameter's plain default (`= 10`).

## References
- https://fastapi.tiangolo.com/tutorial/dependencies/#share-annotated-dependencies
- https://docs.astral.sh/ruff/rules/fast-api-non-annotated-dependency/
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module, parameter_defaults
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

REQUIREMENT_FILES = ("pyproject.toml", "requirements.txt", "setup.py", "setup.cfg", "Pipfile")
# ``==0.88``, ``~=0.88``, ``^0.88``, ``<0.95``, ``<=0.94``, or poetry's ``fastapi = "0.88.0"``
UPPER_BOUND = re.compile(r"""(?:==|~=|<=|<|\^|~|=\s*["'])\s*0\.(\d+)""")
ANNOTATED_SINCE = 95
FASTAPI = re.compile(r"(?<![\w-])fastapi(?![\w-])", re.IGNORECASE)
MARKERS = frozenset(
    ["Depends", "Security", "Query", "Path", "Body", "Header", "Cookie", "Form", "File"]
)


class DependsWithoutAnnotated(Rule):
    id = "MNT001"
    name = "depends-without-annotated"
    family = "maintainability"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    fix_title = "Move the marker into the annotation: `name: Annotated[Type, Depends(...)]`."

    def check_project(self, context: Context) -> Iterable[Report]:
        if _pinned_before_annotated(context.project.root):
            return
        seen: set[int] = set()
        for function in _endpoints(context):
            if id(function) in seen:
                continue
            seen.add(id(function))
            module = context.project.module_of(function)
            for argument, default in parameter_defaults(function):
                marker = _marker(context, module, default)
                if marker is None:
                    continue
                typed = ast.unparse(argument.annotation) if argument.annotation else "T"
                yield Report(
                    module,
                    argument,
                    f"parameter `{argument.arg}` of `{_display(module, function)}` is declared "
                    f"`= {ast.unparse(default)}`; use `Annotated[{typed}, {marker}(...)]`",
                    fix=f"Move the marker into the annotation: "
                    f"`{argument.arg}: Annotated[{typed}, {marker}(...)]`.",
                )


def _pinned_before_annotated(root: Path) -> bool:
    """Whether the project's requirements pin FastAPI below 0.95 (no ``Annotated`` support)."""
    for directory in (root, *(p for p in root.iterdir() if p.is_dir())) if root.is_dir() else ():
        for name in REQUIREMENT_FILES:
            try:
                text = (directory / name).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for line in text.splitlines():
                found = FASTAPI.search(line)
                if found is None:
                    continue
                pin = UPPER_BOUND.search(line, found.end())
                if pin is not None and int(pin.group(1)) < ANNOTATED_SINCE:
                    return True
    return False


def _endpoints(context: Context) -> Iterator[Function]:
    """Handlers of every route, then every function used as a dependency."""
    for route in context.routes.routes:
        yield route.handler
        for dependency in route.all_dependencies:
            for node in dependency.closure():
                if node.function is not None:
                    yield node.function[1]


def _display(module: Module, function: Function) -> str:
    """``name``, or ``Class.name`` for a method."""
    for node in module.index.classes:
        if any(statement is function for statement in node.body):
            return f"{node.name}.{function.name}"
    return function.name


def _marker(context: Context, module: Module, default: ast.expr) -> str | None:
    """The FastAPI marker a default value calls (``Depends``), if any."""
    if not isinstance(default, ast.Call):
        return None
    callee = context.project.resolve(module, default.func) or ""
    short = callee.rpartition(".")[2]
    if callee.startswith("fastapi.") and short in MARKERS:
        return short
    return None
