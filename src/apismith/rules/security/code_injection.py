"""
## What it does
Finds `eval()`, `exec()` and `compile()` of code built from what a client sent (reported as
critical), and `eval()` or `exec()` of any other non-constant value, whose origin the project
does not show (reported with low confidence). `ast.literal_eval()`, constants and values
built only from numbers are not reported.

## Why is this bad?
The client's text runs as Python in the server process: it reads secrets, files and the
database, and runs commands (CWE-95). Emptying `__builtins__` does not sandbox `eval`.

## Known problems
A low-confidence finding may be code the project controls (a stored rule, a plugin file);
review it and suppress with `# apismith: ignore[SEC008]` when the source is trusted.

## Example
```python
from fastapi import FastAPI

app = FastAPI()


@app.get("/calc")
def calc(expr: str):
    return {"result": eval(expr)}
```

## Use instead
```python
import ast

from fastapi import FastAPI

app = FastAPI()


@app.get("/calc")
def calc(expr: str):
    return {"result": ast.literal_eval(expr)}
```

## Fix safety
No automatic fix: parse the input (`ast.literal_eval()`, `json.loads()`, a small expression
parser) instead of running it.

## References
- https://cwe.mitre.org/data/definitions/95.html
- https://docs.python.org/3/library/ast.html#ast.literal_eval
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.analysis.sinks import CODE, SAFE_TYPES
from apismith.analysis.taint import resolve_in
from apismith.findings import Confidence, Severity
from apismith.project.constants import constant_str
from apismith.project.module import Function, Module
from apismith.project.project import last_name
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.taint_rule import taint_reports

RUNNERS = frozenset({"eval", "exec", "builtins.eval", "builtins.exec"})


class CodeInjection(Rule):
    id = "SEC008"
    name = "code-injection"
    family = "security"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 95
    shares = "taint"
    fix_title = (
        "Parse the value (`ast.literal_eval()`, `json.loads()`, an expression parser) "
        "instead of running it."
    )
    requires = ()

    def check_project(self, context: Context) -> Iterable[Report]:
        return taint_reports(context, CODE, "Python code built from {sources} is run")

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        tainted = {id(hit.node) for hit in context.hits(CODE)}
        names = context.project.spellings(RUNNERS)
        for call, owner in module.index.calls:
            if id(call) in tainted or not call.args or last_name(call.func) not in names:
                continue
            callee = resolve_in(context.project, module, owner, call.func)
            if callee not in RUNNERS or _known(context, module, owner, call.args[0]):
                continue
            where = f" in `{owner.name}()`" if owner else ""
            yield Report(
                module,
                call,
                f"`{callee.rpartition('.')[2]}()`{where} runs `{_short(call.args[0])}`, "
                "whose origin is not known",
                severity=Severity.MEDIUM,
                confidence=Confidence.LOW,
            )


def _known(context: Context, module: Module, owner: Function | None, node: ast.expr) -> bool:
    """Whether a value is a constant or is built only from constants and numeric parameters."""
    if constant_str(context.project, module, node) is not None:
        return True
    numeric: set[str] = set()
    if owner is not None:
        for argument in (*owner.args.posonlyargs, *owner.args.args, *owner.args.kwonlyargs):
            if context.project.annotation_type(module, argument.annotation) in SAFE_TYPES:
                numeric.add(argument.arg)
    for part in walk(node):
        if isinstance(part, ast.Name) and part.id not in numeric:
            return False
        if isinstance(part, ast.Call | ast.Attribute | ast.Subscript):
            return False
    return True


def _short(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."
