"""
## What it does
Finds path operations that take guessable secrets without rate limiting: log-in and token
endpoints, sign-up, password reset, one-time codes (OTP, 2FA, MFA) and magic links, judged by
the last segments of the path and by the handler's name (`POST /auth/login`,
`POST /token`, `login_for_access_token`, `POST /2fa/verify`), and, in a project without a
route named for sign-up, a `POST` whose body is an account-creation schema (`POST /users`
with `UserCreate`). A route counts as limited when
it has a slowapi `@limiter.limit(...)` decorator (or any decorator or dependency whose name
mentions a limit or throttle, such as fastapi-limiter's `Depends(RateLimiter(...))`), when its
handler counts failed attempts or checks a captcha, or when its application installs a
rate-limiting middleware (`SlowAPIMiddleware` or any class named like `*RateLimit*`).
Log-in, sign-up and reset routes that already require a logged-in user are not reported, nor
are one-time-code routes that take nothing from the client (enrolling in 2FA).

## Why is this bad?
Without a limit a client can try passwords, reset codes or one-time codes as fast as the
server answers, and guess them (CWE-307). Open sign-up and reset endpoints are also abused to
create accounts in bulk and to flood users with e-mails.

## Known problems
Limits applied outside the code (an API gateway, a reverse proxy, a WAF) cannot be seen;
such projects should disable the rule. Endpoints are recognised by name, so a log-in at
`POST /sessions` is missed.

## Example
```python
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Credentials(BaseModel):
    email: str
    password: str


@app.post("/auth/login")
async def login(body: Credentials) -> dict:
    return {"access_token": "..."}
```

## Use instead
```python
from fastapi import FastAPI, Request
from pydantic import BaseModel
from slowapi import Limiter
from slowapi.util import get_remote_address

app = FastAPI()
limiter = Limiter(key_func=get_remote_address)
app.state.limiter = limiter


class Credentials(BaseModel):
    email: str
    password: str


@app.post("/auth/login")
@limiter.limit("5/minute")
async def login(request: Request, body: Credentials) -> dict:
    return {"access_token": "..."}
```

## Fix safety
No automatic fix: the limits and the key (client address, account) are a product decision.

## References
- https://cwe.mitre.org/data/definitions/307.html
- https://slowapi.readthedocs.io/en/latest/
- https://github.com/long2ice/fastapi-limiter
- https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.module import Function
from apismith.project.routes import Container, Route
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

# Terms (words, or two adjacent words joined) that name a sensitive endpoint, by category.
CATEGORIES = {
    "login": "log-in",
    "signin": "log-in",
    "logon": "log-in",
    "authenticate": "log-in",
    "token": "log-in",
    "register": "sign-up",
    "registration": "sign-up",
    "signup": "sign-up",
    "forgot": "password reset",
    "resetpassword": "password reset",
    "passwordreset": "password reset",
    "passwordrecovery": "password reset",
    "recoverpassword": "password reset",
    "otp": "one-time code",
    "totp": "one-time code",
    "2fa": "one-time code",
    "mfa": "one-time code",
    "twofactor": "one-time code",
    "secondfactor": "one-time code",
    "magiclink": "magic link",
    "passwordless": "magic link",
}
# Words that may stand next to those terms in a path segment or handler name.
FILLERS = frozenset(
    {
        "log",
        "in",
        "sign",
        "up",
        "access",
        "auth",
        "password",
        "reset",
        "recover",
        "recovery",
        "request",
        "two",
        "factor",
        "second",
        "verify",
        "verification",
        "code",
        "magic",
        "link",
        "email",
        "phone",
        "sms",
        "user",
        "users",
        "account",
        "accounts",
        "new",
        "confirm",
        "send",
        "resend",
        "start",
        "complete",
        "challenge",
        "for",
        "with",
        "by",
        "jwt",
        "api",
        "submit",
        "create",
        "check",
        "validate",
        "local",
        "form",
        "oauth",
        "oauth2",
        "json",
        "post",
    }
)
# Categories an already logged-in caller cannot abuse much.
NEEDS_ANONYMOUS = frozenset({"log-in", "sign-up", "password reset", "magic link"})
CREDENTIAL_FORMS = ("OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict", "HTTPBasic")
LIMIT_NAME = re.compile(r"limit|throttl|slowapi", re.IGNORECASE)
MITIGATION_NAME = re.compile(
    r"limit|throttl|attempt|lockout|locked|captcha|turnstile|brute", re.IGNORECASE
)
VERSION = re.compile(r"^v[0-9]+$")
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
WORD = re.compile(r"[a-z0-9]+")
PATH_PARAM = re.compile(r"^{.*}$")
WRITES = frozenset({"POST", "PUT", "PATCH"})
ACCOUNT_WORDS = frozenset({"user", "account", "member", "customer", "profile"})
CREATE_WORDS = frozenset({"create", "register", "registration", "signup", "new", "in"})
CLIENT_INPUT = frozenset({"path", "query", "body", "form", "header", "cookie", "request"})


class MissingRateLimit(Rule):
    id = "SEC024"
    name = "missing-rate-limit"
    family = "security"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 307
    fix_title = "Rate-limit the endpoint (slowapi `@limiter.limit('5/minute')` or fastapi-limiter)."

    def check_project(self, context: Context) -> Iterable[Report]:
        covered = _covered_containers(context)
        seen: set[int] = set()
        categories = {id(route): credential_category(route) for route in context.routes.routes}
        # Without a route named for it, sign-up is the POST that creates an account from its
        # body; where one exists, other account-creating routes are administrative.
        named_sign_up = "sign-up" in categories.values()
        for route in context.routes.routes:
            decorator = route.operation.decorator
            if route.method not in WRITES or id(decorator) in seen or route.module.is_test:
                continue
            category = categories[id(route)]
            if category is None and not named_sign_up and route.method == "POST":
                category = "sign-up" if signs_up(route) else None
            if category is None or route.router in covered:
                continue
            if category in NEEDS_ANONYMOUS and _logged_in(route):
                continue
            if category == "one-time code" and not _takes_input(route):
                continue  # enrolling in 2FA or sending a code: there is nothing to guess
            if _limited(route):
                continue
            seen.add(id(decorator))
            yield Report(
                route.module,
                decorator,
                f"`{route.method} {route.path}` (`{route.handler.name}`) takes {category} "
                "attempts without rate limiting",
            )


def _words(text: str) -> list[str]:
    return WORD.findall(CAMEL.sub("_", text).lower())


def _singular(word: str) -> str:
    """``resets`` -> ``reset``; ``access`` and ``pass`` keep their s."""
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 else word


def _match(words: list[str], from_path: bool) -> str | None:
    """The category named by a phrase whose words are all sensitive terms or fillers.

    ``token`` names a log-in only as a path (``POST /token``): a handler called
    ``create_api_token`` issues tokens to a caller who is already logged in.
    """
    words = [_singular(word) for word in words]
    terms = set(words) | {a + b for a, b in itertools.pairwise(words)}
    if not from_path:
        terms.discard("token")
    found = [CATEGORIES[term] for term in sorted(terms) if term in CATEGORIES]
    if not found:
        return None
    known = FILLERS | CATEGORIES.keys()
    if all(word in known or VERSION.match(word) for word in words):
        return found[0]
    return None


def credential_category(route: Route) -> str | None:
    """What guessable secret a route takes: log-in, sign-up, password reset, one-time code..."""
    segments = [s for s in route.path.split("/") if s and not PATH_PARAM.match(s)]
    words = [_words(segment) for segment in segments[-2:]]
    if "refresh" in {word for group in words for word in group}:
        return None
    candidates = [words[-1], [w for group in words for w in group]] if words else []
    for phrase in candidates:
        category = _match(phrase, from_path=True)
        if category is not None:
            return category
    return _match(_words(route.handler.name), from_path=False)


def signs_up(route: Route) -> bool:
    """``POST /users`` with a ``UserCreate`` body: creating an account is how sign-up works."""
    for param in route.operation.params:
        schema = set(_words((param.type_name or "").rpartition(".")[2]))
        if param.source == "body" and schema & ACCOUNT_WORDS and schema & CREATE_WORDS:
            return True
    return False


def _logged_in(route: Route) -> bool:
    """Whether a dependency other than a credentials form authenticates the caller."""
    for dependency in route.all_dependencies:
        target = dependency.target or dependency.label
        if dependency.authenticates and not target.endswith(CREDENTIAL_FORMS):
            return True
    return False


def _takes_input(route: Route) -> bool:
    """Whether the client sends the route anything to check: parameters, or the raw request."""
    return any(param.source in CLIENT_INPUT for param in route.operation.params)


def _limited(route: Route) -> bool:
    handler = route.handler
    for decorator in handler.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        if LIMIT_NAME.search(ast.unparse(func)):
            return True
    for dependency in route.all_dependencies:
        for node in dependency.closure():
            if LIMIT_NAME.search(node.label) or LIMIT_NAME.search(node.target or ""):
                return True
    return _mentions_mitigation(handler)


def _mentions_mitigation(handler: Function) -> bool:
    """Whether the handler counts failed attempts, locks accounts or checks a captcha."""
    for node in walk(handler):
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value
        if name is not None and MITIGATION_NAME.search(name):
            return True
    return False


def _covered_containers(context: Context) -> set[str]:
    """Apps (and everything included in them) that install a rate-limiting middleware."""
    model = context.routes
    limited = {
        container.qualname
        for container in model.containers.values()
        if container.kind == "app" and _app_middleware_limits(container)
    }
    for module in context.project.modules:
        if module.is_test or not module.imports_any("fastapi", "starlette"):
            continue
        for call, owner in module.index.calls:
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "add_middleware"
                and call.args
                and LIMIT_NAME.search(ast.unparse(call.args[0]))
            ):
                found = model.container_for(module, func.value, owner)
                limited.update([found.qualname] if found is not None else [])
        for function in module.index.functions:
            for decorator in function.decorator_list:
                if (
                    LIMIT_NAME.search(function.name)
                    and isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "middleware"
                ):
                    owner = module.index.function_owner.get(id(function))
                    found = model.container_for(module, decorator.func.value, owner)
                    limited.update([found.qualname] if found is not None else [])
    covered: set[str] = set()
    stack = list(limited)
    while stack:
        name = stack.pop()
        if name in covered or name not in model.containers:
            continue
        covered.add(name)
        container = model.containers[name]
        stack.extend(child for child, _, _ in container.includes)
        stack.extend(child for _, child in container.mounts)
    return covered


def _app_middleware_limits(container: Container) -> bool:
    """``FastAPI(middleware=[Middleware(SlowAPIMiddleware), ...])``."""
    for keyword in container.node.keywords:
        if keyword.arg == "middleware" and isinstance(keyword.value, ast.List | ast.Tuple):
            for item in keyword.value.elts:
                if (
                    isinstance(item, ast.Call)
                    and item.args
                    and LIMIT_NAME.search(ast.unparse(item.args[0]))
                ):
                    return True
    return False
