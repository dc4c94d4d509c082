"""
## What it does
Finds exception details sent to the client: `str(e)`, `repr(e)`, `f"...{e}"`, `e.args`,
`e.orig` or `traceback.format_exc()` put into an `HTTPException` detail, into the content of a
`JSONResponse`, `PlainTextResponse` or other response, or into the value a path operation
returns, where `e` is bound by `except Exception as e` (or a database, network, operating
system or subprocess error). Exception handlers registered for `Exception` (with
`@app.exception_handler(Exception)`, `app.add_exception_handler` or
`FastAPI(exception_handlers=...)`), or for one of those database, network or system errors,
that answer with their exception's text are reported too.
Values built from the exception in a local variable first are followed, also when a path
operation returns them after the `except` block.

## Why is this bad?
Error messages of libraries carry internals: SQL statements and parameters, table and
constraint names, file paths, internal host names, library versions and stack traces. They
help an attacker map the service and tune an injection (CWE-209).

## Known problems
Exceptions of the project's own classes, `ValueError`, `KeyError`, `HTTPException` and
validation errors are taken to carry messages written for users and are not reported, even
when the message of a `ValueError` comes from a library. Responses built in helper functions
are reported wherever they are built; returned dictionaries only in path operations and
exception handlers.

## Example
```python
from fastapi import FastAPI, HTTPException

app = FastAPI()


@app.post("/orders")
def create_order(payload: dict) -> dict:
    try:
        return save(payload)
    except Exception as e:
        raise HTTPException(status_code=500, detail=str(e))


def save(payload: dict) -> dict: ...
```

## Use instead
```python
import logging

from fastapi import FastAPI, HTTPException

app = FastAPI()
logger = logging.getLogger(__name__)


@app.post("/orders")
def create_order(payload: dict) -> dict:
    try:
        return save(payload)
    except Exception as e:
        logger.exception("could not save the order")
        raise HTTPException(status_code=500, detail="Could not save the order") from e


def save(payload: dict) -> dict: ...
```

## Fix safety
No automatic fix: a message for the client has to be written, and the details logged.

## References
- https://cwe.mitre.org/data/definitions/209.html
- https://owasp.org/www-community/Improper_Error_Handling
- https://fastapi.tiangolo.com/tutorial/handling-errors/
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.project import Project
from apismith.project.routes import Route
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

HTTP_EXCEPTIONS = frozenset(
    {
        "fastapi.HTTPException",
        "fastapi.exceptions.HTTPException",
        "starlette.exceptions.HTTPException",
        "fastapi.WebSocketException",
        "starlette.exceptions.WebSocketException",
    }
)
RESPONSE_NAMES = frozenset(
    {
        "Response",
        "JSONResponse",
        "ORJSONResponse",
        "UJSONResponse",
        "PlainTextResponse",
        "HTMLResponse",
    }
)
RESPONSE_MODULES = ("fastapi", "fastapi.responses", "starlette.responses")
APP_CLASSES = frozenset(
    {"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"}
)
GENERIC = frozenset({"Exception", "BaseException"})
STAFF = re.compile(r"admin|superuser|staff|backoffice", re.IGNORECASE)
SYSTEM_ERRORS = frozenset(
    {
        "OSError",
        "IOError",
        "EnvironmentError",
        "ConnectionError",
        "FileNotFoundError",
        "PermissionError",
        "RuntimeError",
    }
)
# Libraries whose error messages describe the service's internals.
INTERNAL_LIBRARIES = (
    "sqlalchemy",
    "sqlmodel",
    "sqlite3",
    "psycopg",
    "psycopg2",
    "asyncpg",
    "pymysql",
    "MySQLdb",
    "aiomysql",
    "pymongo",
    "motor",
    "redis",
    "elasticsearch",
    "requests",
    "httpx",
    "aiohttp",
    "urllib3",
    "botocore",
    "boto3",
    "subprocess",
    "grpc",
)
TRACEBACK_CALLS = frozenset(
    {
        "traceback.format_exc",
        "traceback.format_exception",
        "traceback.format_tb",
        "traceback.format_stack",
        "traceback.extract_tb",
    }
)
LEAKY_ATTRIBUTES = frozenset({"args", "orig", "statement", "params"})
FORMATTERS = frozenset({"str", "repr", "format"})


@dataclass(slots=True)
class _Scope:
    """Statements where exception names are bound, and how sure a leak of them is a defect."""

    body: list[ast.stmt]
    names: set[str]
    caught: str
    confidence: Confidence
    function: Function | None


@dataclass(frozen=True, slots=True)
class _Handler:
    """A registered exception handler, what it catches and how sure a leak of it is a defect."""

    function: Function
    caught: str
    confidence: Confidence


class ExceptionDetailsLeaked(Rule):
    id = "SEC023"
    name = "exception-details-leaked"
    family = "security"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = 209
    fix_title = "Log the exception and answer with a generic message (`raise ... from e` keeps it)."
    requires = ("fastapi", "starlette")

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        project = context.project
        handlers = _exception_handlers(project, module)
        reported: set[int] = set()
        for scope in _scopes(project, module, handlers):
            function = scope.function
            routes = context.routes_of(function) if function is not None else []
            if routes and all(_staff_only(route) for route in routes):
                continue  # operators of an admin back office may see error details
            returns = function is not None and (
                bool(context.routes_of(function)) or id(function) in handlers
            )
            derived: set[str] = set()
            found: list[tuple[ast.AST, ast.expr]] = []
            for statement in scope.body:
                for sink, value in _sinks(project, module, statement, scope.names, returns):
                    leak = _leak(project, module, value, scope.names, derived)
                    if leak is not None:
                        found.append((sink, leak))
                _bind(project, module, statement, scope.names, derived)
            if returns and derived and function is not None:
                found.extend(_later_returns(project, module, function, scope, derived))
            where = f" in `{function.name}`" if function is not None else ""
            for sink, leak in found:
                if id(sink) in reported:
                    continue
                reported.add(id(sink))
                yield Report(
                    module,
                    leak,
                    f"`{ast.unparse(leak)}` sends the details of `{scope.caught}` to the "
                    f"client{where}",
                    confidence=scope.confidence,
                )


def _later_returns(
    project: Project, module: Module, function: Function, scope: _Scope, derived: set[str]
) -> Iterator[tuple[ast.AST, ast.expr]]:
    """Returns after the except block of values it built: ``error = str(e)`` ... ``return``."""
    inside = {id(node) for statement in scope.body for node in walk(statement)}
    for statement, owner in module.index.returns:
        if owner is function and id(statement) not in inside and statement.value is not None:
            leak = _leak(project, module, statement.value, set(), derived)
            if leak is not None:
                yield statement, leak


def _scopes(project: Project, module: Module, handlers: dict[int, _Handler]) -> Iterator[_Scope]:
    """Except blocks (with the name they bind, if it is worth hiding) and exception handlers."""
    for handler, function in module.index.handlers:
        caught = _classify(project, module, handler.type)
        if caught is not None and handler.name:
            name, confidence = caught
            yield _Scope(handler.body, {handler.name}, name, confidence, function)
        else:
            label = ast.unparse(handler.type) if handler.type is not None else "the exception"
            yield _Scope(handler.body, set(), label, Confidence.HIGH, function)
    for registered in handlers.values():
        function = registered.function
        arguments = [*function.args.posonlyargs, *function.args.args]
        if len(arguments) > 1:
            names = {arguments[1].arg}
            yield _Scope(function.body, names, registered.caught, registered.confidence, function)


def _classify(
    project: Project, module: Module, node: ast.expr | None
) -> tuple[str, Confidence] | None:
    """The caught class if its messages describe internals, with the confidence of a leak."""
    if node is None:
        return None
    if isinstance(node, ast.Tuple):
        found = [_classify(project, module, element) for element in node.elts]
        known = [item for item in found if item is not None]
        return max(known, key=lambda item: item[1]) if known else None
    qualname = project.resolve(module, node)
    if qualname is None or project.lookup(qualname) is not None:
        return None
    short = ast.unparse(node)
    if qualname in GENERIC:
        return short, Confidence.HIGH
    if qualname in SYSTEM_ERRORS or qualname.split(".")[0] in INTERNAL_LIBRARIES:
        return short, Confidence.MEDIUM
    return None


def _exception_handlers(project: Project, module: Module) -> dict[int, _Handler]:
    """Functions this module registers as handlers of ``Exception``, HTTP 500 or errors whose
    messages describe internals (``sqlite3.Error``, ``SQLAlchemyError``, ``OSError``)."""
    found: dict[int, _Handler] = {}
    for function in module.index.functions:
        for decorator in function.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "exception_handler"
                and decorator.args
                and (caught := _handled(project, module, decorator.args[0])) is not None
            ):
                found[id(function)] = _Handler(function, *caught)
    for call, _ in module.index.calls:
        pairs: list[tuple[ast.expr | None, ast.expr]] = []
        if isinstance(call.func, ast.Attribute) and call.func.attr == "add_exception_handler":
            if len(call.args) > 1:
                pairs.append((call.args[0], call.args[1]))
        elif any(k.arg == "exception_handlers" for k in call.keywords) and (
            project.resolve(module, call.func) in APP_CLASSES
        ):
            table = next((k.value for k in call.keywords if k.arg == "exception_handlers"), None)
            if isinstance(table, ast.Dict):
                pairs.extend(zip(table.keys, table.values, strict=True))
        for key, value in pairs:
            caught = _handled(project, module, key) if key is not None else None
            if caught is None:
                continue
            target = project.function(project.resolve(module, value))
            if target is not None and target[0] is module:
                found[id(target[1])] = _Handler(target[1], *caught)
    return found


def _handled(project: Project, module: Module, node: ast.expr) -> tuple[str, Confidence] | None:
    """What a handler registered for ``node`` catches, when its text describes internals."""
    if isinstance(node, ast.Constant):
        return ("HTTP 500", Confidence.HIGH) if node.value == 500 else None
    return _classify(project, module, node)


def _sinks(
    project: Project, module: Module, statement: ast.stmt, names: set[str], returns: bool
) -> Iterator[tuple[ast.AST, ast.expr]]:
    """What reaches the client in a statement: exception details, response content, returns."""
    for node in _walk(project, module, statement, names):
        if isinstance(node, ast.Call):
            callee = project.resolve(module, node.func) or ""
            if callee in HTTP_EXCEPTIONS:
                detail = _argument(node, 1, "detail") or _argument(node, 1, "reason")
                if detail is not None:
                    yield node, detail
            elif _is_response(callee):
                content = _argument(node, 0, "content")
                if content is not None:
                    yield node, content
        elif isinstance(node, ast.Return) and returns and node.value is not None:
            yield node, node.value


def _walk(project: Project, module: Module, root: ast.AST, names: set[str]) -> Iterator[ast.AST]:
    """Nodes under ``root``, leaving out branches taken only for exceptions with safe messages.

    ``str(e) if isinstance(e, AssertionError) else "failed"`` shows only an assertion's text.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        children: list[ast.AST] = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.If | ast.IfExp) and _narrows_to_safe(
            project, module, node.test, names
        ):
            orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
            children = [node.test, *orelse]
        stack.extend(reversed(children))


