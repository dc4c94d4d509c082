"""Who a request is sent as: nobody, a user given with ``--auth``, or forged credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from apismith.errors import UsageError

_HEADER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_-]*):\s*(\S.*)$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*\s+\S+$")
# Keys tutorials and templates ship with (the last is FastAPI's tutorial key); a token
# signed with one of them should never pass.
GUESSABLE_KEYS = (
    "secret",
    "changeme",
    "your-secret-key",
    "supersecret",
    "secret-key",
    "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7",
)


@dataclass(frozen=True, slots=True)
class Identity:
    """A caller: a name for reports and the headers that carry its credentials."""

    name: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def anonymous(self) -> bool:
        """True for the caller without credentials."""
        return not self.headers


ANONYMOUS = Identity("anonymous")


def parse_auth(value: str, index: int) -> Identity:
    """``--auth`` as an identity: ``'Bearer TOKEN'``, ``'Header-Name: value'`` or a bare token."""
    value = value.strip()
    name = f"user{index + 1}"
    if not value:
        raise UsageError("--auth needs a value such as 'Bearer TOKEN' or 'X-API-Key: KEY'")
    header = _HEADER.match(value)
    if header is not None:
        return Identity(name, {header.group(1): header.group(2).strip()})
    if _SCHEME.match(value):
        return Identity(name, {"Authorization": value})
    if any(c.isspace() for c in value):
        raise UsageError(f"--auth {value!r}: expected 'Bearer TOKEN' or 'Header-Name: value'")
    return Identity(name, {"Authorization": f"Bearer {value}"})


@dataclass(frozen=True, slots=True)
class Forgery:
    """Credentials that must be refused, and what is wrong with them."""

    description: str
    headers: Mapping[str, str]
    signature_flaw: bool = False


def forgeries(identity: Identity | None) -> list[Forgery]:
    """Malformed, tampered, unsigned and expired variants of ``identity``'s credentials."""
    now = int(time.time())
    if identity is None or identity.anonymous:
        forged: dict[str, Any] = {"sub": "1", "exp": now + 3600}
        return [
            Forgery("a malformed bearer token", {"Authorization": "Bearer apismith-invalid"}),
            Forgery(
                "an unsigned token (alg none)",
                {"Authorization": f"Bearer {_unsigned(forged)}"},
                True,
            ),
            Forgery(
                "an expired token",
                {"Authorization": f"Bearer {_signed({'sub': '1', 'exp': now - 3600}, 'secret')}"},
            ),
        ]
    name, value = next(iter(identity.headers.items()))
    scheme, _, token = value.rpartition(" ")
    prefix = f"{scheme} " if scheme else ""
    result = [Forgery("a malformed credential", {name: prefix + "apismith-invalid"})]
    parts = token.split(".")
    found = _claims(token)
    if found is None:
        tampered = token[:-1] + ("A" if token[-1:] != "A" else "B")
        result.append(Forgery("a tampered credential", {name: prefix + tampered}))
        return result
    claims: dict[str, Any] = found
    expired = {**claims, "exp": now - 3600}
    altered = parts[2][:-2] + ("AA" if parts[2][-2:] != "AA" else "BB")
    result += [
        Forgery(
            "a token whose signature was altered",
            {name: prefix + ".".join([parts[0], parts[1], altered])},
            True,
        ),
        Forgery(
            "an unsigned copy of the token (alg none)",
            {name: prefix + _unsigned(claims)},
            True,
        ),
        Forgery(
            "an expired copy of the token",
            {name: prefix + ".".join([parts[0], _segment(expired), parts[2]])},
            True,
        ),
    ]
    result += [
        Forgery(
            f"a copy of the token signed with the guessable key {key!r}",
            {name: prefix + _signed(claims, key)},
            True,
        )
        for key in GUESSABLE_KEYS
    ]
    return result


def _claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def _segment(data: Mapping[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unsigned(claims: Mapping[str, Any]) -> str:
    return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."


def _signed(claims: Mapping[str, Any], key: str) -> str:
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}"
    digest = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
