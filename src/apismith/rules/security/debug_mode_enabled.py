"""
## What it does
Finds debug mode switched on in code: `FastAPI(debug=True)`, `Starlette(debug=True)`,
`app.debug = True` and `uvicorn.run(..., debug=True)`. A `uvicorn.run(..., reload=True)` that
runs whenever the module is imported (at module level, outside
`if __name__ == "__main__":`) is reported with low severity.

## Why is this bad?
In debug mode an unhandled error answers with the full traceback: source lines, local
variable values, file paths and library versions, which help an attacker map and exploit
the service (CWE-489). The auto-reloader watches the file system and is meant for
development only.

## Known problems
`debug=settings.DEBUG` is reported (with medium confidence) when the settings field defaults
to `True`, and `debug=DEBUG` when the project binds `DEBUG = True` or
`DEBUG = os.getenv("DEBUG", "true").lower() == "true"`: debug mode is on wherever the
deployment forgets to switch it off. A setting read from the environment without such a
default is not reported. `reload=True` inside a function or under
`if __name__ == "__main__":` is taken as a development entry point and not reported.

## Example
```python
from fastapi import FastAPI

app = FastAPI(title="Orders", debug=True)
```

## Use instead
```python
import os

from fastapi import FastAPI

app = FastAPI(title="Orders", debug=os.getenv("APP_DEBUG") == "1")
```

## Fix safety
Removing `debug=True` is safe for production behaviour; error pages stop showing details.

## References
- https://cwe.mitre.org/data/definitions/489.html
- https://www.starlette.io/applications/
- https://www.uvicorn.org/settings/#development
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.module import Module
from apismith.project.project import Project
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

APP_CLASSES = frozenset(
    {
        "fastapi.FastAPI",
        "fastapi.applications.FastAPI",
        "starlette.applications.Starlette",
    }
)
UVICORN_RUN = frozenset({"uvicorn.run", "uvicorn.main.run"})
ENVIRONMENT_READS = frozenset({"os.getenv", "os.environ.get"})


class DebugModeEnabled(Rule):
    id = "SEC022"
    name = "debug-mode-enabled"
    family = "security"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = 489
    fix_title = (
        "Take debug mode from the environment (not a literal `True`); keep it off in production."
    )
    requires = ("fastapi", "starlette", "uvicorn")
    scope = "file"

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        project = context.project
        main_block = _main_block(module)
        for call, function in module.index.calls:
            callee = project.resolve(module, call.func)
            debug = _keyword(call, "debug")
            if callee in APP_CLASSES and _is_true(debug):
                yield Report(
                    module,
                    call,
                    f"`{ast.unparse(call.func)}(debug=True)` shows tracebacks to clients",
                )
            elif (
                callee in APP_CLASSES
                and debug is not None
                and _true_by_default(context, module, debug)
            ):
                yield Report(
                    module,
                    call,
                    f"`{ast.unparse(call.func)}(debug={ast.unparse(debug)})` shows tracebacks to "
                    "clients: the setting is `True` unless the deployment overrides it",
                    confidence=Confidence.MEDIUM,
                )
            elif callee in UVICORN_RUN and _is_true(debug):
                yield Report(
                    module, call, "`uvicorn.run(..., debug=True)` runs the server in debug mode"
                )
            elif (
                callee in UVICORN_RUN
                and _is_true(_keyword(call, "reload"))
                and function is None
                and id(call) not in main_block
            ):
                yield Report(
                    module,
                    call,
                    "`uvicorn.run(..., reload=True)` runs the auto-reloader whenever "
                    f"`{module.name}` is imported",
                    severity=Severity.LOW,
                )
        for assign, function in module.index.assigns:
            if not isinstance(assign, ast.Assign) or not _is_true(assign.value):
                continue
            scope = project.scope(function) if function is not None else None
            for target in assign.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "debug"
                    and project.type_of(module, target.value, scope) in APP_CLASSES
                ):
                    yield Report(
                        module,
                        assign,
                        f"`{ast.unparse(target)} = True` shows tracebacks to clients",
                    )


def _true_by_default(context: Context, module: Module, node: ast.expr) -> bool:
    """``DEBUG`` bound to ``True`` in the project, or a settings field ``DEBUG: bool = True``."""
    project = context.project
    if isinstance(node, ast.Attribute):
        info = context.classes.get(project.type_of(module, node.value))
        if info is not None and info.kind == "settings":
            field = info.fields.get(node.attr)
            return isinstance(field, ast.AnnAssign | ast.Assign) and _is_true(field.value)
    found = project.lookup(project.resolve(module, node) or "")
    if found is None or not isinstance(found[1], ast.expr):
        return False
    return _is_true(found[1]) or _environment_default_true(project, found[0], found[1])


def _environment_default_true(project: Project, module: Module, value: ast.expr) -> bool:
    """``os.getenv("DEBUG", "true").lower() == "true"``: on when the variable is not set."""
    if not (
        isinstance(value, ast.Compare)
        and len(value.ops) == 1
        and isinstance(value.ops[0], ast.Eq | ast.In)
    ):
        return False
    read = value.left
    while isinstance(read, ast.Call) and isinstance(read.func, ast.Attribute) and not read.args:
        read = read.func.value  # .lower(), .strip()
    if not (
        isinstance(read, ast.Call)
        and project.resolve(module, read.func) in ENVIRONMENT_READS
        and len(read.args) == 2
        and isinstance(read.args[1], ast.Constant)
    ):
        return False
    default = str(read.args[1].value).lower()
    expected = value.comparators[0]
    options = expected.elts if isinstance(expected, ast.Tuple | ast.List | ast.Set) else [expected]
    return any(isinstance(o, ast.Constant) and str(o.value).lower() == default for o in options)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _main_block(module: Module) -> set[int]:
    """``id`` of every node under ``if __name__ == "__main__":``."""
    found: set[int] = set()
    for statement in module.tree.body:
        if isinstance(statement, ast.If) and _is_main_test(statement.test):
            for child in statement.body:
                found.update(id(node) for node in walk(child))
    return found


def _is_main_test(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and len(test.comparators) == 1
        and {ast.unparse(test.left), ast.unparse(test.comparators[0])} == {"__name__", "'__main__'"}
    )
