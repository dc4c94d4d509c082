"""
## What it does
Finds `except:`, `except Exception:` and `except BaseException:` clauses whose body does nothing
(`pass`, `...`, `continue`, or a bare `return` / `return None` that hides the failure) in path
operations, dependencies and the other functions of modules that use FastAPI.

## Why is this bad?
Every error, including the ones nobody anticipated (a typo raising `AttributeError`, a lost
database connection, a bug in a payment client), disappears without a trace: the request
"succeeds", the data is half-written, and there is no log line to start the investigation
from (CWE-390).

## Known problems
Best-effort clean-up (`try: ws.close() except Exception: pass`), clauses whose body carries a
comment and clauses marked `# noqa` are taken as deliberate and not reported; an undocumented
deliberate one still is.

## Example
```python
from fastapi import FastAPI

app = FastAPI()


def send_receipt(order_id: int) -> None: ...


@app.post("/orders/{order_id}/confirm")
def confirm(order_id: int):
    try:
        send_receipt(order_id)
    except Exception:
        pass
    return {"ok": True}
```

## Use instead
```python
import logging

from fastapi import FastAPI

app = FastAPI()
logger = logging.getLogger(__name__)


def send_receipt(order_id: int) -> None: ...


@app.post("/orders/{order_id}/confirm")
def confirm(order_id: int):
    try:
        send_receipt(order_id)
    except Exception:
        logger.exception("receipt for order %s not sent", order_id)
    return {"ok": True}
```

## Fix safety
No automatic fix: decide which exceptions are expected, catch those, and log the rest.

## References
- https://cwe.mitre.org/data/definitions/390.html
- https://docs.astral.sh/ruff/rules/try-except-pass/
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
SILENCED = ("noqa", "nosec", "pragma", "NOSONAR", "pylint: disable")
_CLEANUP = """
    close aclose disconnect shutdown terminate kill cancel unlink remove rmtree rmdir
    cleanup clean_up release unsubscribe stop dispose delete_file
"""
CLEANUP = frozenset(_CLEANUP.split())


class SwallowedException(Rule):
    id = "COR006"
    name = "swallowed-exception"
    family = "correctness"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = 390
    fix_title = "Catch the exceptions you expect, and log (or re-raise) anything else."

    def check_project(self, context: Context) -> Iterable[Report]:
        handlers = {id(route.handler) for route in context.routes.routes}
        endpoints = handlers | context.dependency_functions
        for module in context.project.modules:
            if module.is_test:
                continue
            everywhere = module.imports_any("fastapi")
            if not everywhere and not module.index.handlers:
                continue
            for handler, function in module.index.handlers:
                if function is None or not (everywhere or id(function) in endpoints):
                    continue
                if _broad(context, module, handler) and _swallows(
                    module, handler, function, id(function) in handlers
                ):
                    caught = ast.unparse(handler.type) if handler.type is not None else "everything"
                    yield Report(
                        module,
                        handler,
                        f"`{function.name}` catches {_describe(caught)} and drops it without "
                        "logging or re-raising",
                    )


def _describe(caught: str) -> str:
    return "every exception" if caught == "everything" else f"`{caught}`"


def _broad(context: Context, module: Module, handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(context.project.resolve(module, t) in BROAD for t in types)


def _swallows(
    module: Module, handler: ast.ExceptHandler, function: Function, is_route: bool
) -> bool:
    """Whether the clause only passes, continues, or returns nothing, with no comment."""
    for statement in handler.body:
        if isinstance(statement, ast.Pass | ast.Continue):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # `...` or a docstring-like string
        if (
            isinstance(statement, ast.Return)
            and _is_none(statement.value)
            and (is_route or not _returns_values(function))
        ):
            continue
        return False
    last = handler.body[-1].end_lineno or handler.lineno
    if any("#" in module.line(n) for n in range(handler.lineno + 1, last + 1)):
        return False
    if any(marker in module.line(handler.lineno) for marker in SILENCED):
        return False
    return not _cleanup(module, handler)


def _is_none(node: ast.expr | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def _returns_values(function: Function) -> bool:
    """Whether the function returns a value elsewhere, so that None signals the failure."""
    return any(isinstance(node, ast.Return) and not _is_none(node.value) for node in _own(function))


def _own(function: Function) -> Iterator[ast.AST]:
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def _cleanup(module: Module, handler: ast.ExceptHandler) -> bool:
    """Whether the ``try`` only closes or removes something (best-effort clean-up)."""
    for node in walk(module.tree):
        if isinstance(node, ast.Try | ast.TryStar) and any(h is handler for h in node.handlers):
            return all(_is_cleanup_call(statement) for statement in node.body)
    return False


def _is_cleanup_call(statement: ast.stmt) -> bool:
    value = statement.value if isinstance(statement, ast.Expr) else None
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = (
        func.attr
        if isinstance(func, ast.Attribute)
        else func.id
        if isinstance(func, ast.Name)
        else ""
    )
    return name in CLEANUP
