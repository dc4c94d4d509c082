"""
## What it does
Finds MD5 and SHA-1 used for security: `hashlib.md5`, `hashlib.sha1`, `hashlib.new("md5")`,
PyCryptodome's `MD5.new` / `SHA1.new` and `cryptography`'s `hashes.MD5()` / `hashes.SHA1()`,
when what is hashed, what the digest is stored in or the enclosing function speaks of tokens,
signatures, secrets, keys, sessions, passwords, nonces or authentication.

## Why is this bad?
MD5 and SHA-1 collisions can be computed cheaply, and both are fast enough to brute-force
short inputs: signatures can be forged and digests of secrets reversed (CWE-328).

## Known problems
Whether a digest is used for security is judged by names, so a digest of a secret held in a
variable called `data` is missed. Digests stored in names such as `etag`, `cache_key` or
`checksum`, computed in functions named that way, of file contents, or with
`usedforsecurity=False`, are not reported. Password hashing is also reported by SEC016.

## Example
```python
import hashlib
import time


def make_reset_token(email: str) -> str:
    return hashlib.md5(f"{email}{time.time()}".encode()).hexdigest()
```

## Use instead
```python
import secrets


def make_reset_token(email: str) -> str:
    return secrets.token_urlsafe(32)
```

## Fix safety
No automatic fix: stored digests must be migrated, and a token should come from `secrets`
rather than from a hash.

## References
- https://cwe.mitre.org/data/definitions/328.html
- https://docs.python.org/3/library/hashlib.html#hashlib.new
- https://cheatsheetseries.owasp.org/cheatsheets/Cryptographic_Storage_Cheat_Sheet.html
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from itertools import pairwise

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.security._access import words

WEAK = frozenset(
    {
        "hashlib.md5",
        "hashlib.sha1",
        "Crypto.Hash.MD5.new",
        "Crypto.Hash.SHA1.new",
        "Crypto.Hash.SHA.new",
        "Cryptodome.Hash.MD5.new",
        "Cryptodome.Hash.SHA1.new",
        "cryptography.hazmat.primitives.hashes.MD5",
        "cryptography.hazmat.primitives.hashes.SHA1",
    }
)
WEAK_NAMES = frozenset({"md5", "sha1", "sha-1", "md4"})
CALLED = frozenset({"md5", "sha1", "sha", "new"})
SECURITY = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "token",
        "secret",
        "signature",
        "sign",
        "signed",
        "sig",
        "hmac",
        "auth",
        "authenticate",
        "authentication",
        "session",
        "sid",
        "apikey",
        "otp",
        "nonce",
        "salt",
        "credential",
        "credentials",
        "verify",
        "verification",
        "reset",
        "csrf",
        "login",
    }
)
KEY_QUALIFIERS = frozenset(
    {"api", "secret", "private", "signing", "access", "auth", "session", "encryption"}
)
NOT_SECURITY = frozenset(
    {
        "etag",
        "cache",
        "cached",
        "checksum",
        "fingerprint",
        "file",
        "content",
        "contents",
        "dedup",
        "dedupe",
        "shard",
        "bucket",
        "partition",
        "gravatar",
        "avatar",
        "color",
        "colour",
        "seed",
        "filename",
        "path",
        "url",
        "uuid",
        "slug",
        "lock",
        "chunk",
    }
)
FILE_READS = frozenset({"read", "read_bytes", "read_text", "getvalue"})


def security_context(names: Iterable[str]) -> bool | None:
    """True when the names speak of security, False when they speak of caching, else None."""
    verdict: bool | None = None
    for name in names:
        found = words(name)
        if set(found) & NOT_SECURITY:
            return False
        pairs = set(pairwise(found))
        if set(found) & SECURITY or any(a in KEY_QUALIFIERS and b == "key" for a, b in pairs):
            verdict = True
    return verdict


class WeakHash(Rule):
    id = "SEC015"
    name = "weak-hash"
    family = "security"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 328
    fix_title = "Use SHA-256 or stronger (`hashlib.sha256`), or HMAC-SHA-256 for signatures."
    requires = ()
    scope = "file"

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        project = context.project
        parents: dict[int, ast.AST] | None = None
        for call, function in module.index.calls:
            func = call.func
            short = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if short.lower() not in CALLED and not (
                isinstance(func, ast.Name) and func.id in module.imports
            ):
                continue
            scope = project.scope(function) if function is not None else None
            callee = project.resolve(module, call.func, scope) or ""
            algorithm = _weak_algorithm(callee, call)
            if algorithm is None or _not_for_security(call):
                continue
            parents = parents or _parents(module.tree)
            evidence = (
                _targets(call, parents),
                _argument_names(call),
                [function.name] if function is not None else [],
                [module.name.rpartition(".")[2]],
            )
            decided: bool | None = None
            for names in evidence:
                decided = security_context(names)
                if decided is not None:
                    break
            if decided:
                where = f" in `{function.name}`" if function is not None else ""
                yield Report(
                    module,
                    call,
                    f"`{ast.unparse(call.func)}`{where} uses {algorithm} on security data",
                )


def _weak_algorithm(callee: str, call: ast.Call) -> str | None:
    if callee in WEAK:
        return "SHA-1" if "SHA" in callee.upper().rpartition(".")[2] else "MD5"
    if callee == "hashlib.new" and call.args:
        first = call.args[0]
        if isinstance(first, ast.Constant) and str(first.value).lower() in WEAK_NAMES:
            return str(first.value).upper()
    return None


def _not_for_security(call: ast.Call) -> bool:
    """``usedforsecurity=False``, or a digest of file contents."""
    for keyword in call.keywords:
        if keyword.arg == "usedforsecurity":
            return isinstance(keyword.value, ast.Constant) and keyword.value.value is False
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in FILE_READS
        for argument in call.args
        for node in walk(argument)
    )


def _parents(tree: ast.Module) -> dict[int, ast.AST]:
    return {id(child): node for node in walk(tree) for child in ast.iter_child_nodes(node)}


def _targets(call: ast.Call, parents: dict[int, ast.AST]) -> list[str]:
    """Names the call's result is bound to: assignment targets, keywords, dict keys."""
    node: ast.AST = call
    while id(node) in parents:
        parent = parents[id(node)]
        if isinstance(parent, ast.keyword) and parent.arg:
            return [parent.arg]
        if isinstance(parent, ast.Dict):
            index = next((i for i, v in enumerate(parent.values) if v is node), None)
            key = parent.keys[index] if index is not None else None
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return [key.value]
        if isinstance(parent, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            return [ast.unparse(t) for t in targets]
        if isinstance(parent, ast.stmt | Function):
            return []
        node = parent
    return []


def _argument_names(call: ast.Call) -> list[str]:
    """Names and attributes read by the call's arguments."""
    found: list[str] = []
    for argument in call.args:
        for node in walk(argument):
            if isinstance(node, ast.Name):
                found.append(node.id)
            elif isinstance(node, ast.Attribute) and node.attr not in {"encode", "decode"}:
                found.append(node.attr)
    return found
