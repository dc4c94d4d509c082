"""
## What it does
Finds Starlette's `CORSMiddleware` (from `fastapi.middleware.cors` or
`starlette.middleware.cors`) configured to accept every origin: `allow_origins=["*"]` (written
in place or held by a list constant) or an `allow_origin_regex` that matches any site, such as
`".*"` or `"https?://.*"`. It is reported with high severity together with
`allow_credentials=True`, and with low severity without it. The middleware is recognised in
`app.add_middleware(CORSMiddleware, ...)`, in `Middleware(CORSMiddleware, ...)` inside
`FastAPI(middleware=[...])` and when the app is wrapped in `CORSMiddleware(app, ...)`.
CORS headers written by hand (in a middleware or a handler) that echo the request's `Origin`
without comparing it with anything, or answer `*` together with
`Access-Control-Allow-Credentials: true`, are reported the same way.

## Why is this bad?
With credentials allowed, Starlette answers a wildcard configuration by echoing the caller's
`Origin`, so any web site a logged-in user visits can call the API with the user's cookies
and read the answers (CWE-942). Without credentials the data is only as exposed as the API
is without a login, which is a smaller risk but rarely the intent.

## Known problems
Origins from settings and the environment are known only through their literal defaults (a
settings field's default, `os.getenv("CORS_ORIGINS", "*").split(",")`); values read at run
time are not reported.

## Example
```python
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI()
app.add_middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)
```

## Use instead
```python
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI()
app.add_middleware(
    CORSMiddleware,
    allow_origins=["https://app.example.com"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)
```

## Fix safety
No automatic fix: the origins of the project's front ends must be listed by hand.

## References
- https://cwe.mitre.org/data/definitions/942.html
- https://fastapi.tiangolo.com/tutorial/cors/
- https://www.starlette.io/middleware/#corsmiddleware
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

from apismith.findings import Confidence, Severity
from apismith.project.constants import constant_str
from apismith.project.module import Function, Module
from apismith.project.project import Project
from apismith.project.values import last_assignment
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

CORS_CLASSES = frozenset(
    {"fastapi.middleware.cors.CORSMiddleware", "starlette.middleware.cors.CORSMiddleware"}
)
MIDDLEWARE_CLASSES = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
ENV_READERS = frozenset({"os.getenv", "os.environ.get"})
ATTACKER_ORIGINS = ("https://attacker.invalid", "http://attacker.invalid")


class PermissiveCors(Rule):
    id = "SEC021"
    name = "permissive-cors-with-credentials"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 942
    fix_title = "List the front-end origins in `allow_origins` instead of `*` or a catch-all regex."
    requires = ("fastapi", "starlette")
    scope = "file"

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        project = context.project
        for defined in module.index.functions:
            yield from _handwritten(module, defined)
        for call, function in module.index.calls:
            options = _cors_options(project, module, call)
            if options is None:
                continue
            origin = _wildcard(project, module, options, function)
            if origin is None:
                continue
            node, described = origin
            credentials = options.get("allow_credentials")
            if _is_true(module, credentials):
                yield Report(
                    module,
                    node,
                    f"CORS allows {described} with `allow_credentials=True`: any site can make "
                    "requests with the user's cookies and read the responses",
                )
            else:
                yield Report(
                    module,
                    node,
                    f"CORS allows {described}: any site can read the API's responses",
                    severity=Severity.LOW,
                    confidence=Confidence.MEDIUM,
                )


def _handwritten(module: Module, function: Function) -> Iterator[Report]:
    """``response.headers["Access-Control-Allow-Origin"] = request.headers["origin"]``: a
    middleware or handler that echoes any caller's origin (or answers ``*``) by hand."""
    headers: dict[str, list[ast.expr]] = {}
    for node in walk(function):
        pairs: list[tuple[ast.expr | None, ast.expr]] = []
        if isinstance(node, ast.Assign):
            pairs = [(t.slice, node.value) for t in node.targets if isinstance(t, ast.Subscript)]
        elif isinstance(node, ast.Dict):
            pairs = list(zip(node.keys, node.values, strict=True))
        for key, value in pairs:
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                headers.setdefault(key.value.lower(), []).append(value)
    credentials = any(
        isinstance(value, ast.Constant) and str(value.value).lower() == "true"
        for value in headers.get("access-control-allow-credentials", [])
    )
    for value in headers.get("access-control-allow-origin", []):
        source = last_assignment(function, value) if isinstance(value, ast.Name) else value
        if _reads_origin(source if source is not None else value) and not _validated(
            function, value
        ):
            described = "every origin (the request's `Origin` is echoed)"
        elif isinstance(value, ast.Constant) and value.value == "*" and credentials:
            described = "every origin (`*`)"
        else:
            continue
        if credentials:
            yield Report(
                module,
                value,
                f"CORS allows {described} with credentials in `{function.name}`: any site can "
                "make requests with the user's cookies and read the responses",
            )
        else:
            yield Report(
                module,
                value,
                f"CORS allows {described} in `{function.name}`: any site can read the responses",
                severity=Severity.LOW,
                confidence=Confidence.MEDIUM,
            )


