"""
## What it does
Finds outgoing HTTP requests (`httpx`, `requests`, `urllib.request`, `aiohttp`, module
functions and client objects, `async with httpx.AsyncClient() as client` included, a client
built with `base_url=`, `http.client`, `smtplib`, `ftplib` and `socket` connections) whose
URL or host the client chose: a query or body value, a pydantic `HttpUrl` field, a header read by a
dependency. A URL whose scheme and host are fixed (`f"https://api.example.com/{id}"`), or a
relative path on a `base_url` client, is not reported, nor is a function that checks the
host (`urlparse(url).hostname`, an allow-list, an `is_allowed_host()`-like helper).

## Why is this bad?
The server fetches whatever the client names: internal services, cloud metadata endpoints
(`169.254.169.254`), admin interfaces bound to localhost, and returns or acts on the
answer (CWE-918).

## Known problems
`HttpUrl` validation only checks the syntax: it does not make a URL safe and is reported.
URLs set through routes only administrators may call (an `/admin/` path, an `admin`
dependency) are reported with a lower severity: the server still reaches whatever an
administrator's account, or whoever took it over, names.
A host check made far from the request (another function) is not seen; suppress with
`# apismith: ignore[SEC004]` after checking.

## Example
```python
import httpx
from fastapi import FastAPI

app = FastAPI()


@app.get("/proxy")
async def proxy(url: str):
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    return {"body": response.text}
```

## Use instead
```python
import httpx
from fastapi import FastAPI

app = FastAPI()


@app.get("/proxy")
async def proxy(path: str):
    async with httpx.AsyncClient() as client:
        response = await client.get(f"https://api.example.com/{path}")
    return {"body": response.text}
```

## Fix safety
No automatic fix: fix the scheme and host, or check the host against an allow-list (and
block private addresses) before sending the request.

## References
- https://cwe.mitre.org/data/definitions/918.html
- https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from apismith.analysis.sinks import URL
from apismith.analysis.taint import Hit
from apismith.findings import Confidence, Severity
from apismith.project.module import Function
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

ADMIN = re.compile(r"admin|superuser|staff", re.IGNORECASE)


class ServerSideRequestForgery(Rule):
    id = "SEC004"
    name = "server-side-request-forgery"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 918
    shares = "taint"
    fix_title = (
        "Fix the scheme and host in code, or check the host against an allow-list "
        "before sending the request."
    )

    def check_project(self, context: Context) -> Iterable[Report]:
        for hit in context.hits(URL):
            sources = ", ".join(f"`{source}`" for source in hit.sources)
            message = f"outgoing request to a URL built from {sources}"
            if hit.via:
                message += f" (through the call at {hit.via[0]})"
            if _admin_only(context, hit):
                yield Report(
                    hit.module,
                    hit.node,
                    message + ", on a route for administrators",
                    severity=Severity.MEDIUM,
                    confidence=Confidence.MEDIUM,
                )
            else:
                yield Report(hit.module, hit.node, message)


def _admin_only(context: Context, hit: Hit) -> bool:
    """Whether the client data comes from routes only administrators may call, where setting
    the URL of a service is a feature."""
    relpath, line = hit.module.relpath, hit.node.lineno
    if hit.via:
        relpath, _, number = hit.via[0].rpartition(":")
        line = int(number)
    module = next((m for m in context.project.modules if m.relpath == relpath), None)
    entry: Function | None = None
    if module is not None:
        entry = next((owner for call, owner in module.index.calls if call.lineno == line), None)
    routes = context.routes_of(entry) if entry is not None else []
    return bool(routes) and all(
        "admin" in route.path.lower().split("/")
        or any(ADMIN.search(dependency.label) for dependency in route.all_dependencies)
        for route in routes
    )
