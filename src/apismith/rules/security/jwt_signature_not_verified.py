"""
## What it does
Finds JSON Web Tokens read without checking their signature: PyJWT or python-jose
`jwt.decode(...)` with `options={"verify_signature": False}` (written in the call or kept in a
dict variable), PyJWT 1.x `jwt.decode(token, verify=False)`, and python-jose
`jwt.get_unverified_claims(token)` in a route handler, a dependency or a function named after
the user or authentication. A decode that checks the signature but not the expiry
(`options={"verify_exp": False}`), or an authlib or joserfc decode whose claims are never
validated, is reported with a lower severity.

## Why is this bad?
Anyone can write a token with any claims: without the signature check a client becomes any
user or an administrator by editing the payload (CWE-347). Without the expiry check a stolen
token stays valid forever.

## Known problems
A function that reads unverified claims only to choose the key (by issuer, tenant or key id)
of a decode that verifies the token in the same function is not reported. Unverified claims read
elsewhere are reported only from handlers, dependencies, functions named like
`get_current_user` and helpers that request code calls and that return the claims; a helper
that peeks at a token and passes the claims on in another form is missed. An OpenID Connect
ID token received straight from the provider's token endpoint may be read without
verification; suppress the finding there. An authlib or joserfc decode is reported when the
same function never calls `validate()`, even if its caller does.

## Example
```python
import jwt
from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordBearer

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


def get_current_user(token: str = Depends(oauth2_scheme)) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@app.get("/me")
def me(user: dict = Depends(get_current_user)) -> dict:
    return user
```

## Use instead
```python
import jwt
from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordBearer

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
SECRET_KEY = "loaded-from-the-environment"


def get_current_user(token: str = Depends(oauth2_scheme)) -> dict:
    return jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
```

## Fix safety
No automatic fix: the verification key and the accepted algorithms must be supplied.

## References
- https://cwe.mitre.org/data/definitions/347.html
- https://pyjwt.readthedocs.io/en/stable/usage.html#reading-the-claimset-without-validation
- https://python-jose.readthedocs.io/en/latest/jwt/api.html
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
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
UNVERIFIED_CLAIMS = frozenset({"jose.jwt.get_unverified_claims", "jose.jws.get_unverified_claims"})
# Libraries that check the signature on decode but leave `exp` to a separate `validate()` call.
CLAIM_DECODERS = frozenset({"authlib.jose.jwt.decode", "joserfc.jwt.decode"})
VERIFIERS = DECODERS | {"jose.jws.verify", "jwt.api_jws.decode", "jwt.PyJWS.decode"}
AUTH_FUNCTION = re.compile(
    r"user|auth|principal|identity|account|permission|role|admin|login|session|current"
    r"|verify|validate|check",
    re.IGNORECASE,
)


class JwtSignatureNotVerified(Rule):
    id = "SEC018"
    name = "jwt-signature-not-verified"
    family = "security"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 347
    fix_title = "Verify the token: pass the key and `algorithms=[...]`; keep signature checks on."
    shares = "blocking"
    requires = ("jwt", "jose", "authlib", "joserfc")

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        project = context.project
        for call, function in module.index.calls:
            callee = _callee(project, module, call, function)
            if callee in DECODERS:
                yield from self._decode(project, module, call, function)
            elif (
                callee in UNVERIFIED_CLAIMS
                and function is not None
                and (
                    _decides_access(context, function)
                    or (id(function) in context.request_functions and _returns(function, call))
                )
                and not _chooses_key(project, module, function, call)
            ):
                yield Report(
                    module,
                    call,
                    f"`{ast.unparse(call.func)}` in `{function.name}` trusts the token's "
                    "claims without checking its signature",
                )
            elif callee in CLAIM_DECODERS and function is not None and not _validates(function):
                yield Report(
                    module,
                    call,
                    f"`{ast.unparse(call.func)}` in `{function.name}` checks the signature but "
                    "never validates the claims: expired tokens stay valid",
                    fix="Call `claims.validate()` (authlib) or `JWTClaimsRegistry(...).validate()` "
                    "(joserfc) on the decoded token.",
                    severity=Severity.MEDIUM,
                )

    def _decode(
        self, project: Project, module: Module, call: ast.Call, function: Function | None
    ) -> Iterable[Report]:
        where = f" in `{function.name}`" if function is not None else ""
        name = ast.unparse(call.func)
        verify = _keyword(call, "verify")
        if _is_false(module, verify, function):
            yield Report(module, call, f"`{name}(..., verify=False)`{where} accepts forged tokens")
            return
        options = _options(module, _keyword(call, "options"), function)
        if _is_false(module, options.get("verify_signature"), function):
            if function is not None and _chooses_key(project, module, function, call):
                return
            yield Report(
                module,
                call,
                f"`{name}`{where} reads the token with `verify_signature` off: forged tokens "
                "are accepted",
            )
        elif _is_false(module, options.get("verify_exp"), function):
            yield Report(
                module,
                call,
                f"`{name}`{where} checks the signature but not the expiry (`verify_exp` off): "
                "expired tokens stay valid",
                fix="Keep `verify_exp` on; use `leeway=` for clock skew.",
                severity=Severity.MEDIUM,
            )


def _callee(project: Project, module: Module, call: ast.Call, function: Function | None) -> str:
    scope = project.scope(function) if function is not None else None
    name = project.resolve(module, call.func, scope)
    if name is None or project.lookup(name) is not None:
        return ""
    return name


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_false(module: Module, node: ast.expr | None, function: Function | None) -> bool:
    """``False``, or a local or module-level name set to ``False``."""
    if isinstance(node, ast.Name):
        node = last_assignment(function, node) or _binding(module, node.id)
    return isinstance(node, ast.Constant) and node.value is False


def _options(
    module: Module, node: ast.expr | None, function: Function | None
) -> dict[str, ast.expr]:
    """The constant keys of an ``options`` dict, written in the call or held by a name."""
    if isinstance(node, ast.Name):
        node = last_assignment(function, node) or _binding(module, node.id)
    if isinstance(node, ast.Dict):
        return {
            key.value: value
            for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        }
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return {k.arg: k.value for k in node.keywords if k.arg}
    return {}


def _binding(module: Module, name: str) -> ast.expr | None:
    value = module.bindings.get(name)
    return value if isinstance(value, ast.expr) else None


def _chooses_key(project: Project, module: Module, function: Function, call: ast.Call) -> bool:
    """Whether the unverified claims only pick the key (or issuer) of a verifying decode.

    ``kid = jwt.decode(t, options=...)["iss"]`` then ``jwt.decode(t, KEYS[kid], ...)``.
    """
    derived: set[str] = set()
    assigns = [node for node in walk(function) if isinstance(node, ast.Assign)]
    changed = True
    while changed:
        changed = False
        for assign in assigns:
            if not any(
                inner is call or (isinstance(inner, ast.Name) and inner.id in derived)
                for inner in walk(assign.value)
            ):
                continue
            for target in assign.targets:
                if isinstance(target, ast.Name) and target.id not in derived:
                    derived.add(target.id)
                    changed = True
    if not derived:
        return False
    scope = project.scope(function)
    for node in walk(function):
        if (
            not isinstance(node, ast.Call)
            or node is call
            or project.resolve(module, node.func, scope) not in VERIFIERS
        ):
            continue
        options = _options(module, _keyword(node, "options"), function)
        if _is_false(module, _keyword(node, "verify"), function) or _is_false(
            module, options.get("verify_signature"), function
        ):
            continue
        arguments = [*node.args[1:], *(k.value for k in node.keywords)]
        if any(
            isinstance(inner, ast.Name) and inner.id in derived
            for argument in arguments
            for inner in walk(argument)
        ):
            return True
    return False


def _validates(function: Function) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "validate"
        for node in walk(function)
    )


def _decides_access(context: Context, function: Function) -> bool:
    """Whether a function lets callers in: a handler, a dependency or an auth helper."""
    return (
        bool(context.routes_of(function))
        or id(function) in context.dependency_functions
        or bool(AUTH_FUNCTION.search(function.name))
    )


def _returns(function: Function, call: ast.Call) -> bool:
    """Whether a helper hands the claims back (``return claims``, ``return claims["sub"]``) to
    the request code that calls it, where they decide who the caller is."""
    bound = {
        target.id
        for node in walk(function)
        if isinstance(node, ast.Assign) and node.value is call
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value.value if isinstance(node.value, ast.Subscript) else node.value
            if value is call or (isinstance(value, ast.Name) and value.id in bound):
                return True
    return False
