"""
## What it does
Finds Starlette's `CORSMiddleware` (from `fastapi.middleware.cors` or
`starlette.middleware.cors`) configured to accept every origin: `allow_origins=["*"]` (written
in place or held by a list constant) or an `allow_origin_regex` that matches any site, such as
`".*"` or `"https?://.*"`. It is reported with high severity together with
`allow_credentials=True`, and with low severity without it. The middleware is recognised in
`app.add_middleware(CORSMiddleware, ...)`, in `Middleware(CORSMiddleware, ...)` inside
`FastAPI(middleware=[...])` and when the app is wrapped in `CORSMiddleware(app, ...)`.

## Why is this bad?
With credentials allowed, Starlette answers a wildcard configuration by echoing the caller's
`Origin`, so any web site a logged-in user visits can call the API with the user's cookies
and read the answers (CWE-942). Without credentials the data is only as exposed as the API
is without a login, which is a smaller risk but rarely the intent.

## Known problems
Origins that come from settings or the environment are not known statically and are not
reported, even when their default is `["*"]`.

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
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.constants import constant_str
from apismith.project.module import Function, Module
from apismith.project.project import Project
from apismith.project.values import last_assignment
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

CORS_CLASSES = frozenset(
    {"fastapi.middleware.cors.CORSMiddleware", "starlette.middleware.cors.CORSMiddleware"}
)
MIDDLEWARE_CLASSES = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
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
