"""
## What it does
Finds HTTP clients, database engines and connection pools created while a request is being
handled: `httpx.Client()` / `httpx.AsyncClient()` (also as `async with`), `requests.Session()`,
`aiohttp.ClientSession()`, boto3 clients, `create_engine()` / `create_async_engine()`, Redis
and MongoDB clients, in a path operation, a dependency, or a project function they call.

## Why is this bad?
Each of these objects owns a connection pool. Creating one per request throws the pool away
after a single use: every request pays DNS, TCP and TLS setup again, and under load the
service opens sockets (or database connections) faster than they close, until it runs out of
file descriptors or the database refuses connections (CWE-400).

## Known problems
Objects created once and cached (a `global`, an attribute of `app.state`, an `lru_cache`d
factory) are not reported. In a `yield` dependency or a `@contextmanager` factory only
engines and pools are reported: a client opened and closed around one operation there is a
deliberate choice. Nor are clients (not pools) configured by the call that creates them (its
parameters, or an event hook or transport it defines), which one shared client could not
replace as is.

## Example
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

## Use instead
```python
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with httpx.AsyncClient(timeout=5) as client:
        app.state.http = client
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/weather/{city}")
async def weather(city: str, request: Request):
    response = await request.app.state.http.get(f"https://api.example.com/{city}")
    return response.json()
```

## Fix safety
No automatic fix: create the client once (module level or lifespan) and share it.

## References
- https://www.python-httpx.org/advanced/clients/#why-use-a-client
- https://docs.sqlalchemy.org/en/20/core/connections.html#basic-usage
- https://cwe.mitre.org/data/definitions/400.html
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from apismith.analysis.blocking import (
    BlockingCalls,
    immediate_calls,
    is_generator,
    own_nodes,
    short,
)
from apismith.analysis.blocking_catalogue import CACHES
from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

HTTP_CLIENTS = frozenset(
    {
        "httpx.Client",
        "httpx.AsyncClient",
        "requests.Session",
        "requests.sessions.Session",
        "requests.session",
        "aiohttp.ClientSession",
        "boto3.client",
        "boto3.resource",
        "boto3.Session",
        "boto3.session.Session",
    }
)
POOLS = frozenset(
    {
        "sqlalchemy.create_engine",
        "sqlalchemy.engine.create_engine",
        "sqlmodel.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
        "redis.Redis",
        "redis.StrictRedis",
        "redis.from_url",
        "redis.Redis.from_url",
        "redis.ConnectionPool",
        "redis.asyncio.Redis",
        "redis.asyncio.from_url",
        "redis.asyncio.Redis.from_url",
        "redis.asyncio.ConnectionPool",
        "aioredis.from_url",
        "aioredis.Redis",
        "aioredis.create_redis_pool",
        "pymongo.MongoClient",
        "motor.motor_asyncio.AsyncIOMotorClient",
        "asyncpg.create_pool",
        "aiomysql.create_pool",
        "psycopg_pool.ConnectionPool",
        "psycopg_pool.AsyncConnectionPool",
    }
)
MAX_DEPTH = 4
CONTEXT_MANAGERS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})


class ClientPerRequest(Rule):
    id = "PERF005"
    name = "client-per-request"
    family = "performance"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    cwe = 400
    fix_title = "Create the client or engine once (module level or lifespan) and reuse it."
    shares = "blocking"

    def check_project(self, context: Context) -> Iterable[Report]:
        finder = _Finder(context.blocking)
        for route in context.routes.routes:
            where = f"{route.method} {route.path}"
            role = f"path operation `{route.handler.name}` ({where})"
            yield from finder.visit(route.module, route.handler, role, False, ())
            for dependency in route.all_dependencies:
                for node in dependency.closure():
                    if node.function is not None:
                        owner, function = node.function
                        role = f"dependency `{function.name}` (of {where})"
                        yield from finder.visit(owner, function, role, is_generator(function), ())


class _Finder:
    """Walks request-time code once per function, down into the project functions it calls."""

    def __init__(self, analysis: BlockingCalls) -> None:
        self.analysis = analysis
        self.project = analysis.project
        self.done: set[int] = set()
        self.reported: set[int] = set()

    def visit(
        self, module: Module, function: Function, role: str, scoped: bool, via: tuple[str, ...]
    ) -> Iterator[Report]:
        """Reports for constructors in ``function``; ``scoped`` for a ``yield`` dependency."""
        if id(function) in self.done or len(via) > MAX_DEPTH or self._cached(module, function):
            return
        self.done.add(id(function))
        frame = self.analysis.frame(module, function)
        kept: set[int] | None = None  # computed at the first client made here
        scoped = scoped or self._context_manager(module, function)
        for call in immediate_calls(function, awaited_too=True):
            name = self.project.resolve(module, call.func, frame.scope)
            pool = name in POOLS
            if name in HTTP_CLIENTS or pool:
                if kept is None:
                    kept = _kept_values(function)
                if (
                    id(call) in kept
                    or id(call) in self.reported
                    or (not pool and (scoped or _configured_per_call(function, call)))
                ):
                    continue
                self.reported.add(id(call))
                yield self._report(module, call, role, via, pool)
                continue
            target = self.analysis.callee(frame, call)
            if target is not None and target[1] is not function:
                owner, callee = target
                name_of = callee.name if callee.name != "__init__" else short(call.func)
                yield from self.visit(owner, callee, role, False, (*via, name_of))

    def _context_manager(self, module: Module, function: Function) -> bool:
        """``@contextmanager`` / ``@asynccontextmanager``: a factory that scopes what it yields."""
        return any(
            self.project.resolve(module, d) in CONTEXT_MANAGERS for d in function.decorator_list
        )

    def _cached(self, module: Module, function: Function) -> bool:
        return any(
            self.project.resolve(module, d.func if isinstance(d, ast.Call) else d) in CACHES
            for d in function.decorator_list
        )

    @staticmethod
    def _report(
        module: Module, call: ast.Call, role: str, via: tuple[str, ...], pool: bool
    ) -> Report:
        what = "connection pool" if pool else "client"
        where = f"`{via[-1]}`, called by {role}," if via else role
        message = (
            f"{where} creates a new {what} with `{short(call)}` on every request instead of "
            "reusing one"
        )
        return Report(
            module,
            call,
            message,
            severity=Severity.MEDIUM if pool else None,
            confidence=Confidence.MEDIUM if via else None,
        )


def _configured_per_call(function: Function, call: ast.Call) -> bool:
    """Whether the constructor is configured by this call's own values: the function's
    parameters or a function it defines (an event hook, a transport), so that one shared client
    could not serve every call as it is."""
    arguments = function.args
    names = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    names -= {"self", "cls"}
    names |= {
        n.name for n in own_nodes(function) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    return any(
        isinstance(node, ast.Name) and node.id in names
        for keyword in call.keywords
        for node in walk(keyword.value)
    )


def _kept_values(function: Function) -> set[int]:
    """Calls whose result is kept beyond the request: stored in a ``global`` or on an object
    other than ``self`` (``app.state.http = ...``)."""
    nodes = own_nodes(function)
    declared = {name for n in nodes if isinstance(n, ast.Global) for name in n.names}
    kept: set[int] = set()
    for node in nodes:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        for target in targets:
            stored = isinstance(target, ast.Name) and target.id in declared
            stored |= isinstance(target, ast.Attribute) and not (
                isinstance(target.value, ast.Name) and target.value.id in {"self", "cls"}
            )
            if stored:
                kept.add(id(value))
    return kept
