"""
## What it does
Finds JSON Web Tokens issued without an expiry: PyJWT or python-jose `jwt.encode(payload, ...)`
where the payload is a dict written in the same function (a literal, `dict(...)`, or a name
bound to one and completed with `payload["exp"] = ...` or `payload.update(...)`) that never
gets an `exp` claim.

## Why is this bad?
A token without `exp` stays valid for as long as the signing key does: a token copied from a
log, a browser or a leaked backup lets its holder act as the user forever, and logging out or
changing the password does not end it (CWE-613).

## Known problems
Payloads that come from another function or from a parameter (`to_encode = data.copy()`) are
not judged, since the claim may be added there. Tokens meant to live long and be revoked on
the server (API keys in JWT form) are reported too; suppress the finding there.

## Example
```python
import jwt

SECRET_KEY = "loaded-from-the-environment"


def create_access_token(username: str) -> str:
    return jwt.encode({"sub": username}, SECRET_KEY, algorithm="HS256")
```

## Use instead
```python
from datetime import UTC, datetime, timedelta

import jwt

SECRET_KEY = "loaded-from-the-environment"


def create_access_token(username: str) -> str:
    expire = datetime.now(UTC) + timedelta(minutes=30)
    return jwt.encode({"sub": username, "exp": expire}, SECRET_KEY, algorithm="HS256")
```

## Fix safety
No automatic fix: the lifetime of a token is a product decision.

## References
- https://cwe.mitre.org/data/definitions/613.html
- https://pyjwt.readthedocs.io/en/stable/usage.html#expiration-time-claim-exp
- https://datatracker.ietf.org/doc/html/rfc7519#section-4.1.4
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

ENCODERS = frozenset({"jwt.encode", "jwt.api_jwt.encode", "jwt.PyJWT.encode", "jose.jwt.encode"})


class JwtWithoutExpiry(Rule):
    id = "SEC028"
    name = "jwt-without-expiry"
    family = "security"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 613
    fix_title = "Give every token an `exp` claim (`datetime.now(UTC) + timedelta(minutes=30)`)."
    requires = ("jwt", "jose")
    scope = "file"

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        project = context.project
        for call, function in module.index.calls:
            if not call.args or not _named_encode(call.func):
                continue
            scope = project.scope(function) if function is not None else None
            if project.resolve(module, call.func, scope) not in ENCODERS:
                continue
            claims = _claims(call.args[0], function)
            if claims is not None and "exp" not in claims:
                where = f" in `{function.name}`" if function is not None else ""
                yield Report(
                    module, call, f"token issued{where} has no `exp` claim: it never expires"
                )


def _named_encode(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "encode") or (
        isinstance(func, ast.Name) and func.id == "encode"
    )


def _literal_keys(node: ast.expr | None) -> set[str] | None:
    """Keys of ``{...}`` or ``dict(...)``, or None when a key is not written down."""
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            return None  # ``{**data}``: the spread may hold the claim
        return {str(key.value) for key in node.keys if isinstance(key, ast.Constant)}
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "dict"
        and not node.args
        and all(k.arg is not None for k in node.keywords)
    ):
        return {str(k.arg) for k in node.keywords}
    return None


def _claims(payload: ast.expr, function: Function | None) -> set[str] | None:
    """The claims a payload holds, or None when they are not all written in ``function``."""
    if not isinstance(payload, ast.Name):
        return _literal_keys(payload)
    if function is None:
        return None
    keys: set[str] = set()
    bound = False
    for node in walk(function):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id == payload.id:
                    found = _literal_keys(node.value)
                    if found is None:
                        return None
                    keys |= found
                    bound = True
                elif (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == payload.id
                ):
                    if not isinstance(target.slice, ast.Constant):
                        return None
                    keys.add(str(target.slice.value))
        elif isinstance(node, ast.AugAssign | ast.Call):
            if not _updates(node, payload.id):
                continue
            added = _added(node)
            if added is None:
                return None
            keys |= added
    return keys if bound else None


def _updates(node: ast.AugAssign | ast.Call, name: str) -> bool:
    """``name.update(...)``, ``name.setdefault(...)`` or ``name |= ...``."""
    if isinstance(node, ast.AugAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in {"update", "setdefault"}
        and isinstance(func.value, ast.Name)
        and func.value.id == name
    )


def _added(node: ast.AugAssign | ast.Call) -> set[str] | None:
    """Keys an update adds, or None when they are not written down."""
    if isinstance(node, ast.AugAssign):
        return _literal_keys(node.value)
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "setdefault":
        first = node.args[0] if node.args else None
        return {str(first.value)} if isinstance(first, ast.Constant) else None
    keys = {str(k.arg) for k in node.keywords if k.arg is not None}
    if any(k.arg is None for k in node.keywords):
        return None
    for argument in node.args:
        found = _literal_keys(argument)
        if found is None:
            return None
        keys |= found
    return keys
