"""
## What it does
Finds calls that block the event loop inside `async def` code: async path operations and
dependencies, middleware, exception handlers, any `async def` of a module that imports FastAPI
or Starlette, and the async functions they await. Blocking calls are
synchronous HTTP clients (`requests`, `httpx.Client`, `urllib`), `time.sleep`, `subprocess`,
SMTP and sockets, a synchronous SQLAlchemy `Session`, engine or DB-API connection, sync Redis,
MongoDB and boto3 clients, password hashing (passlib, bcrypt, argon2) and file I/O. A call of
a synchronous project function that blocks somewhere inside is reported where it is called.

## Why is this bad?
An `async def` path operation runs on the event loop itself. While it waits on a socket, a
database or a hash, no other request of the worker makes progress: one slow upstream stalls
every client (CWE-400). FastAPI runs plain `def` path operations in a thread pool, so the same
code there is fine.

## Known problems
Types are followed through annotations, `Annotated` aliases, `Depends` providers, constructors
and `self` attributes; a client reached through an untyped value is not seen. File I/O is
reported with low severity, and through one helper at most. Calls handed to
`run_in_threadpool`, `asyncio.to_thread`, `run_in_executor` or a lambda, and startup code
(lifespan, startup and shutdown handlers, which run while no request is served), are not
reported.

## Example
```python
import requests
from fastapi import FastAPI

app = FastAPI()


@app.get("/weather/{city}")
async def weather(city: str):
    return requests.get(f"https://api.example.com/{city}", timeout=5).json()
```

## Use instead
```python
import httpx
from fastapi import FastAPI

app = FastAPI()


@app.get("/weather/{city}")
async def weather(city: str):
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"https://api.example.com/{city}")
    return response.json()
```

## Fix safety
No automatic fix: either switch to an async library and `await` it, run the call with
`await run_in_threadpool(...)`, or declare the path operation with `def`.

## References
- https://fastapi.tiangolo.com/async/#path-operation-functions
- https://cwe.mitre.org/data/definitions/400.html
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from apismith.analysis.blocking import Blocking, BlockingCalls, offline, own_nodes, short
from apismith.analysis.blocking_catalogue import DATABASE, FILE, HASHING, NETWORK, PROCESS, SLEEP
from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

REGISTRATIONS = {"add_middleware": 0, "add_exception_handler": 1, "add_event_handler": 1}
KEYWORDS = frozenset({"lifespan", "middleware_class"})
FIXES = {
    NETWORK: "Use an async client (`httpx.AsyncClient`, `aiosmtplib`) and await it, or "
    "`await run_in_threadpool(...)`.",
    DATABASE: "Use an async driver (`AsyncSession`, `redis.asyncio`, motor) and await it, or "
    "declare the path operation with `def` so FastAPI runs it in a thread pool.",
    SLEEP: "Use `await asyncio.sleep(...)`.",
    PROCESS: "Use `asyncio.create_subprocess_exec(...)` or `await run_in_threadpool(...)`.",
    HASHING: "Hash in a worker thread: `await run_in_threadpool(pwd_context.verify, ...)`.",
    FILE: "Use `aiofiles` or `await run_in_threadpool(...)` for file I/O.",
}


class BlockingCallInAsync(Rule):
    id = "PERF001"
    name = "blocking-call-in-async"
    family = "performance"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = 400
    fix_title = "Await an async equivalent, or run the blocking call with `run_in_threadpool`."
    shares = "blocking"

    def check_project(self, context: Context) -> Iterable[Report]:
        analysis = context.blocking
        for module, function, role in _event_loop_functions(context, analysis):
            seen: set[str] = set()
            for blocking in analysis.in_function(module, function):
                if blocking.kind == FILE and len(blocking.via) > 1:
                    continue  # file reads deep in helpers are mostly cached configuration
                if blocking.subject is not None:
                    if blocking.subject in seen:
                        continue
                    seen.add(blocking.subject)
                yield _report(module, role, blocking)


def _report(module: Module, role: str, blocking: Blocking) -> Report:
    if blocking.via:
        chain = " -> ".join(f"`{name}`" for name in blocking.via)
        through = f" (through {chain})" if len(blocking.via) > 1 else ""
        message = (
            f"{role} calls `{short(blocking.node.func)}`, which blocks the event loop on "
            f"{blocking.describe()}{through}"
        )
    else:
        message = f"{role} calls {blocking.describe()}, which blocks the event loop"
    return Report(
        module,
        blocking.node,
        message,
        fix=FIXES[blocking.kind],
        severity=Severity.LOW if blocking.kind == FILE else None,
        confidence=Confidence.MEDIUM if blocking.via else None,
    )


def _registered(analysis: BlockingCalls, module: Module) -> Iterator[tuple[str, Module, ast.AST]]:
    """What a module hands to the application, wherever it is defined, by registration:
    ``add_middleware``, ``add_exception_handler``, ``add_event_handler``, ``lifespan=``."""
    for call, _ in module.index.calls:
        func = call.func
        kind = func.attr if isinstance(func, ast.Attribute) else ""
        index = REGISTRATIONS.get(kind)
        targets: list[tuple[str | None, ast.expr]] = []
        if index is not None and len(call.args) > index:
            targets.append((kind, call.args[index]))
        targets += [(k.arg, k.value) for k in call.keywords if k.arg in KEYWORDS]
        for how, target in targets:
            found = analysis.project.lookup(analysis.project.resolve(module, target) or "")
            if found is not None and not found[0].is_test:
                yield how or "", found[0], found[1]


def _startup(analysis: BlockingCalls, module: Module) -> Iterator[Function]:
    """Startup and shutdown code: lifespans and event handlers, which run before (or after)
    requests are served."""
    for function in module.index.functions:
        for decorator in function.decorator_list:
            func = decorator.func if isinstance(decorator, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr == "on_event":
                yield function
    for how, _, definition in _registered(analysis, module):
        if how in {"lifespan", "add_event_handler"} and isinstance(definition, Function):
            yield definition


def _handlers(analysis: BlockingCalls, module: Module) -> Iterator[tuple[Module, Function, str]]:
    """Middleware and exception handlers registered by a module, with their role."""
    for how, owner, definition in _registered(analysis, module):
        if how == "add_exception_handler" and isinstance(definition, ast.AsyncFunctionDef):
            yield owner, definition, f"async exception handler `{definition.name}`"
        elif how in {"add_middleware", "middleware_class"} and isinstance(definition, ast.ClassDef):
            for name in ("__call__", "dispatch"):
                method = analysis.method(owner, definition, name)
                if method is not None and isinstance(method[1], ast.AsyncFunctionDef):
                    role = f"async middleware `{definition.name}.{name}`"
                    yield method[0], method[1], role


def _event_loop_functions(
    context: Context, analysis: BlockingCalls
) -> Iterator[tuple[Module, Function, str]]:
    """Async functions that run on the event loop while requests are served: handlers,
    dependencies, middleware, every `async def` of a FastAPI or Starlette module (startup code
    and command-line modules aside), and the project coroutines those call."""
    found: dict[int, tuple[Module, Function, str]] = {}
    startup: set[int] = set()
    for route in context.routes.routes:
        handler = route.handler
        if isinstance(handler, ast.AsyncFunctionDef):
            role = f"async path operation `{handler.name}` ({route.method} {route.path})"
            found.setdefault(id(handler), (route.module, handler, role))
        for dependency in route.all_dependencies:
            for node in dependency.closure():
                if node.function is not None and isinstance(node.function[1], ast.AsyncFunctionDef):
                    owner, function = node.function
                    role = f"async dependency `{function.name}`"
                    found.setdefault(id(function), (owner, function, role))
    for module in context.project.modules:
        web = module.imports_any("fastapi", "starlette")
        if module.is_test or not web or offline(module):
            continue
        startup.update(id(function) for function in _startup(analysis, module))
        for owner, function, role in _handlers(analysis, module):
            found.setdefault(id(function), (owner, function, role))
        for function in module.index.functions:
            if isinstance(function, ast.AsyncFunctionDef):
                role = f"async function `{function.name}`"
                found.setdefault(id(function), (module, function, role))
    for key in startup:
        found.pop(key, None)
    queue = list(found.values())
    while queue:
        module, function, _ = queue.pop()
        frame = analysis.frame(module, function)
        for call in own_nodes(function):
            if not isinstance(call, ast.Call):
                continue
            target = analysis.callee(frame, call)
            if target is None or not isinstance(target[1], ast.AsyncFunctionDef):
                continue
            owner, callee = target
            if id(callee) not in found and id(callee) not in startup and not owner.is_test:
                entry = (owner, callee, f"async function `{callee.name}`")
                found[id(callee)] = entry
                queue.append(entry)
    return iter(found.values())
