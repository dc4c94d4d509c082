"""
## What it does
Finds secrets written into the source: string literals assigned to names, attributes,
keyword arguments, parameter defaults and settings fields named like a secret
(`SECRET_KEY`, `jwt_secret`, `api_key`, `password`, `token`, `private_key`, `client_secret`,
`access_key`, `signing_key`, ...), the same keys in dict literals, literal keys passed to
`jwt.encode` / `jwt.decode`, literal defaults of `os.getenv("SECRET_KEY", "...")` and
`os.environ.get(...)`, and secret-named values compared with a literal
(`credentials.password == "letmein"`). Whatever the name, a provider's live key
(`sk_live_...`, `AKIA...`, `ghp_...`) and a connection URL with a password for a host that is
not local (`"postgresql://app:pw@db.internal/app"`, also passed straight to `create_engine`)
are reported.

## Why is this bad?
Whoever can read the repository, an image or a wheel can sign tokens, call the third-party
API or log in with the credential; and a secret in version control stays in its history after
it is rotated out of the code (CWE-798). A default in a settings class is used in every
deployment that forgets to override it.

## Known problems
Secrets are recognised by the name they are bound to. Values that cannot be secrets are left
out: empty and very short strings, placeholders (`<...>`, `${...}`, `{{...}}`, `xxxx`),
environment-variable and header names (`"SECRET_KEY"`, `"X-API-Key"`), the name of a field
(`password_field = "password"`; but a signing key set to a word, `SECRET_KEY = "secret"`,
is reported), format fields (`"{token}"`), URLs without credentials,
file paths, `Enum` members, and example values in `json_schema_extra` / `examples`.
Modules under `docs/`, `fixtures/` or `mocks/`, seed scripts and tests are not reviewed.
Weak defaults such as `"changeme"` are reported: they work until someone overrides them.
Defaults of pydantic-settings fields are reported (with low confidence) only for signing keys
and the application's own credentials (admin passwords, and keys the project compares requests
with, `x_api_key != settings.API_KEY`): a forgotten override of a database password
fails to connect, a forgotten signing key lets anyone forge tokens; a provider's live key
(`sk_live_...`, `AKIA...`, `ghp_...`) is reported as a default too. Placeholder values
(`"dummy"`, `"fake"`, `"example"`, `"...-valid"`) are not reported.

## Example
```python
import jwt

SECRET_KEY = "3f6c1a9e0b7d4c28a5e19f0d7b3c6a2e"


def create_token(user_id: int) -> str:
    return jwt.encode({"sub": str(user_id)}, SECRET_KEY, algorithm="HS256")
```

## Use instead
```python
import os

import jwt

SECRET_KEY = os.environ["SECRET_KEY"]


def create_token(user_id: int) -> str:
    return jwt.encode({"sub": str(user_id)}, SECRET_KEY, algorithm="HS256")
```

## Fix safety
No automatic fix: the secret must be moved to the environment or a secret store, and rotated
since it has been exposed.

## References
- https://cwe.mitre.org/data/definitions/798.html
- https://docs.pydantic.dev/latest/concepts/pydantic_settings/
- https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from typing import TypeGuard

from apismith.findings import Confidence, Severity
from apismith.project.module import Module
from apismith.project.project import last_name
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

SECRET_NAME = re.compile(
    r"(^|_)(secret|secret_key|jwt_secret(_key)?|api_?key|apikey|password|passwd|pwd|passphrase"
    r"|token|access_token|auth_token|api_token|bearer_token|refresh_token|private_key"
    r"|client_secret|access_key|secret_access_key|auth_key|signing_key|encryption_key|jwt_key"
    r"|hmac_key|master_key)$"
)
SECRET_WORDS = (
    "secret",
    "passw",
    "passphrase",
    "pwd",
    "token",
    "apikey",
    "api_key",
    "privatekey",
    "private_key",
    "accesskey",
    "access_key",
    "authkey",
    "auth_key",
    "signing",
    "jwt",
)
# Settings whose default, left in production, lets anyone forge tokens or log in as an admin.
SIGNING_KEY = re.compile(r"secret_?key|secret$|jwt|signing|admin|superuser|root", re.I)
# Values that are a provider's live credential whatever they are bound to.
PROVIDER_TOKEN = re.compile(
    r"^(sk|rk)_live_[0-9A-Za-z]{16,}$|^AKIA[0-9A-Z]{16}$|^gh[pousr]_[0-9A-Za-z]{30,}$"
    r"|^xox[abposr]-[0-9A-Za-z-]{10,}$|^SG\.[\w-]{16,}\.[\w-]{16,}$|^AIza[\w-]{35}$"
)
WORDY_NAMES = re.compile(r"(password|passwd|pwd|passphrase|token)$")
PLACEHOLDER = re.compile(
    r"^<.*>$|\$\{.*\}|\{\{.*\}\}|\{[A-Za-z_][A-Za-z0-9_]*\}|^%\(.*\)s$|^\$[A-Za-z_]+$"
    r"|^([xX*.#_-])\1*$|^\.\.\.$|^\[.*\]$|^\(.*\)$"
)
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]+$")
HEADER_NAME = re.compile(r"^X-[A-Za-z0-9-]+$", re.IGNORECASE)
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
URL_CREDENTIALS = re.compile(r"://[^/@\s:]+:[^/@\s]+@")
URL_PASSWORD = re.compile(
    r"^[a-z][a-z0-9+.-]*://(?P<user>[^/@\s:]*):(?P<password>[^/@\s]+)@(?P<host>[^/:?\s]+)",
    re.IGNORECASE,
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1"})
FILE = re.compile(r"\.(pem|key|crt|cer|json|txt|p12|pfx|env|ya?ml|der)$|^(/|\./|\.\./|~/)")
NOT_SECRETS = frozenset(
    {
        "true",
        "false",
        "none",
        "null",
        "bearer",
        "basic",
        "string",
        "test",
        "testing",
        "dummy",
        "example",
        "sample",
        "fake",
        "mock",
        "foo",
        "bar",
        "foobar",
        "todo",
        "fixme",
        "redacted",
        "hidden",
        "masked",
        "omitted",
        "filtered",
    }
)
PLACEHOLDER_WORDS = re.compile(
    r"dummy|fake|example|sample|placeholder|(^|[^a-z])valid$|^xoxb-?valid"
)
SKIPPED_PATHS = re.compile(
    r"(^|/)(docs?|docs_src|documentation|seeds?|fixtures|factories|mocks?)/"
    r"|(^|/|_)seeds?(_[^/]*)?\.py$"
)
ENUMS = frozenset({"enum.Enum", "enum.StrEnum", "enum.IntEnum", "enum.Flag", "enum.IntFlag"})
EXAMPLE_KEYS = frozenset(
    {"example", "examples", "json_schema_extra", "schema_extra", "openapi_examples"}
)
ENV_READERS = frozenset(
    {
        "os.getenv",
        "os.environ.get",
        "os.environ.setdefault",
        "decouple.config",
        "starlette.config.Config",
        "environs.Env",
    }
)
JWT_CALLS = ("jwt.encode", "jwt.decode", "jwt.api_jwt.encode", "jwt.api_jwt.decode")
RESOLVED_CALLS = frozenset({"encode", "decode", "getenv", "get", "setdefault", "Config", "Env"})
FIELD_CALLS = frozenset({"pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field"})
CONFIG_OWNERS = re.compile(r"settings|config|conf|env", re.IGNORECASE)


def secret_name(name: str) -> bool:
    """Whether an identifier names a secret (``SECRET_KEY``, ``apiKey``, ``db_password``)."""
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().strip("_")
    return bool(SECRET_NAME.search(snake))


def secret_value(value: str, name: str) -> bool:
    """Whether a literal bound to ``name`` can be a real secret rather than a label or key."""
    text = value.strip()
    normal = re.sub(r"[-_ ]", "", text.lower())
    if (
        len(text) < 4
        or PLACEHOLDER.search(text)
        or ENV_NAME.match(text)
        or HEADER_NAME.match(text)
        or FILE.search(text)
        or normal in NOT_SECRETS
        or PLACEHOLDER_WORDS.search(normal)
        or normal == re.sub(r"[-_ ]", "", name.lower())
        or (secret_name(text) and not SIGNING_KEY.search(name))
    ):
        return False
    if URL.match(text):
        return bool(URL_CREDENTIALS.search(text))
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return not (WORDY_NAMES.search(snake) and any(c.isspace() for c in text))


def mentions_secret(source: str) -> bool:
    """Whether a file mentions a secret-like word at all (plain substring tests: fast)."""
    text = source.lower()
    return any(word in text for word in SECRET_WORDS)


class HardcodedSecret(Rule):
    id = "SEC014"
    name = "hardcoded-secret"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 798
    fix_title = "Read the secret from the environment or a secret store, and rotate it."
    requires = ()

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        if SKIPPED_PATHS.search(module.relpath):
            return
        examples: set[int] | None = None
        reported: set[int] = set()
        for report in self._reports(module, context):
            literal = id(report.node)
            if examples is None:
                examples = _example_nodes(module.tree) | _enum_members(context, module)
            if literal in examples or literal in reported:
                continue
            reported.add(literal)
            yield report

    def applies(self, module: Module) -> bool:
        """Cheap guard: a file that never mentions a secret-like word has nothing to report."""
        return mentions_secret(module.source)

    def _reports(self, module: Module, context: Context) -> Iterator[Report]:
        project = context.project
        defaults = {
            id(statement)
            for node in module.index.classes
            if (info := context.classes.get(f"{module.name}.{node.name}")) is not None
            and info.kind == "settings"
            for statement in node.body
        }
        index = module.index
        for assignment, _ in index.assigns:
            yield from _assignment(context, module, assignment, id(assignment) in defaults)
        for call, _ in index.calls:
            short = last_name(call.func)
            known = short in RESOLVED_CALLS or short.endswith("config")
            callee = (project.resolve(module, call.func) or "") if known else ""
            yield from _call(module, call, callee)
        for literal in index.dicts:
            for key, value in zip(literal.keys, literal.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and isinstance(key.value, str)
                    and _literal_secret(value, key.value)
                ):
                    yield Report(module, value, f"dict key `{key.value}` holds a hardcoded secret")
        for function in index.functions:
            yield from _defaults(module, function)
        for comparison, _ in index.compares:
            yield from _comparison(module, comparison)


def _literal_secret(node: ast.expr | None, name: str) -> TypeGuard[ast.Constant]:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and secret_name(name)
        and secret_value(node.value, name)
    )


def _checked_settings(context: Context) -> set[str]:
    """Attributes the project compares client input with (``key != settings.API_KEY``,
    ``compare_digest(token, settings.service_token)``): credentials of the service itself,
    whose default lets anyone in when a deployment forgets to override it."""
    return context.shared(_checked_settings, lambda: _compared_attributes(context))


def _compared_attributes(context: Context) -> set[str]:
    found: set[str] = set()
    for module in context.project.modules:
        if module.is_test or not mentions_secret(module.source):
            continue
        for compare, _ in module.index.compares:
            if all(isinstance(op, ast.Eq | ast.NotEq) for op in compare.ops):
                operands = [compare.left, *compare.comparators]
                found |= {o.attr for o in operands if isinstance(o, ast.Attribute)}
        for call, _ in module.index.calls:
            if last_name(call.func) == "compare_digest":
                found |= {a.attr for a in call.args if isinstance(a, ast.Attribute)}
    return found


def _unnamed_secret(node: ast.expr | None) -> str | None:
    """A secret recognisable by its value alone, whatever its name: a provider's live key
    (``sk_live_...``, ``AKIA...``) or a URL carrying a password for a host that is not local."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    text = node.value.strip()
    if PROVIDER_TOKEN.match(text):
        return "a hardcoded provider key"
    found = URL_PASSWORD.match(text)
    if found is None:
        return None
    user, password, host = found.group("user", "password", "host")
    if (
        password.lower() == user.lower()
        or host.lower() in LOCAL_HOSTS
        or not secret_value(password, "password")
    ):
        return None
    return "a URL with a hardcoded password"


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return None


