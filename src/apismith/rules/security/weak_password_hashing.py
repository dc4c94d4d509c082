"""
## What it does
Finds passwords hashed or stored in a way that does not resist guessing:

- a password (a name containing `password`, `passwd` or `pwd`, also a helper's parameter that
  callers pass a password to) given to a fast hash:
  `hashlib.md5/sha1/sha256/sha512(...)`, `hashlib.new(...)`, `.update(...)` of such a hash
  object, or a passlib scheme such as `md5_crypt.hash(...)`;
- a passlib `CryptContext` whose default scheme is weak (`md5_crypt`, `des_crypt`,
  `plaintext`, `ldap_md5`, `hex_md5`, ...), or that lists a weak scheme without marking the
  old ones `deprecated=`;
- a password stored as it was typed: an ORM model built with `password=body.password`,
  `Model(**body.model_dump())` with a `password` field, or `user.password = body.password`,
  where the model's column is called `password` (not `hashed_password`).

## Why is this bad?
Fast hashes are computed billions of times per second on a GPU, so a leaked table of MD5 or
SHA-256 password hashes is cracked in hours; plain text needs no cracking at all (CWE-916).

## Known problems
Passwords are recognised by name. Prefixes hashed with SHA-1 for the Have I Been Pwned range
API, and reset tokens whose name mentions a password, are not reported. A value counts as
hashed when it comes from any call, so `password=password.strip()` is missed.

## Example
```python
import hashlib


def hash_password(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()
```

## Use instead
```python
from passlib.context import CryptContext

pwd_context = CryptContext(schemes=["argon2", "bcrypt"], deprecated="auto")


def hash_password(password: str) -> str:
    return pwd_context.hash(password)
```

## Fix safety
No automatic fix: existing hashes must be migrated (verify with the old scheme once, then
re-hash with a slow one).

## References
- https://cwe.mitre.org/data/definitions/916.html
- https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
- https://passlib.readthedocs.io/en/stable/narr/context-tutorial.html#deprecation-hash-migration
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

from apismith.findings import Confidence, Severity
from apismith.project.module import Function, Module
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.security._access import words

FAST_HASHES = frozenset(
    {
        f"hashlib.{name}"
        for name in (
            "md5",
            "sha1",
            "sha224",
            "sha256",
            "sha384",
            "sha512",
            "sha3_224",
            "sha3_256",
            "sha3_384",
            "sha3_512",
            "blake2b",
            "blake2s",
            "new",
        )
    }
    | {f"{lib}.Hash.{name}.new" for lib in ("Crypto", "Cryptodome") for name in ("MD5", "SHA1")}
    | {
        f"{lib}.Hash.{name}.new"
        for lib in ("Crypto", "Cryptodome")
        for name in ("SHA256", "SHA512")
    }
)
WEAK_SCHEMES = frozenset(
    {
        "md5_crypt",
        "des_crypt",
        "bsdi_crypt",
        "bigcrypt",
        "crypt16",
        "plaintext",
        "ldap_plaintext",
        "ldap_md5",
        "ldap_salted_md5",
        "ldap_sha1",
        "ldap_salted_sha1",
        "ldap_hex_md5",
        "ldap_hex_sha1",
        "hex_md5",
        "hex_sha1",
        "hex_sha256",
        "hex_sha512",
        "lmhash",
        "nthash",
        "mysql323",
        "mysql41",
        "postgres_md5",
        "oracle10",
        "msdcc",
        "roundup_plaintext",
        "apr_md5_crypt",
    }
)
MENTIONS_PASSWORD = re.compile(r"passw|pwd|passphrase|passlib", re.IGNORECASE)
PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase"})
NOT_PASSWORD = frozenset(
    {
        "token",
        "reset",
        "hash",
        "hashed",
        "digest",
        "encrypted",
        "crypted",
        "changed",
        "updated",
        "at",
        "expires",
        "length",
        "policy",
        "version",
    }
)
BREACH_CHECKS = frozenset({"pwned", "hibp", "breach", "breached", "leak", "leaked", "compromised"})
PASSWORD_COLUMNS = frozenset({"password", "passwd", "pwd", "user_password"})
DUMPS = frozenset({"dict", "model_dump"})


def is_password(name: str) -> bool:
    """``password``, ``raw_password``, ``form.passwd``; not ``password_reset_token``."""
    found = set(words(name))
    return bool(found & PASSWORD_WORDS) and not found & NOT_PASSWORD


class WeakPasswordHashing(Rule):
    id = "SEC016"
    name = "weak-password-hashing"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 916
    fix_title = "Hash passwords with a slow, salted KDF: argon2, bcrypt, scrypt or PBKDF2."
    requires = ()

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        fed = _password_parameters(context)
        if not MENTIONS_PASSWORD.search(module.source) and not any(
            id(function) in fed for function in module.index.functions
        ):
            return
        project = context.project
        for call, function in module.index.calls:
            scope = project.scope(function) if function is not None else None
            callee = project.resolve(module, call.func, scope) or ""
            where = f" in `{function.name}`" if function is not None else ""
            if callee.endswith("CryptContext"):
                weak = _weak_context(call)
                if weak is not None:
                    yield Report(
                        module, call, f"`CryptContext`{where} hashes passwords with `{weak}`"
                    )
                continue
            parts = callee.split(".")
            if parts[:2] == ["passlib", "hash"] and len(parts) == 4 and parts[2] in WEAK_SCHEMES:
                yield Report(
                    module, call, f"`{ast.unparse(call.func)}`{where} is not a password hash"
                )
                continue
            parameters = fed.get(id(function), set()) if function is not None else set()
            password = _hashed_password(call, callee, function, parameters)
            if password is not None and not _breach_check(call, function):
                yield Report(
                    module,
                    call,
                    f"password `{password}`{where} is hashed with a fast hash "
                    f"(`{ast.unparse(call.func)}`)",
                )
            elif function is not None:
                yield from _plaintext(context, module, call, function)
        for assign, function in module.index.assigns:
            if function is not None and isinstance(assign, ast.Assign):
                yield from _plaintext_attribute(context, module, assign, function)


def _weak_context(call: ast.Call) -> str | None:
    """The weak scheme a ``CryptContext`` uses by default, or lists without deprecating it."""
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    schemes = keywords.get("schemes")
    names = [
        e.value
        for e in (schemes.elts if isinstance(schemes, ast.List | ast.Tuple) else [])
        if isinstance(e, ast.Constant) and isinstance(e.value, str)
    ]
    default = keywords.get("default")
    first = default.value if isinstance(default, ast.Constant) else names[0] if names else None
    if first in WEAK_SCHEMES:
        return str(first)
    weak = [name for name in names if name in WEAK_SCHEMES]
    if weak and "deprecated" not in keywords:
        return weak[0]
    return None


def _hashed_password(
    call: ast.Call, callee: str, function: Function | None, parameters: set[str]
) -> str | None:
    """The password a fast-hash call (or ``.update`` of a hash object) is given, if any: a
    password-named value, or one of ``parameters`` that callers fill with a password."""
    arguments: list[ast.expr] = list(call.args)
    if callee not in FAST_HASHES:
        func = call.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr == "update"
            and isinstance(func.value, ast.Name)
            and function is not None
            and _hash_object(function, func.value.id)
        ):
            return None
    elif callee == "hashlib.new":
        arguments = arguments[1:]
    for argument in arguments:
        for node in walk(argument):
            name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
            if isinstance(name, str) and (is_password(name) or name in parameters):
                return name
    return None


def _password_parameters(context: Context) -> dict[int, set[str]]:
    """Parameters of project functions that some caller passes a password to:
    ``_digest(value)`` called as ``_digest(password)``. Keyed by ``id`` of the function."""
    return context.shared(_password_parameters, lambda: _fed_passwords(context))


def _fed_passwords(context: Context) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    project = context.project
    for module in project.modules:
        if module.is_test or not MENTIONS_PASSWORD.search(module.source):
            continue
        for call, function in module.index.calls:
            given = [(i, a) for i, a in enumerate(call.args) if _password_named(a)]
            named = [k for k in call.keywords if k.arg and _password_named(k.value)]
            if not (given or named):
                continue
            scope = project.scope(function) if function is not None else None
            callee = project.function(project.resolve(module, call.func, scope))
            if callee is None:
                continue
            arguments = callee[1].args
            positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
            if positional[:1] in (["self"], ["cls"]) and isinstance(call.func, ast.Attribute):
                positional = positional[1:]
            names = {positional[i] for i, _ in given if i < len(positional)}
            names |= {k.arg for k in named if k.arg}
            found.setdefault(id(callee[1]), set()).update(names)
    return found


def _password_named(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    return isinstance(name, str) and is_password(name)


def _hash_object(function: Function, name: str) -> bool:
    """Whether ``name`` is bound to ``hashlib.<algorithm>(...)`` in ``function``."""
    for node in walk(function):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func).startswith(("hashlib.", "sha", "md5"))
        ):
            return True
    return False


def _breach_check(call: ast.Call, function: Function | None) -> bool:
    """SHA-1 prefixes sent to the Have I Been Pwned range API are not password storage."""
    if function is not None and set(words(function.name)) & BREACH_CHECKS:
        return True
    if function is None:
        return False
    for node in walk(function):
        if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)):
            continue
        upper = node.slice.upper
        prefix = (
            isinstance(upper, ast.Constant) and isinstance(upper.value, int) and upper.value <= 5
        )
        if prefix and any(inner is call for inner in walk(node.value)):
            return True
    return False


def _plaintext(
    context: Context, module: Module, call: ast.Call, function: Function
) -> Iterator[Report]:
    """``Model(password=body.password)`` or ``Model(**body.model_dump())`` into a plain column."""
    project = context.project
    info = context.classes.get(project.resolve(module, call.func))
    if info is None or info.kind != "orm":
        return
    columns = PASSWORD_COLUMNS & set(info.fields)
    if not columns:
        return
    for keyword in call.keywords:
        if keyword.arg in columns and _plain(keyword.value, function):
            yield Report(
                module,
                keyword.value,
                f"`{info.name}` stores `{ast.unparse(keyword.value)}` in its `{keyword.arg}` "
                "column as typed, without hashing it",
            )
        elif keyword.arg is None and isinstance(keyword.value, ast.Call):
            dump = keyword.value
            if not (isinstance(dump.func, ast.Attribute) and dump.func.attr in DUMPS):
                continue
            scope = project.scope(function)
            owner = dump.func.value
            schema = context.classes.get(
                scope.types.get(owner.id) if isinstance(owner, ast.Name) else None
            )
            excluded = {
                e.value
                for k in dump.keywords
                if k.arg == "exclude" and isinstance(k.value, ast.Set | ast.List | ast.Tuple)
                for e in k.value.elts
                if isinstance(e, ast.Constant)
            }
            leaked = columns & set(schema.fields if schema else ()) - excluded
            if schema is not None and leaked and not any(k.arg in leaked for k in call.keywords):
                yield Report(
                    module,
                    call,
                    f"`{info.name}(**{ast.unparse(dump)})` stores `{schema.name}."
                    f"{sorted(leaked)[0]}` as typed, without hashing it",
                )


def _plain(value: ast.expr, function: Function) -> bool:
    """A password-named name or attribute that was not produced by a call in ``function``."""
    if isinstance(value, ast.Attribute):
        return is_password(value.attr)
    if isinstance(value, ast.Name) and is_password(value.id):
        for node in walk(function):
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets)
                and isinstance(node.value, ast.Call | ast.Await)
            ):
                return False
        return True
    return False


def _plaintext_attribute(
    context: Context, module: Module, assign: ast.Assign, function: Function
) -> Iterator[Report]:
    """``member.password = body.password`` on a record whose model has a ``password`` column."""
    for target in assign.targets:
        if not (
            isinstance(target, ast.Attribute)
            and target.attr in PASSWORD_COLUMNS
            and isinstance(target.value, ast.Name)
            and _plain(assign.value, function)
        ):
            continue
        model = _record_model(context, module, function, target.value.id)
        if model is not None and target.attr in model:
            yield Report(
                module,
                assign,
                f"`{ast.unparse(target)}` is set to `{ast.unparse(assign.value)}` as typed, "
                "without hashing it",
            )


def _record_model(
    context: Context, module: Module, function: Function, name: str
) -> set[str] | None:
    """Columns of the ORM model a local name holds (typed, constructed or loaded by id)."""
    project = context.project
    typed = context.classes.get(project.scope(function).types.get(name))
    if typed is not None and typed.kind == "orm":
        return set(typed.fields)
    for node in walk(function):
        if not (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ):
            continue
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        if isinstance(value, ast.Call):
            for candidate in [value.func, *value.args[:1]]:
                info = context.classes.get(project.resolve(module, candidate))
                if info is not None and info.kind == "orm":
                    return set(info.fields)
    return None
