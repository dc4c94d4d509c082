"""
## What it does
Finds the `random` module (`random.random`, `randint`, `choice`, `choices`, `getrandbits`,
`randrange`, `sample`, `randbytes`, also on a `random.Random()` instance), `uuid.uuid1()` and
the clock hashed into a value (`hashlib.md5(f"{email}{time.time()}".encode())`) used to make
something that must be unguessable: a token, one-time or verification code, password,
secret, API key, nonce, salt, session id, CSRF token or reset link. The purpose is
read from the name the value is bound to (a variable, keyword argument or dict key) or, when
it is returned or used inline, from the name of the enclosing function.

## Why is this bad?
`random` is a Mersenne Twister: after 624 outputs its whole future is known, and its seed is
often guessable. `uuid1` is a timestamp and a MAC address. Whoever predicts the value takes
over the account it protects (CWE-330).

## Known problems
The purpose is judged by names: a token kept in a variable called `value` inside a function
called `make` is missed. Values bound to names such as `delay`, `jitter`, `backoff`, `sample`
or `weight` are not reported even inside a token function. `random.SystemRandom` and the
`secrets` module are not reported.

## Example
```python
import random
import string


def generate_reset_code() -> str:
    return "".join(random.choices(string.digits, k=6))
```

## Use instead
```python
import secrets
import string


def generate_reset_code() -> str:
    return "".join(secrets.choice(string.digits) for _ in range(6))
```

## Fix safety
No automatic fix is offered, although `secrets.choice`, `secrets.randbelow` and
`secrets.token_urlsafe` are drop-in for most uses.

## References
- https://cwe.mitre.org/data/definitions/330.html
- https://docs.python.org/3/library/random.html (see the warning at the top)
- https://docs.python.org/3/library/secrets.html
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from itertools import pairwise

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.project import Project, Scope, last_name
from apismith.project.walk import children, walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.security._access import words

FUNCTIONS = frozenset(
    {"random", "randint", "choice", "choices", "getrandbits", "randrange", "sample", "randbytes"}
)
RANDOM_CALLS = frozenset(
    {f"random.{name}" for name in FUNCTIONS}
    | {f"random.Random.{name}" for name in FUNCTIONS}
    | {"uuid.uuid1", "numpy.random.randint", "numpy.random.choice"}
)
# Clock readings: hashed into a token they make it look random while anyone can recompute it.
CLOCK_CALLS = frozenset(
    {
        "time.time",
        "time.time_ns",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
    }
)
CALLS = RANDOM_CALLS | CLOCK_CALLS
SECRET_WORDS = frozenset(
    {
        "token",
        "otp",
        "totp",
        "pin",
        "password",
        "passwd",
        "pwd",
        "secret",
        "nonce",
        "salt",
        "csrf",
        "apikey",
        "passcode",
        "passphrase",
        "credential",
        "credentials",
        "session",
        "sid",
        "sessionid",
        "reset",
        "verification",
        "activation",
        "invite",
        "invitation",
        "coupon",
        "voucher",
        "promo",
    }
)
KEY_QUALIFIERS = frozenset(
    {"api", "secret", "private", "signing", "access", "auth", "session", "encryption", "license"}
)
CODE_QUALIFIERS = frozenset(
    {
        "verification",
        "verify",
        "confirm",
        "confirmation",
        "otp",
        "auth",
        "reset",
        "sms",
        "email",
        "login",
        "mfa",
        "2fa",
        "twofa",
        "invite",
        "activation",
        "access",
        "security",
        "recovery",
        "backup",
        "generate",
        "gen",
        "make",
        "create",
        "new",
        "random",
    }
)
CHARSET_WORDS = frozenset(
    {
        "alphabet",
        "chars",
        "characters",
        "charset",
        "letters",
        "digits",
        "hexdigits",
        "symbols",
        "punctuation",
        "alnum",
        "alphanumeric",
        "uppercase",
        "lowercase",
        "printable",
    }
)
HARMLESS_WORDS = frozenset(
    {
        "delay",
        "sleep",
        "jitter",
        "backoff",
        "wait",
        "timeout",
        "retry",
        "retries",
        "interval",
        "sample",
        "samples",
        "shuffle",
        "weight",
        "weights",
        "index",
        "idx",
        "port",
        "color",
        "colour",
        "offset",
        "count",
        "size",
        "limit",
        "exp",
        "ttl",
        "temperature",
        "probability",
        "chance",
        "noise",
        "seed",
        "mock",
        "fake",
        "demo",
        "example",
        "request",
        "trace",
        "correlation",
        "span",
        "filename",
    }
)


def purpose(name: str) -> bool | None:
    """True for names of secrets, False for jitter, sampling and the like, None otherwise."""
    found = words(name)
    if set(found) & HARMLESS_WORDS:
        return False
    pairs = set(pairwise(found))
    if (
        set(found) & SECRET_WORDS
        or any(a in KEY_QUALIFIERS and b == "key" for a, b in pairs)
        or found in (["code"], ["codes"])
        or ("code" in found and set(found) & CODE_QUALIFIERS)
    ):
        return True
    return None


class InsecureRandomness(Rule):
    id = "SEC017"
    name = "insecure-randomness"
    family = "security"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 330
    fix_title = "Use the `secrets` module (`secrets.token_urlsafe`, `secrets.choice`)."
    requires = ()
    scope = "file"

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        project = context.project
        names = project.spellings(CALLS)
        parents_of: dict[int, dict[int, ast.AST]] = {}  # by function (0: the module)
        for call, function in module.index.calls:
            if last_name(call.func) not in names:
                continue  # cheap guard: no other call can resolve to one of ``CALLS``
            scope = project.scope(function) if function is not None else None
            callee = project.resolve(module, call.func, scope) or ""
            clock = callee in CLOCK_CALLS
            if not clock and (callee not in RANDOM_CALLS or not _makes_characters(call, callee)):
                continue
            key = id(function) if function is not None else 0
            parents = parents_of.get(key)
            if parents is None:
                parents = parents_of[key] = _parents(function or module.tree)
            if clock and not _hashed(project, module, call, parents, scope):
                continue
            target = _bound_name(call, parents)
            decided = purpose(target) if target is not None else None
            if (
                decided is None
                and function is not None
                and (target is None or _returned(function, target))
            ):
                decided = purpose(function.name)
                target = None
            if decided:
                what = f"`{target}`" if target else f"the value of `{_name(function)}`"
                yield Report(
                    module,
                    call,
                    f"`{ast.unparse(call.func)}` is predictable but makes {what}",
                )


def _parents(root: ast.AST) -> dict[int, ast.AST]:
    """The parent of every node below ``root``, by ``id``."""
    return {id(child): node for node in walk(root) for child in children(node)}


def _hashed(
    project: Project,
    module: Module,
    call: ast.Call,
    parents: dict[int, ast.AST],
    scope: Scope | None,
) -> bool:
    """Whether the clock reading is hashed into the value (``md5(f"{email}{time.time()}")``):
    the hash looks random but is as guessable as the time it was made."""
    node: ast.AST = call
    while id(node) in parents and not isinstance(node, ast.stmt):
        node = parents[id(node)]
        if isinstance(node, ast.Dict | ast.keyword):
            return False  # a claim or a field next to the value, not its seed
        if isinstance(node, ast.Call):
            name = project.resolve(module, node.func, scope) or ""
            if name.startswith("hashlib."):
                return True
    return False


def _makes_characters(call: ast.Call, callee: str) -> bool:
    """``choice``/``choices``/``sample`` draw characters or digits, not items of a list."""
    if callee.rpartition(".")[2] not in {"choice", "choices", "sample"}:
        return True
    population = call.args[0] if call.args else None
    if population is None:
        return False
    for node in walk(population):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return True
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "range":
            return True
        name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
        if isinstance(name, str) and set(words(name)) & CHARSET_WORDS:
            return True
    return False


def _returned(function: Function, name: str) -> bool:
    """Whether ``function`` returns something built from the local ``name``."""
    return any(
        isinstance(node, ast.Return)
        and node.value is not None
        and any(isinstance(n, ast.Name) and n.id == name for n in walk(node.value))
        for node in walk(function)
    )


def _name(function: Function | None) -> str:
    return function.name if function is not None else "<module>"


def _bound_name(call: ast.Call, parents: dict[int, ast.AST]) -> str | None:
    """The variable, attribute, keyword or dict key the call's value ends up in."""
    node: ast.AST = call
    while id(node) in parents:
        parent = parents[id(node)]
        if isinstance(parent, ast.keyword):
            if parent.arg:
                return parent.arg
        elif isinstance(parent, ast.Dict):
            index = next((i for i, v in enumerate(parent.values) if v is node), None)
            key = parent.keys[index] if index is not None else None
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return key.value
        elif isinstance(parent, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            names = [t.id if isinstance(t, ast.Name) else ast.unparse(t) for t in targets]
            return "_".join(names)
        elif isinstance(parent, ast.stmt):
            return None
        node = parent
    return None
