"""Identities of its own: when fewer than two are given, sign up and sign in like a client.

An API with a sign-up and a sign-in operation gets its missing users created with plausible
values; the token (or session cookie) the sign-in returns becomes an identity, so that
authenticated operations and object access between users are probed without ``--auth``.
"""

from __future__ import annotations

import re
from typing import Any

from apismith.dynamic.schema import OpenAPI, Operation
from apismith.probe.channel import Exchange
from apismith.probe.context import ProbeContext
from apismith.probe.identities import Identity
from apismith.probe.requests import RequestData
from apismith.probe.values import example

REGISTER = re.compile(r"(?i)(regist|sign-?up|/users/?$|/accounts/?$)")
LOGIN = re.compile(r"(?i)(log-?in|sign-?in|token/?$|session)")
TOKEN_KEYS = ("access_token", "accessToken", "token", "jwt", "id_token", "auth_token")
FIRST_USER = 50


def sign_up(ctx: ProbeContext) -> None:
    """Create and sign in users until there are two identities (when the API allows).

    With two given, one user is still signed up and in, unused, so that what a successful
    sign-in answers (its cookies) is seen by the checks.
    """
    register, login = flows(ctx.schema)
    if register is None and login is None:
        return
    for n in range(FIRST_USER, FIRST_USER + max(1, 2 - len(ctx.identities))):
        values: dict[str, Any] = {}
        credentials: dict[str, str] = {}
        if register is not None and register.body_schema is not None:
            values = body_for(register, n, {})
            exchange = ctx.send(register, RequestData(body=values))
            # A failed sign-up may be a user left by an earlier run: signing in tells.
            credentials = _credentials(exchange) if exchange.ok else {}
        if login is not None and login.body_schema is not None and (values or register is None):
            exchange = ctx.send(login, RequestData(body=body_for(login, n, values)))
            credentials = _credentials(exchange) if exchange.ok else {}
        if not credentials or len(ctx.identities) >= 2:
            return
        ctx.identities.append(Identity(f"signup{n - FIRST_USER + 1}", credentials))


def flows(schema: OpenAPI) -> tuple[Operation | None, Operation | None]:
    """The sign-up and the sign-in operation of ``schema``, where it has them."""
    register = _find(schema, REGISTER, exclude=LOGIN)
    login = _find(schema, LOGIN, exclude=re.compile(r"(?i)refresh"))
    return register, login


def _find(schema: OpenAPI, pattern: re.Pattern[str], exclude: re.Pattern[str]) -> Operation | None:
    for operation in schema.operations:
        properties = (operation.body_schema or {}).get("properties", {})
        if (
            operation.method == "POST"
            and pattern.search(operation.path)
            and not exclude.search(operation.path)
            and any("password" in name.lower() for name in properties)
        ):
            return operation
    return None


def body_for(operation: Operation, n: int, known: dict[str, Any]) -> dict[str, Any]:
    """An example body, with the values used at sign-up where the names match."""
    body = example(operation.body_schema or {}, "", n)
    if not isinstance(body, dict):
        return {}
    for name in body:
        if name in known:
            body[name] = known[name]
        elif name == "username" and "email" in known:
            body[name] = known["email"]
    return body


def _credentials(exchange: Exchange) -> dict[str, str]:
    return credentials_of(exchange.json(), exchange.headers.get_list("set-cookie"))


def credentials_of(body: Any, set_cookies: list[str]) -> dict[str, str]:
    """A bearer token from the JSON answer, else the session cookies it sets."""
    if isinstance(body, dict):
        for key in TOKEN_KEYS:
            if isinstance(body.get(key), str) and body[key]:
                return {"Authorization": f"Bearer {body[key]}"}
    pairs = [header.split(";", 1)[0].strip() for header in set_cookies]
    pairs = [pair for pair in pairs if "=" in pair and not pair.endswith("=")]
    return {"Cookie": "; ".join(pairs)} if pairs else {}
