"""
## What it does
Finds secrets compared with `==` or `!=`: signatures, digests, HMACs, API keys, tokens,
client secrets, one-time codes, CSRF tokens and passwords (judged by the name of the
variable, attribute, header or cookie) compared with another variable or with a hard-coded
key, such as `if api_key != settings.API_KEY:` or `if signature == expected:`.

## Why is this bad?
`==` on strings stops at the first differing character, so the time a comparison takes
tells an attacker how much of a guess was right. Measured over many requests, this recovers
an API key or a valid signature one character at a time (CWE-208).

## Known problems
Secrets are recognised by name, so a secret held in a variable called `value` is missed,
and a name such as `session_token` that holds something public is reported. A literal
written in place is reported only when it looks like a key (eight characters or more, no
spaces, with a digit, `-` or `_`, as in `x_token != "fake-super-secret-token"`), which leaves
out words such as `"bearer"` and placeholder checks such as `secret_key == "changethis"`; a
secret kept in a module-level constant is always reported. Token names are ignored in
modules that import a text tokenizer (`transformers`, `nltk`, `spacy`, ...). Comparing a
password with its confirmation or a secret with its previous value is not reported, nor are
SQLAlchemy column expressions (`Token.value == token`) and enum members. A comparison in a
function that the project calls only from code no request runs (a queue worker reconciling
a payment processor's object with a stored copy) cannot be timed by a client and is not
reported.

## Example
```python
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import APIKeyHeader

app = FastAPI()
API_KEY = "loaded-from-the-environment"


def require_api_key(api_key: str = Depends(APIKeyHeader(name="X-API-Key"))) -> None:
    if api_key != API_KEY:
        raise HTTPException(status_code=403)
```

## Use instead
```python
import secrets

from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import APIKeyHeader

app = FastAPI()
API_KEY = "loaded-from-the-environment"


def require_api_key(api_key: str = Depends(APIKeyHeader(name="X-API-Key"))) -> None:
    if not secrets.compare_digest(api_key.encode(), API_KEY.encode()):
        raise HTTPException(status_code=403)
```

## Fix safety
No automatic fix: `compare_digest` needs both values of the same type (`str` with ASCII only,
or `bytes`), which depends on the code around the comparison.

## References
- https://cwe.mitre.org/data/definitions/208.html
- https://docs.python.org/3/library/secrets.html#secrets.compare_digest
- https://docs.python.org/3/library/hmac.html#hmac.compare_digest
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from apismith.findings import Confidence, Severity
from apismith.project.module import Module
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

SECRET_WORDS = frozenset(
    {
        "signature",
        "signatures",
        "sig",
        "digest",
        "hmac",
        "secret",
        "otp",
        "totp",
        "csrf",
        "xsrf",
        "apikey",
        "passcode",
        "password",
        "passwd",
        "pwd",
    }
)
KEY_OWNERS = frozenset(
    {"api", "secret", "access", "private", "signing", "webhook", "auth", "master", "admin"}
)
CODE_OWNERS = frozenset(
    {"otp", "totp", "mfa", "2fa", "verification", "verify", "reset", "confirmation", "sms"}
)
NOT_SECRET_TOKENS = frozenset(
    {
        "eos",
        "bos",
        "pad",
        "unk",
        "sep",
        "cls",
        "mask",
        "start",
        "end",
        "special",
        "next",
        "prev",
        "previous",
        "page",
        "continuation",
        "cursor",
        "pagination",
        "sync",
        "stop",
    }
)
PASSWORDS = frozenset({"password", "passwd", "pwd"})
# A value compared with its confirmation, its previous version or its hash is not being guessed.
NOT_GUESSED = frozenset(
    {"confirm", "confirmation", "confirmed", "repeat", "repeated", "again", "retype", "new", "old"}
    | {"existing", "previous", "prev", "hash", "hashed", "match", "matches"}
)
# Functions that compare two submitted values, or objects: `passwords_match`, `__eq__`.
NOT_GUESSING_FUNCTIONS = frozenset(
    {"match", "matches", "confirm", "confirmation", "confirmed", "repeat", "retype", "eq", "ne"}
)
ENUM_BASES = ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag")
CLASS_NAME = re.compile(r"^_?[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$")
TOKENIZERS = (
    "transformers",
    "tokenizers",
    "nltk",
    "spacy",
    "tiktoken",
    "sentencepiece",
    "tokenize",
)
NOT_NAMES = frozenset({"hexdigest", "digest", "len", "type", "id", "isinstance", "bool"})
PLACEHOLDER = re.compile(r"change|your|example|placeholder|dummy|xxx|<", re.IGNORECASE)
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
SEGMENT = re.compile(r"[a-z]+|[0-9]+")


class NonConstantTimeComparison(Rule):
    id = "SEC020"
    name = "non-constant-time-comparison"
    family = "security"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 208
    fix_title = "Compare secrets with `secrets.compare_digest(a, b)` (or `hmac.compare_digest`)."
    shares = "blocking"
    requires = ()

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        tokens_are_text = module.imports_any(*TOKENIZERS)
        built: set[int] | None = None  # the module's query filters, found at the first secret
        for compare, function in module.index.compares:
            where = f" in `{function.name}`" if function is not None else ""
            if function is not None and NOT_GUESSING_FUNCTIONS & set(_segments(function.name)):
                continue
            left = compare.left
            for op, right in zip(compare.ops, compare.comparators, strict=True):
                secret = None
                if isinstance(op, ast.Eq | ast.NotEq):
                    secret = _secret_side(context, module, left, right, tokens_are_text)
                if secret is not None:
                    if built is None:
                        built = _query_arguments(module)
                    if id(compare) in built:
                        break  # a query filter: the database compares, not Python
                    if not context.outside_requests(function):
                        symbol = "==" if isinstance(op, ast.Eq) else "!="
                        yield Report(
                            module,
                            compare,
                            f"`{ast.unparse(left)} {symbol} {ast.unparse(right)}`{where} "
                            f"compares the secret `{secret}` in variable time",
                        )
                        break
                left = right


def _query_arguments(module: Module) -> set[int]:
    """Comparisons passed to a call: SQLAlchemy filters (``.where(Token.value == token)``)."""
    found: set[int] = set()
    for call, _ in module.index.calls:
        stack: list[ast.expr] = [*call.args, *(k.value for k in call.keywords)]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Compare):
                found.add(id(node))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
                stack.extend((node.left, node.right))
    return found


def _secret_side(
    context: Context, module: Module, left: ast.expr, right: ast.expr, tokens_are_text: bool
) -> str | None:
    """The name of the secret when one side is secret-like and the other side is a value."""
    names = (_name(left), _name(right))
    segments = [_segments(name) for name in names]
    if not any(_is_secret(parts, tokens_are_text) for parts in segments):
        return None  # the common case, settled before resolving any name
    if any(NOT_GUESSED & set(parts) for parts in segments) or (
        all(PASSWORDS & set(parts) for parts in segments)
        and any(part.isdigit() for parts in segments for part in parts)
    ):
        return None
    if _is_class_member(context, module, left) or _is_class_member(context, module, right):
        return None
    sides = ((left, right, names[0], segments[0]), (right, left, names[1], segments[1]))
    for secret, other, name, parts in sides:
        if name is None or not _is_secret(parts, tokens_are_text):
            continue
        if _is_fixed(module, other) or _mentions(other, secret):
            return None
        return name
    return None


def _is_class_member(context: Context, module: Module, node: ast.expr) -> bool:
    """``Model.column`` or ``Enum.member``: a query expression or a label, not a secret value.

    Attributes of a plain class of the project (``Config.API_KEY``) are values; a class that
    cannot be resolved is judged by its CapWords name.
    """
    if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
        return False
    project = context.project
    qualname = project.resolve(module, node.value)
    found = project.lookup(qualname) if qualname is not None else None
    if found is None:
        return bool(CLASS_NAME.match(node.value.id))
    owner, definition = found
    if not isinstance(definition, ast.ClassDef):
        return False
    info = context.classes.get(qualname)
    return (info is not None and info.kind == "orm") or any(
        (project.resolve(owner, base) or "").endswith(ENUM_BASES) for base in definition.bases
    )


def _name(node: ast.expr) -> str | None:
    """The identifier a value is known by: variable, attribute, header or cookie key, callee."""
    if isinstance(node, ast.Await):
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        key = node.slice
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get" and node.args:
            key = node.args[0]
            return (
                key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
            )
        callee = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        return callee if callee not in NOT_NAMES else None
    return None


def _segments(name: str | None) -> list[str]:
    if not name:
        return []
    return SEGMENT.findall(CAMEL.sub("_", name).lower())


def _is_secret(parts: list[str], tokens_are_text: bool) -> bool:
    while parts and parts[-1].isdigit():
        parts = parts[:-1]
    if not parts:
        return False
    last, before = parts[-1], set(parts[:-1])
    if last in SECRET_WORDS:
        return True
    if last in {"token", "tokens"}:
        return not tokens_are_text and not before & NOT_SECRET_TOKENS
    if last == "key":
        return bool(before & KEY_OWNERS)
    if last == "code":
        return bool(before & CODE_OWNERS)
    return False


def _is_fixed(module: Module, node: ast.expr) -> bool:
    """Literals, containers, lengths and types: values that are not another secret."""
    if isinstance(node, ast.Constant):
        return not _looks_like_key(node.value)
    if isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
        return True
    if isinstance(node, ast.JoinedStr):
        return not any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.UnaryOp):
        return _is_fixed(module, node.operand)
    if isinstance(node, ast.Name):
        value = module.bindings.get(node.id)
        return isinstance(value, ast.Constant) and not isinstance(value.value, str | bytes)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in NOT_NAMES
    return False


def _looks_like_key(value: object) -> bool:
    """A hard-coded key (``"fake-super-secret-token"``), not a word or a placeholder."""
    return (
        isinstance(value, str)
        and len(value) >= 8
        and not any(char.isspace() for char in value)
        and any(char.isdigit() or char in "-_" for char in value)
        and not PLACEHOLDER.search(value)
    )


def _mentions(node: ast.expr, secret: ast.expr) -> bool:
    """Whether ``node`` is computed from ``secret`` itself (``password == password.lower()``)."""
    wanted = ast.dump(secret)
    return any(ast.dump(inner) == wanted for inner in walk(node) if isinstance(inner, ast.expr))