def _reads_origin(node: ast.expr) -> bool:
    """``request.headers.get("origin")`` or ``request.headers["Origin"]``."""
    for item in walk(node):
        key: ast.expr | None = None
        if isinstance(item, ast.Call) and isinstance(item.func, ast.Attribute) and item.args:
            if item.func.attr == "get" and _is_headers(item.func.value):
                key = item.args[0]
        elif isinstance(item, ast.Subscript) and _is_headers(item.value):
            key = item.slice
        if isinstance(key, ast.Constant) and str(key.value).lower() == "origin":
            return True
    return False


def _validated(function: Function, value: ast.expr) -> bool:
    """Whether the echoed origin is compared with something (an allow-list, a suffix, a regex)."""
    name = value.id if isinstance(value, ast.Name) else None
    for node in walk(function):
        operands: list[ast.expr] = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.Call):
            operands = [*node.args, *(k.value for k in node.keywords)]
            if isinstance(node.func, ast.Attribute):
                operands.append(node.func.value)
        for operand in operands:
            if (name is not None and isinstance(operand, ast.Name) and operand.id == name) or (
                name is None and _reads_origin(operand) and not isinstance(node, ast.Call)
            ):
                return True
    return False


def _is_headers(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "headers"


def _cors_options(project: Project, module: Module, call: ast.Call) -> dict[str, ast.expr] | None:
    """The keywords configuring ``CORSMiddleware`` when ``call`` installs it."""
    callee = project.resolve(module, call.func)
    installs = callee in MIDDLEWARE_CLASSES or (
        isinstance(call.func, ast.Attribute) and call.func.attr == "add_middleware"
    )
    if callee in CORS_CLASSES or (
        installs and call.args and project.resolve(module, call.args[0]) in CORS_CLASSES
    ):
        return {k.arg: k.value for k in call.keywords if k.arg}
    return None


def _wildcard(
    project: Project, module: Module, options: dict[str, ast.expr], function: Function | None
) -> tuple[ast.expr, str] | None:
    """The keyword that lets every origin in, and how to describe it."""
    origins = options.get("allow_origins")
    if origins is not None:
        values = _strings(project, module, origins, function)
        if "*" in values:
            return origins, "every origin (`*`)"
    regex = options.get("allow_origin_regex")
    if regex is not None:
        pattern = constant_str(project, module, regex)
        if pattern is not None and _matches_any_site(pattern):
            return regex, f"every origin (`allow_origin_regex={pattern!r}`)"
    return None


def _strings(
    project: Project, module: Module, node: ast.expr, function: Function | None
) -> list[str]:
    if isinstance(node, ast.Name | ast.Attribute):
        value = last_assignment(function, node) if isinstance(node, ast.Name) else None
        if value is None:
            qualname = project.resolve(module, node)
            found = project.lookup(qualname) if qualname is not None else None
            value = found[1] if found is not None and isinstance(found[1], ast.expr) else None
            module = found[0] if found is not None else module
        if value is not None:
            node = value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        strings = [constant_str(project, module, element) for element in node.elts]
        return [string for string in strings if string is not None]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "split"
        and isinstance(node.func.value, ast.Call)
        and project.resolve(module, node.func.value.func) in ENV_READERS
        and len(node.func.value.args) > 1
    ):
        # ``os.getenv("CORS_ORIGINS", "*").split(",")``: the default is what runs when unset
        default = constant_str(project, module, node.func.value.args[1])
        return [part.strip() for part in default.split(",")] if default is not None else []
    single = constant_str(project, module, node)
    return [single] if single is not None else []


def _matches_any_site(pattern: str) -> bool:
    """Whether Starlette's ``fullmatch`` of the regex accepts an attacker's own origin."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    return any(compiled.fullmatch(origin) for origin in ATTACKER_ORIGINS)


def _is_true(module: Module, node: ast.expr | None) -> bool:
    if isinstance(node, ast.Name):
        bound = module.bindings.get(node.id)
        node = bound if isinstance(bound, ast.expr) else None
    return isinstance(node, ast.Constant) and node.value is True