def _assignment(
    context: Context, module: Module, node: ast.Assign | ast.AnnAssign, setting: bool
) -> Iterator[Report]:
    """``SECRET_KEY = "..."``, ``jwt_secret: str = Field(default="...")``, ``getenv`` defaults."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    value = node.value
    if (
        isinstance(value, ast.Call)
        and last_name(value.func) == "Field"
        and context.project.resolve(module, value.func) in FIELD_CALLS
    ):
        value = next((k.value for k in value.keywords if k.arg == "default"), None) or (
            value.args[0] if value.args else None
        )
    fallback = False
    if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
        # ``os.environ.get("KEY") or "..."``: the literal is what runs when the variable is unset
        value, fallback = value.values[-1], True
    for target in targets:
        name = _target_name(target)
        if name is not None and not secret_name(name) and not setting:
            found = _unnamed_secret(value)
            if found is not None and value is not None:
                yield Report(module, value, f"`{ast.unparse(target)}` holds {found}")
                continue
        if name is not None and _literal_secret(value, name):
            if setting and not (
                SIGNING_KEY.search(name)
                or PROVIDER_TOKEN.match(str(value.value))
                or name in _checked_settings(context)
            ):
                continue  # a dev default for a backing service fails closed when not overridden
            if setting:
                yield Report(
                    module,
                    value,
                    f"setting `{ast.unparse(target)}` defaults to a hardcoded secret",
                    confidence=Confidence.LOW,
                )
            else:
                verb = "falls back to" if fallback else "is assigned"
                yield Report(module, value, f"`{ast.unparse(target)}` {verb} a hardcoded secret")


def _call(module: Module, call: ast.Call, callee: str) -> Iterator[Report]:
    """Secret-named keyword arguments, ``jwt.encode`` keys, environment-reader defaults and
    connection URLs with a password (``create_engine("postgresql://app:pw@db/app")``)."""
    # A settings field's default (``Field("postgresql://...")``) is judged with its field.
    found = _unnamed_secret(call.args[0]) if call.args and last_name(call.func) != "Field" else None
    if found is not None:
        yield Report(module, call.args[0], f"`{ast.unparse(call.func)}` is given {found}")
    for keyword in call.keywords:
        if keyword.arg is not None and _literal_secret(keyword.value, keyword.arg):
            yield Report(module, keyword.value, f"`{keyword.arg}=` is passed a hardcoded secret")
    if callee.endswith(JWT_CALLS) and not callee.startswith("jwt.api_jws"):
        key = call.args[1] if len(call.args) > 1 else None
        key = key or next((k.value for k in call.keywords if k.arg == "key"), None)
        if _literal_secret(key, "signing_key"):
            verb = callee.rpartition(".")[2]
            yield Report(module, key, f"`{ast.unparse(call.func)}` {verb}s with a hardcoded key")
    if callee in ENV_READERS or callee.endswith(".config"):
        variable = call.args[0] if call.args else None
        default = call.args[1] if len(call.args) > 1 else None
        default = default or next((k.value for k in call.keywords if k.arg == "default"), None)
        if (
            isinstance(variable, ast.Constant)
            and isinstance(variable.value, str)
            and _literal_secret(default, variable.value)
        ):
            yield Report(
                module,
                default,
                f"`{variable.value}` falls back to a hardcoded secret when it is not set",
            )


def _defaults(module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[Report]:
    """``def connect(password: str = "...")``."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    pairs = list(
        zip(
            positional[len(positional) - len(arguments.defaults) :], arguments.defaults, strict=True
        )
    )
    pairs += [
        (a, d)
        for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
        if d is not None
    ]
    for argument, default in pairs:
        if _literal_secret(default, argument.arg):
            yield Report(
                module,
                default,
                f"parameter `{argument.arg}` of `{function.name}` defaults to a hardcoded secret",
            )


