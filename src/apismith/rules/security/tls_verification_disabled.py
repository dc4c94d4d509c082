"""
## What it does
Finds TLS certificate checks switched off: `verify=False` on requests and httpx calls,
sessions and clients (`httpx.AsyncClient(verify=False)`, `session.verify = False`), aiohttp's
`ssl=False` and `verify_ssl=False`, `cert_reqs="CERT_NONE"`, `ssl._create_unverified_context()`,
and an SSL context weakened with `context.check_hostname = False` or
`context.verify_mode = ssl.CERT_NONE`. `verify=False` given to an HTTP method of a client whose
type cannot be told is reported with medium confidence.

## Why is this bad?
Without certificate checks anyone on the network path (a compromised router, a rogue Wi-Fi
access point, a poisoned DNS answer) can impersonate the remote server, read the credentials
and data sent to it and change its answers (CWE-295).

## Known problems
A flag held in settings (`verify=settings.VERIFY_TLS`) is not reported, even when it defaults
to `False`; a module-level constant set to `False` is.

## Example
```python
import httpx
from fastapi import FastAPI

app = FastAPI()
billing = httpx.AsyncClient(base_url="https://billing.internal", verify=False)


@app.get("/invoices")
async def invoices() -> list:
    return (await billing.get("/invoices")).json()
```

## Use instead
```python
import httpx
from fastapi import FastAPI

app = FastAPI()
billing = httpx.AsyncClient(base_url="https://billing.internal", verify="/etc/ssl/billing-ca.pem")


@app.get("/invoices")
async def invoices() -> list:
    return (await billing.get("/invoices")).json()
```

## Fix safety
No automatic fix: a server with a private certificate authority needs its CA bundle passed
instead, which only the project knows.

## References
- https://cwe.mitre.org/data/definitions/295.html
- https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification
- https://www.python-httpx.org/advanced/ssl/
- https://docs.python.org/3/library/ssl.html#ssl.SSLContext.check_hostname
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.project import Project
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

CLIENT_LIBRARIES = ("requests", "httpx", "aiohttp", "urllib3")
VERIFY_KEYWORDS = frozenset({"verify", "ssl", "verify_ssl"})
HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send"}
)
TLS_KEYWORDS = VERIFY_KEYWORDS | {"cert_reqs"}
# Attributes whose assignment can turn verification off (the last one for the whole process).
SETTINGS = frozenset({"verify_mode", "check_hostname", "verify", "_create_default_https_context"})
UNVERIFIED_CONTEXT = frozenset({"ssl._create_unverified_context", "ssl._create_stdlib_context"})
CERT_NONE = frozenset({"ssl.CERT_NONE", "ssl.VerifyMode.CERT_NONE"})


class TlsVerificationDisabled(Rule):
    id = "SEC026"
    name = "tls-verification-disabled"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 295
    fix_title = "Keep certificate checks on; pass the CA bundle (`verify='/path/ca.pem'`) instead."
    requires = ()
    scope = "file"

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        project = context.project
        for call, function in module.index.calls:
            if _worth_resolving(project, module, call):
                yield from _check_call(project, module, call, function)
        for assign, function in module.index.assigns:
            if isinstance(assign, ast.Assign) and any(
                isinstance(target, ast.Attribute) and target.attr in SETTINGS
                for target in assign.targets
            ):
                yield from _check_assign(project, module, assign, function)


def _worth_resolving(project: Project, module: Module, call: ast.Call) -> bool:
    """Cheap guard: a TLS keyword is passed, or the callee may be an unverified-context maker
    (a ``_create_...`` attribute, or a name imported from one)."""
    for keyword in call.keywords:
        if keyword.arg in TLS_KEYWORDS:
            return True
    func = call.func
    if type(func) is ast.Attribute:
        return func.attr.startswith("_create_")
    target = module.imports.get(func.id) if type(func) is ast.Name else None
    return target is not None and project.canonical(target) in UNVERIFIED_CONTEXT


def _check_call(
    project: Project, module: Module, call: ast.Call, function: Function | None
) -> Iterable[Report]:
    scope = project.scope(function) if function is not None else None
    callee = project.resolve(module, call.func, scope)
    name = ast.unparse(call.func)
    where = f" in `{function.name}`" if function is not None else ""
    if callee in UNVERIFIED_CONTEXT:
        yield Report(
            module, call, f"`{name}()`{where} makes a context that accepts any certificate"
        )
        return
    library = callee.split(".")[0] if callee is not None else None
    for keyword in call.keywords:
        if keyword.arg in VERIFY_KEYWORDS and _is_false(module, keyword.value):
            if library in CLIENT_LIBRARIES:
                yield Report(
                    module,
                    keyword.value,
                    f"`{name}(..., {keyword.arg}=False)`{where} trusts any certificate",
                )
            elif (
                callee is None
                and keyword.arg == "verify"
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in HTTP_METHODS
            ):
                yield Report(
                    module,
                    keyword.value,
                    f"`{name}(..., verify=False)`{where} trusts any certificate",
                    confidence=Confidence.MEDIUM,
                )
        elif keyword.arg == "cert_reqs" and _is_cert_none(project, module, keyword.value):
            yield Report(
                module,
                keyword.value,
                f"`{name}(..., cert_reqs=CERT_NONE)`{where} trusts any certificate",
            )


def _check_assign(
    project: Project, module: Module, assign: ast.Assign, function: Function | None
) -> Iterable[Report]:
    for target in assign.targets:
        if not isinstance(target, ast.Attribute) or target.attr not in SETTINGS:
            continue
        scope = project.scope(function) if function is not None else None
        text = ast.unparse(target)
        owner = project.type_of(module, target.value, scope) or ""
        if target.attr == "verify_mode" and _is_cert_none(project, module, assign.value):
            yield Report(module, assign, f"`{text} = CERT_NONE` accepts any certificate")
        elif target.attr == "check_hostname" and _is_false(module, assign.value):
            if owner.startswith("ssl.") or (not owner and module.imports_any("ssl")):
                yield Report(
                    module,
                    assign,
                    f"`{text} = False` accepts a trusted certificate issued for any host",
                    severity=Severity.MEDIUM,
                )
        elif target.attr == "verify" and _is_false(module, assign.value):
            if owner.startswith(("requests.", "httpx.")) or (
                not owner and module.imports_any("requests", "httpx")
            ):
                yield Report(module, assign, f"`{text} = False` trusts any certificate")
        elif (
            project.resolve(module, target) == "ssl._create_default_https_context"
            and project.resolve(module, assign.value) in UNVERIFIED_CONTEXT
        ):
            yield Report(
                module, assign, "every HTTPS connection of the process trusts any certificate"
            )


def _is_false(module: Module, node: ast.expr) -> bool:
    """``False``, or a module-level name set to ``False``."""
    if isinstance(node, ast.Name):
        bound = module.bindings.get(node.id)
        if isinstance(bound, ast.expr):
            node = bound
    return isinstance(node, ast.Constant) and node.value is False


def _is_cert_none(project: Project, module: Module, node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == "CERT_NONE"
    return project.resolve(module, node) in CERT_NONE
