"""
## What it does
Finds parameters of path operations and dependencies defined inside a function (dependency
factories, router factories) whose annotation names a local of the enclosing function, in a
module with `from __future__ import annotations`.

## Why is this bad?
Postponed annotations are strings. FastAPI evaluates them in the module's global namespace,
where a local of the enclosing function does not exist; the evaluation fails silently and the
parameter becomes a plain required query parameter. A `Depends(checker)` or `Security(...)` in
such an annotation never runs, so a guard written to authenticate or authorise the caller
checks nothing, and the operation answers 422 to every real client, or worse, accepts the
value from the query string.

## Known problems
Only names that are neither imported, defined at module level nor builtins are reported; a
name hidden behind `if TYPE_CHECKING:` imports is not.

## Example
```python
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI


async def current_user() -> str:
    return "someone"


def role_guard(role: str):
    checker = current_user

    async def dependency(user: Annotated[str, Depends(checker)]) -> str:
        return user

    return dependency


app = FastAPI()


@app.get("/admin", dependencies=[Depends(role_guard("admin"))])
async def admin() -> dict[str, str]:
    return {}
```

## Use instead
```python
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI


async def current_user() -> str:
    return "someone"


def role_guard(role: str):
    async def dependency(user: Annotated[str, Depends(current_user)]) -> str:
        return user

    return dependency


app = FastAPI()


@app.get("/admin", dependencies=[Depends(role_guard("admin"))])
async def admin() -> dict[str, str]:
    return {}
```

## Fix safety
Moving the name to module level, or passing the dependency as a default value
(`user: str = Depends(checker)`, evaluated when the function is defined), changes which code
runs: the guard starts rejecting requests it used to let through. Review before applying.

## References
- https://peps.python.org/pep-0563/
- https://fastapi.tiangolo.com/tutorial/dependencies/
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.project import BUILTINS
from apismith.project.routes import postponed_annotations
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context


class UnresolvableAnnotation(Rule):
    id = "COR009"
    name = "unresolvable-annotation"
    family = "correctness"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = None
    fix_title = (
        "Name module-level objects in the annotation, or pass the dependency as a default "
        "value (`= Depends(...)`)."
    )

    def check_project(self, context: Context) -> Iterable[Report]:
        wanted = set(context.dependency_functions)
        wanted |= {id(route.handler) for route in context.routes.routes}
        for module in context.project.modules:
            if module.is_test or not postponed_annotations(module):
                continue
            for function in module.index.functions:
                enclosing = module.index.function_owner.get(id(function))
                if enclosing is None or id(function) not in wanted:
                    continue
                yield from _reports(module, function, enclosing)


def _reports(module: Module, function: Function, enclosing: Function) -> Iterable[Report]:
    arguments = function.args
    for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
        if argument.annotation is None:
            continue
        unknown = sorted(
            {
                node.id
                for node in walk(argument.annotation)
                if isinstance(node, ast.Name)
                and node.id not in module.imports
                and node.id not in module.bindings
                and node.id not in BUILTINS
            }
        )
        if unknown:
            yield Report(
                module,
                argument,
                f"`{function.name}` parameter `{argument.arg}`: its annotation names "
                f"`{unknown[0]}`, a local of `{enclosing.name}`; with postponed annotations "
                "FastAPI cannot evaluate it and makes the parameter a plain query parameter",
            )
