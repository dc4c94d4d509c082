"""
## What it does
Finds outgoing HTTP requests that can wait forever: `requests.get/post/...`, `requests.request`
and the methods of a `requests.Session` called without `timeout=`, `urllib.request.urlopen`
without a timeout, and httpx functions, clients and client methods given `timeout=None`.
httpx calls without `timeout=` are not reported: httpx applies a five-second default.

## Why is this bad?
`requests` and `urlopen` have no default timeout. A remote server that accepts the connection
and never answers holds the calling worker (and, in an `async` handler, the whole event loop)
until the process is restarted; a handful of slow requests exhausts the service
(CWE-400).

## Known problems
A `requests.Session` subclass or adapter of the project that sets a default timeout is not
seen through; calls that pass `**kwargs` are not reported since they may carry the timeout.
aiohttp is not checked (its sessions have a five-minute default), nor are httpx `stream()`
calls, where `timeout=None` is the usual choice for server-sent events and long polls.

## Example
```python
import requests
from fastapi import FastAPI

app = FastAPI()


@app.get("/weather/{city}")
def weather(city: str) -> dict:
    return requests.get(f"https://api.weather.example/{city}").json()
```

## Use instead
```python
import requests
from fastapi import FastAPI

app = FastAPI()


@app.get("/weather/{city}")
def weather(city: str) -> dict:
    return requests.get(f"https://api.weather.example/{city}", timeout=5).json()
```

## Fix safety
Adding `timeout=` changes behaviour for slow servers (they now raise `Timeout`), which the
caller may need to handle; the fix is not applied automatically.

## References
- https://cwe.mitre.org/data/definitions/400.html
- https://requests.readthedocs.io/en/latest/user/advanced/#timeouts
- https://www.python-httpx.org/advanced/timeouts/
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.module import Module
from apismith.project.project import Project
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
REQUESTS = frozenset(
    f"{owner}.{verb}"
    for owner in (
        "requests",
        "requests.api",
        "requests.Session",
        "requests.sessions.Session",
        "requests.session",
        "requests.sessions.session",
    )
    for verb in VERBS
)
URLOPEN = frozenset({"urllib.request.urlopen"})
HTTPX = frozenset(
    {"httpx.Client", "httpx.AsyncClient"}
    | {
        f"{owner}.{verb}"
        for owner in ("httpx", "httpx.Client", "httpx.AsyncClient")
        for verb in VERBS
    }
)
HTTPX_TIMEOUTS = frozenset({"httpx.Timeout", "httpx._config.Timeout"})


class RequestWithoutTimeout(Rule):
    id = "SEC025"
    name = "request-without-timeout"
    family = "security"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = 400
    fix_title = "Pass `timeout=` (e.g. `timeout=10` or `(3.05, 27)`) to every outgoing request."
    requires = ("requests", "httpx", "urllib")
    scope = "file"

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        project = context.project
        for call, function in module.index.calls:
            if any(keyword.arg is None for keyword in call.keywords):
                continue
            scope = project.scope(function) if function is not None else None
            callee = project.resolve(module, call.func, scope)
            if callee is None:
                continue
            where = f" in `{function.name}`" if function is not None else ""
            name = ast.unparse(call.func)
            timeout = next((k.value for k in call.keywords if k.arg == "timeout"), None)
            missing = timeout is None or _is_none(timeout)
            if missing and (callee in REQUESTS or (callee in URLOPEN and len(call.args) < 3)):
                yield Report(
                    module,
                    call,
                    f"`{name}`{where} has no timeout: a silent server blocks it forever",
                )
            elif callee in HTTPX and timeout is not None and _unlimited(project, module, timeout):
                yield Report(
                    module,
                    call,
                    f"`{name}(..., timeout=None)`{where} switches off httpx's default timeout",
                )


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _unlimited(project: Project, module: Module, node: ast.expr) -> bool:
    """``None`` or ``httpx.Timeout(None)``."""
    return _is_none(node) or (
        isinstance(node, ast.Call)
        and project.resolve(module, node.func) in HTTPX_TIMEOUTS
        and len(node.args) == 1
        and not node.keywords
        and _is_none(node.args[0])
    )
