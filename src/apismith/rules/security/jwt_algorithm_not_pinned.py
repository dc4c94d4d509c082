"""
## What it does
Finds JSON Web Tokens decoded without a fixed list of accepted algorithms: PyJWT or
python-jose `jwt.decode(token, key)` without `algorithms=`, `algorithms` that contain
`"none"`, or algorithms taken from the token's own header
(`algorithms=[jwt.get_unverified_header(token)["alg"]]`), and lists that mix HMAC and
public-key algorithms (`["HS256", "RS256"]`). Tokens issued with
`jwt.encode(..., algorithm="none")` are reported too.

## Why is this bad?
The token names its own algorithm. A verifier that accepts whatever the token says can be
fooled with an unsigned `alg: none` token, or with an HMAC token signed with the server's
public RSA key (algorithm confusion), so a client forges any identity (CWE-327).

## Known problems
PyJWT 2 refuses to verify without `algorithms=`, so on PyJWT 2 a missing list is an error
at run time rather than a weakness; it is still reported because the same call is unsafe on
PyJWT 1 and python-jose. A decode that receives `**kwargs` is not reported. Decodes with the
signature check switched off are left to `jwt-signature-not-verified` (SEC018).

## Example
```python
from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordBearer
from jose import jwt

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
PUBLIC_KEY = "loaded-from-the-environment"


def get_current_user(token: str = Depends(oauth2_scheme)) -> dict:
    return jwt.decode(token, PUBLIC_KEY)
```

## Use instead
```python
from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordBearer
from jose import jwt

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
PUBLIC_KEY = "loaded-from-the-environment"


def get_current_user(token: str = Depends(oauth2_scheme)) -> dict:
    return jwt.decode(token, PUBLIC_KEY, algorithms=["RS256"])
```

## Fix safety
No automatic fix: the algorithm the issuer uses must be chosen by hand.

## References
- https://cwe.mitre.org/data/definitions/327.html
- https://pyjwt.readthedocs.io/en/stable/api.html#jwt.decode
- https://auth0.com/blog/critical-vulnerabilities-in-json-web-token-libraries/
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.constants import constant_str
from apismith.project.module import Function, Module
from apismith.project.project import Project
from apismith.project.values import last_assignment
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

DECODERS = frozenset(
    {
        "jwt.decode",
        "jwt.decode_complete",
        "jwt.api_jwt.decode",
        "jwt.api_jwt.decode_complete",
        "jwt.PyJWT.decode",
        "jwt.api_jwt.PyJWT.decode",
        "jose.jwt.decode",
    }
)
ENCODERS = frozenset(
    {"jwt.encode", "jwt.api_jwt.encode", "jwt.PyJWT.encode", "jose.jwt.encode", "jose.jws.sign"}
)
HEADER_READERS = ("get_unverified_header", "get_unverified_headers")


class JwtAlgorithmNotPinned(Rule):
    id = "SEC019"
    name = "jwt-algorithm-not-pinned"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 327
    fix_title = "Pass a fixed `algorithms=[...]` list (e.g. `['HS256']`) and never accept `none`."
    requires = ("jwt", "jose")
    scope = "file"

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        project = context.project
        for call, function in module.index.calls:
            scope = project.scope(function) if function is not None else None
            callee = project.resolve(module, call.func, scope)
            if callee is None or project.lookup(callee) is not None:
                continue
            where = f" in `{function.name}`" if function is not None else ""
            name = ast.unparse(call.func)
            if callee in DECODERS:
                problem = _decode_problem(project, module, call, function)
                if problem is not None:
                    yield Report(module, call, f"`{name}`{where} {problem}")
            elif callee in ENCODERS:
                algorithm = _keyword(call, "algorithm")
                if algorithm is None and len(call.args) > 2:
                    algorithm = call.args[2]
                value = constant_str(project, module, algorithm) if algorithm else None
                if value is not None and value.lower() == "none":
                    yield Report(
                        module, call, f"`{name}`{where} issues unsigned tokens (`algorithm='none'`)"
                    )


def _decode_problem(
    project: Project, module: Module, call: ast.Call, function: Function | None
) -> str | None:
    if any(k.arg is None for k in call.keywords) or _unverified(module, call, function):
        return None
    algorithms = _keyword(call, "algorithms")
    if algorithms is None and len(call.args) > 2:
        algorithms = call.args[2]
    if algorithms is None or (isinstance(algorithms, ast.Constant) and algorithms.value is None):
        return "accepts whatever algorithm the token names (no `algorithms=`)"
    if _from_header(project, module, algorithms, function):
        return "takes the accepted algorithm from the token's own header"
    names = _algorithm_names(project, module, algorithms, function)
    if any(name.lower() == "none" for name in names):
        return "accepts unsigned tokens (`none` in `algorithms`)"
    symmetric = {name for name in names if name.upper().startswith("HS")}
    if symmetric and len(symmetric) < len(names):
        return (
            f"accepts both HMAC and public-key algorithms ({', '.join(names)}): a token signed "
            "with the public key as HMAC secret may pass"
        )
    return None


def _algorithm_names(
    project: Project, module: Module, node: ast.expr, function: Function | None
) -> list[str]:
    if isinstance(node, ast.Name):
        value = _named_value(module, function, node)
        if isinstance(value, ast.List | ast.Tuple | ast.Set):
            node = value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        found = [constant_str(project, module, element) for element in node.elts]
        return [name for name in found if name is not None]
    single = constant_str(project, module, node)
    return [single] if single is not None else []


def _from_header(
    project: Project, module: Module, node: ast.expr, function: Function | None
) -> bool:
    """Whether an ``algorithms`` expression reads ``alg`` from an unverified header."""
    for inner in walk(node):
        base: ast.expr | None = None
        if isinstance(inner, ast.Subscript) and _is_alg(inner.slice):
            base = inner.value
        elif (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr == "get"
            and inner.args
            and _is_alg(inner.args[0])
        ):
            base = inner.func.value
        if isinstance(base, ast.Name):
            base = last_assignment(function, base)
        if isinstance(base, ast.Call):
            callee = project.resolve(module, base.func) or ""
            if callee.endswith(HEADER_READERS):
                return True
    return False


def _is_alg(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == "alg"


def _unverified(module: Module, call: ast.Call, function: Function | None) -> bool:
    """Whether the decode switches the signature check off (left to SEC018)."""
    if _is_false(_keyword(call, "verify")):
        return True
    options = _keyword(call, "options")
    if isinstance(options, ast.Name):
        options = _named_value(module, function, options)
    if isinstance(options, ast.Dict):
        return any(
            isinstance(key, ast.Constant) and key.value == "verify_signature" and _is_false(value)
            for key, value in zip(options.keys, options.values, strict=True)
        )
    return False


def _is_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _named_value(module: Module, function: Function | None, name: ast.Name) -> ast.expr | None:
    """What a name holds: its last local assignment, else its module-level value."""
    local = last_assignment(function, name)
    if local is not None:
        return local
    value = module.bindings.get(name.id)
    return value if isinstance(value, ast.expr) else None
