"""Credentials of its own: with none given, sign up and in like a client would.

Operations behind authentication answer 401 to an anonymous profile and are skipped; an API
with a sign-up or sign-in operation gets one user made for the run, so that they are measured.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from apismith.dynamic.schema import OpenAPI, Operation
from apismith.probe.requests import RequestData, build_request
from apismith.probe.signup import body_for, credentials_of, flows

USER = 90


async def sign_in(client: httpx.AsyncClient, schema: OpenAPI) -> dict[str, str]:
    """Headers that carry a new user's credentials; empty when the API offers no way in."""
    register, login = flows(schema)
    values: dict[str, Any] = {}
    credentials: dict[str, str] = {}
    if register is not None and register.body_schema is not None:
        values = body_for(register, USER, {})
        credentials = await _send(client, register, values)
    if login is not None and login.body_schema is not None and (values or register is None):
        credentials = await _send(client, login, body_for(login, USER, values)) or credentials
    return credentials


async def _send(client: httpx.AsyncClient, operation: Operation, body: Any) -> dict[str, str]:
    request = build_request(str(client.base_url), operation, RequestData(body=body), {})
    try:
        answer = await client.send(request)
    except httpx.HTTPError:
        return {}
    if not answer.is_success:
        return {}
    try:
        payload = answer.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        payload = None  # a sign-in may answer with nothing but its cookie
    return credentials_of(payload, answer.headers.get_list("set-cookie"))