def _narrows_to_safe(project: Project, module: Module, test: ast.expr, names: set[str]) -> bool:
    return (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Name)
        and test.func.id == "isinstance"
        and len(test.args) == 2
        and isinstance(test.args[0], ast.Name)
        and test.args[0].id in names
        and _classify(project, module, test.args[1]) is None
    )


def _is_response(callee: str) -> bool:
    owner, _, name = callee.rpartition(".")
    return name in RESPONSE_NAMES and owner in RESPONSE_MODULES


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    return call.args[position] if len(call.args) > position else None


def _leak(
    project: Project, module: Module, value: ast.expr, names: set[str], derived: set[str]
) -> ast.expr | None:
    """The part of ``value`` that carries exception details, if any."""
    for node in _walk(project, module, value, names):
        if isinstance(node, ast.expr) and _leaks(project, module, node, names, derived):
            return node
    return None


def _leaks(
    project: Project, module: Module, node: ast.expr, names: set[str], derived: set[str]
) -> bool:
    if isinstance(node, ast.Name):
        return node.id in derived
    if isinstance(node, ast.Call):
        return (
            project.resolve(module, node.func) in TRACEBACK_CALLS
            or _formats(node, names)
            or (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"
                and any(_is_exception(arg, names) for arg in node.args)
            )
        )
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(part, ast.FormattedValue) and _is_exception(part.value, names)
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        operands = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return any(_is_exception(operand, names) for operand in operands)
    return (
        isinstance(node, ast.Attribute)
        and node.attr in LEAKY_ATTRIBUTES
        and isinstance(node.value, ast.Name)
        and node.value.id in names
    )


def _formats(call: ast.Call, names: set[str]) -> bool:
    return (
        isinstance(call.func, ast.Name)
        and call.func.id in FORMATTERS
        and bool(call.args)
        and _is_exception(call.args[0], names)
    )


def _is_exception(node: ast.expr, names: set[str]) -> bool:
    """``e`` itself or a detail of it (``e.orig``)."""
    if isinstance(node, ast.Attribute) and node.attr in LEAKY_ATTRIBUTES:
        node = node.value
    return isinstance(node, ast.Name) and node.id in names


def _bind(
    project: Project, module: Module, statement: ast.stmt, names: set[str], derived: set[str]
) -> None:
    """Follow ``message = f"failed: {e}"`` so that a later ``detail=message`` is seen."""
    for node in _walk(project, module, statement, names):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if _leak(project, module, value, names, derived) is not None:
            derived.update(target.id for target in targets if isinstance(target, ast.Name))


def _staff_only(route: Route) -> bool:
    """Whether only administrators reach a route (an admin dependency in its closure)."""
    return any(
        STAFF.search(node.label) or STAFF.search(node.target or "")
        for dependency in route.all_dependencies
        for node in dependency.closure()
    )