def _comparison(module: Module, node: ast.Compare) -> Iterator[Report]:
    """``credentials.password == "letmein"``: a credential checked against a literal."""
    if not all(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
        return
    sides = [node.left, *node.comparators]
    for side, other in ((sides[0], sides[-1]), (sides[-1], sides[0])):
        name = _target_name(side)
        owner = side.value if isinstance(side, ast.Attribute) else None
        if owner is not None and CONFIG_OWNERS.search(ast.unparse(owner)):
            continue
        if name is not None and _literal_secret(other, name):
            yield Report(
                module, other, f"`{ast.unparse(side)}` is compared with a hardcoded secret"
            )


def _example_nodes(tree: ast.Module) -> set[int]:
    """Nodes inside OpenAPI examples (``json_schema_extra``, ``examples=``), not real secrets."""
    found: set[int] = set()
    for node in walk(tree):
        inside: list[ast.AST] = []
        if isinstance(node, ast.keyword) and node.arg in EXAMPLE_KEYS:
            inside.append(node.value)
        elif isinstance(node, ast.Dict):
            inside += [
                value
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and key.value in EXAMPLE_KEYS
            ]
        elif isinstance(node, ast.Assign) and any(
            _target_name(t) in EXAMPLE_KEYS for t in node.targets
        ):
            inside.append(node.value)
        for item in inside:
            found |= {id(child) for child in walk(item)}
    return found


def _enum_members(context: Context, module: Module) -> set[int]:
    """Values of ``Enum`` members: names of things, not secrets."""
    found: set[int] = set()
    for node in module.index.classes:
        if any(context.project.resolve(module, base) in ENUMS for base in node.bases):
            for statement in node.body:
                if isinstance(statement, ast.Assign):
                    found |= {id(child) for child in walk(statement.value)}
    return found
