"""
## What it does
Finds routes that change state (`POST`, `PUT`, `PATCH`, `DELETE`) and have no authenticating
dependency, in a project whose other routes do authenticate their callers; and `GET` routes
under an administrative path (`/admin`, `/internal`, `/manage`, `/debug`) or whose handler
name speaks of privileged data (`list_all_users`, `admin_stats`) that anyone can call; and
`GET` routes that read users' records (the user model, a model with an owner column the project
scopes its queries by, a dict store of accounts or of owned records) with no authentication
while other routes of the same router or module require it.

Authentication is looked for everywhere FastAPI applies it: route, router, `include_router`
and app `dependencies=`, parameter dependencies (also through `Annotated` aliases,
`Security(...)` and callable class instances), class-level dependencies of class-based views,
dependencies a custom `APIRouter` subclass adds, middleware that checks credentials (on the
paths it checks: a prefix it tests first, not the paths it hands on unchecked), and
handlers that check a token, a credential header or the session themselves.

## Why is this bad?
Anyone who can reach the service can call the route: create, change or delete data, or read
what only staff should see (CWE-306). A forgotten dependency on one route of an otherwise
protected router is one of the most common access-control defects.

## Known problems
Routes that are public by design are left out by their path or handler name: login, token,
sign-up, password reset, one-time codes, verification, refresh, logout, OAuth callbacks,
health, readiness and metrics probes, and webhooks whose handler verifies a signature (HMAC,
`construct_event`); so is a `POST` whose body is an account-creation schema (`UserCreate`),
which is how sign-up works.
A route is only reported when its router is wired into an app, and when most state-changing
routes of the project, or another route of the same router or module, authenticate; routes
under an administrative path are reported even in a project that authenticates nothing. Access
enforced outside the application (an API gateway, a private network) is not visible and is
reported; suppress with `# apismith: ignore[SEC010]`.

## Example
```python
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordBearer

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
Token = Annotated[str, Depends(oauth2_scheme)]


@app.post("/orders")
def create_order(token: Token) -> dict[str, str]:
    return {"status": "created"}


@app.delete("/orders/{order_id}")
def delete_order(order_id: int) -> None:
    return None
```

## Use instead
```python
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordBearer

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
Token = Annotated[str, Depends(oauth2_scheme)]


@app.post("/orders")
def create_order(token: Token) -> dict[str, str]:
    return {"status": "created"}


@app.delete("/orders/{order_id}")
def delete_order(order_id: int, token: Token) -> None:
    return None
```

## Fix safety
No automatic fix: which dependency (user, admin, service token) the route needs is a
decision about the application.

## References
- https://cwe.mitre.org/data/definitions/306.html
- https://fastapi.tiangolo.com/tutorial/security/get-current-user/
- https://fastapi.tiangolo.com/tutorial/bigger-applications/#include-an-apirouter-with-a-custom-prefix-tags-responses-and-dependencies
- https://owasp.org/API-Security/editions/2023/en/0xa5-broken-function-level-authorization/
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.routes import MUTATING, Route
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.security._access import Access, words
from apismith.rules.security._private_reads import PrivateReads
from apismith.rules.security.missing_rate_limit import credential_category, signs_up

PUBLIC_WORDS = frozenset(
    {
        "auth",
        "login",
        "logout",
        "signin",
        "signout",
        "signup",
        "register",
        "registration",
        "token",
        "refresh",
        "verify",
        "verification",
        "activate",
        "activation",
        "callback",
        "oauth",
        "oauth2",
        "sso",
        "saml",
        "oidc",
        "health",
        "healthz",
        "healthcheck",
        "ready",
        "readiness",
        "readyz",
        "live",
        "liveness",
        "livez",
        "ping",
        "heartbeat",
        "metrics",
        "public",
        "subscribe",
        "unsubscribe",
        "graphql",
    }
)
PUBLIC_PAIRS = frozenset({("sign", "in"), ("sign", "up"), ("log", "in"), ("log", "out")})
PASSWORD_RECOVERY = frozenset({"forgot", "reset", "recover", "recovery", "lost"})
WEBHOOK_WORDS = frozenset({"webhook", "webhooks", "hook", "hooks", "ipn"})
CAPABILITY_PARAMS = frozenset({"token", "code", "signature", "sig", "secret", "nonce", "otp"})
ADMIN_SEGMENTS = frozenset(
    {
        "admin",
        "internal",
        "manage",
        "management",
        "backoffice",
        "superuser",
        "sudo",
        "staff",
        "debug",
    }
)
PRIVILEGED_HANDLER = re.compile(
    r"(^|_)(admin|superuser|internal|staff)(_|$)|all_(users|accounts|customers)"
    r"|(users|accounts|customers)_(export|dump)|(export|dump)_(users|accounts|customers)"
    r"|(^|_)(secrets|credentials|api_keys)(_|$)"
)
SIGNATURE_CALL = re.compile(r"construct_event|verify|signature|compare_digest|hmac", re.I)


class MissingAuthentication(Rule):
    id = "SEC010"
    name = "missing-authentication"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 306
    shares = "access"
    fix_title = "Add the project's authentication dependency to the route or its router."

    def check_project(self, context: Context) -> Iterable[Report]:
        access = Access.of(context)
        routes = context.routes.routes
        state_changing = [r for r in routes if r.method in MUTATING]
        protected = [access.auth_of(r) for r in state_changing if access.auth_of(r) is not None]
        mostly_protected = len(protected) * 2 >= len(state_changing)
        named = Counter(label for label in protected if label and label.isidentifier())
        usual = named.most_common(1)[0][0] if named else None
        near: dict[str, str] = {}
        for route in routes:
            via = access.auth_of(route)
            if via is not None:
                near.setdefault(route.router, via)
                near.setdefault(route.module.name, via)
                if via.isidentifier():
                    near[route.router] = near[route.module.name] = via
        readers = PrivateReads(context)
        operations: dict[int, list[Route]] = {}
        for route in routes:
            operations.setdefault(id(route.operation), []).append(route)
        for group in operations.values():
            if any(access.auth_of(r) is not None or not access.is_wired(r) for r in group):
                continue
            route = group[0]
            privileged = _privileged_read(route)
            if _public(context, route):
                continue
            if not privileged and route.method not in MUTATING:
                private = readers.model(route) if route.method == "GET" else None
                if private is None:
                    continue
                # Users' records read with no login, where the same router's routes need one.
                sibling = near.get(route.router) or near.get(route.module.name)
                if sibling is not None:
                    label = sibling if sibling.isidentifier() else usual
                    yield self._report(route, f"users' records (`{private}`)", label)
                continue
            # An administrative path needs a caller check whatever the rest of the project does.
            admin = privileged == "path"
            if not access.has_authentication and not admin:
                continue
            sibling = near.get(route.router) or near.get(route.module.name)
            if sibling is None and not mostly_protected and not admin:
                continue
            label = sibling if sibling is not None and sibling.isidentifier() else usual
            yield self._report(route, privileged, label)

    def _report(self, route: Route, privileged: str | None, usual: str | None) -> Report:
        where = f"`{route.method} {route.path or '/'}` (`{route.handler.name}`)"
        others = f" (other routes use `{usual}`)" if usual else ""
        if route.method in MUTATING:
            return Report(
                route.module,
                route.operation.decorator,
                f"{where} changes state but has no authentication dependency{others}",
            )
        kind = {"path": "an administrative path", "name": "privileged data"}.get(
            privileged or "", privileged
        )
        return Report(
            route.module,
            route.operation.decorator,
            f"{where} serves {kind} without any authentication dependency{others}",
            severity=Severity.MEDIUM,
        )


def _privileged_read(route: Route) -> str | None:
    """``"path"`` for a route under ``/admin``-like paths, ``"name"`` for a privileged handler."""
    segments = {re.sub(r"[-_.]", "", s.lower()) for s in route.path.split("/")}
    if segments & ADMIN_SEGMENTS:
        return "path"
    if PRIVILEGED_HANDLER.search(route.handler.name.lower()):
        return "name"
    return None


def _public(context: Context, route: Route) -> bool:
    """Login, sign-up, probes, capability links and signed webhooks are public by design."""
    found = words(route.path) + words(route.handler.name)
    joined = {re.sub(r"[-_.]", "", s.lower()) for s in route.path.split("/")}
    pairs = set(pairwise(found))
    if (
        PUBLIC_WORDS & (set(found) | joined)
        or PUBLIC_PAIRS & pairs
        or ({"password", "passwd"} & set(found) and PASSWORD_RECOVERY & set(found))
        or any(set(words(name)) & CAPABILITY_PARAMS for name in route.path_params)
    ):
        return True
    if credential_category(route) is not None:
        return True  # log-in, sign-up, reset and one-time-code routes serve anonymous callers
    if WEBHOOK_WORDS & set(found):
        return _verifies_signature(context, route.module, route.handler, 0)
    return route.method == "POST" and signs_up(route)


def _verifies_signature(context: Context, module: Module, function: Function, depth: int) -> bool:
    """Whether a webhook handler (or a project function it calls) checks a signature."""
    project = context.project
    if any("signature" in name or "sig" in words(name) for name in _argument_names(function)):
        return True
    scope = project.scope(function)
    for node in walk(function):
        if not isinstance(node, ast.Call):
            continue
        name = project.resolve(module, node.func, scope) or ast.unparse(node.func)
        if SIGNATURE_CALL.search(name.rpartition(".")[2]) or name.startswith("hmac."):
            return True
        callee = project.function(name)
        if (
            callee is not None
            and depth < 1
            and callee[1] is not function
            and _verifies_signature(context, callee[0], callee[1], depth + 1)
        ):
            return True
    return False


def _argument_names(function: Function) -> list[str]:
    arguments = function.args
    return [a.arg.lower() for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
