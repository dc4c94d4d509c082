"""Requests for an operation: plain examples, hypothesis strategies, and their HTTP form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import strategies as st

from apismith.dynamic.schema import Operation, Parameter
from apismith.probe import strategies
from apismith.probe.values import JSONSchema, example

NO_BODY: Any = object()
# Ids used where an object must not exist (a DELETE probing for missing authentication).
ABSENT_ID = "999999999"
ABSENT_UUID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True, slots=True)
class RequestData:
    """The variable parts of one request to an operation."""

    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, Any] = field(default_factory=dict)
    cookies: Mapping[str, Any] = field(default_factory=dict)
    body: Any = NO_BODY


def example_request(
    operation: Operation, n: int = 1, ids: Mapping[str, Any] | None = None
) -> RequestData:
    """A request a careful client would send; ``ids`` fills path parameters by name.

    Optional parameters are left out: filled, a list's optional filters would match nothing,
    and the objects probe needs to learn about would never show.
    """
    ids = ids or {}

    def values(location: str) -> dict[str, Any]:
        return {
            p.name: ids.get(p.name, example(_param_schema(p), p.name, n))
            for p in operation.params(location)
            if p.required or location == "path"
        }

    body = NO_BODY
    if operation.body_schema is not None:
        body = example(operation.body_schema, "", n)
    return RequestData(values("path"), values("query"), values("header"), values("cookie"), body)


def absent_ids(operation: Operation) -> dict[str, str]:
    """Path parameter values that name no object but still pass validation (uuids as uuids)."""
    return {
        p.name: ABSENT_UUID if _param_schema(p).get("format") == "uuid" else ABSENT_ID
        for p in operation.params("path")
    }


def request_strategy(
    operation: Operation, *, valid: bool, ids: Mapping[str, Any] | None = None
) -> st.SearchStrategy[RequestData]:
    """Requests whose every part conforms (``valid``), or where exactly one part does not.

    Path parameters named in ``ids`` are drawn from those known objects first (a random id
    only reaches the 404 branch), then from the schema.
    """
    ids = ids or {}
    parts = {
        loc: _params(operation.params(loc), known=ids)
        for loc in ("path", "query", "header", "cookie")
    }
    body_schema = operation.body_schema
    body = st.just(NO_BODY) if body_schema is None else strategies.valid(body_schema)
    if valid:
        return st.builds(
            RequestData, parts["path"], parts["query"], parts["header"], parts["cookie"], body
        )
    variants: list[st.SearchStrategy[RequestData]] = []
    for location in ("path", "query", "header", "cookie"):
        for param in operation.params(location):
            spoiled = {
                **parts,
                location: _params(operation.params(location), spoil=param, known=ids),
            }
            variants.append(
                st.builds(
                    RequestData,
                    spoiled["path"],
                    spoiled["query"],
                    spoiled["header"],
                    spoiled["cookie"],
                    body,
                )
            )
    if body_schema is not None:
        bad_body = st.one_of(strategies.invalid(body_schema), st.just(NO_BODY))
        variants.append(
            st.builds(
                RequestData,
                parts["path"],
                parts["query"],
                parts["header"],
                parts["cookie"],
                bad_body,
            )
        )
    return st.one_of(variants) if variants else st.nothing()


def build_request(
    base_url: str, operation: Operation, data: RequestData, credentials: Mapping[str, str]
) -> httpx.Request:
    """The HTTP request for ``data``; ``credentials`` are headers that identify the caller."""
    path = operation.path
    for name, value in data.path.items():
        path = path.replace("{" + name + "}", quote(_text(value), safe=""))
    headers = {name: _header(_text(value)) for name, value in data.headers.items()}
    cookies = "; ".join(f"{name}={_text(value)}" for name, value in data.cookies.items())
    for name, value in credentials.items():
        if name.lower() == "cookie" and cookies:
            cookies = f"{value}; {cookies}"
        else:
            headers[name] = value
    if cookies:
        headers["Cookie"] = _header(cookies)
    query: list[tuple[str, str | int | float | bool | None]] = [
        (name, _text(item))
        for name, value in data.query.items()
        if value is not None
        for item in (value if isinstance(value, list) else [value])
    ]
    content, extra_headers = _body(operation, data.body)
    return httpx.Request(
        operation.method,
        base_url + path,
        params=query,
        headers={**extra_headers, **headers},
        content=content,
    )


def size(data: RequestData) -> int:
    """How big a request is, to keep the smallest of several failing ones."""
    body = "" if data.body is NO_BODY else _text(data.body)
    return len(json.dumps([data.path, data.query, data.headers, data.cookies], default=str)) + len(
        body
    )


def _params(
    params: tuple[Parameter, ...], spoil: Parameter | None = None, known: Mapping[str, Any] = {}
) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for param in params:
        if param is spoil:
            if param.required and param.location != "path":
                continue  # leaving a required parameter out is the spoiling
            required[param.name] = strategies.invalid(param.schema)
            continue
        strategy = strategies.valid(_param_schema(param), printable=param.location != "query")
        if param.location == "path" and param.name in known:
            strategy = st.one_of(st.just(known[param.name]), strategy)
        (required if param.required else optional)[param.name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def _param_schema(param: Parameter) -> JSONSchema:
    if param.location == "path" and param.schema.get("type", "string") == "string":
        return {**param.schema, "minLength": max(1, int(param.schema.get("minLength", 1)))}
    return param.schema


def _body(operation: Operation, body: Any) -> tuple[bytes, dict[str, str]]:
    if body is NO_BODY:
        return b"", {}
    media = operation.body_media_type or "application/json"
    if media == "application/x-www-form-urlencoded" and isinstance(body, dict):
        encoded = httpx.QueryParams({k: _text(v) for k, v in body.items() if v is not None})
        return str(encoded).encode(), {"Content-Type": media}
    if media.startswith("multipart/") and isinstance(body, dict):
        props = (operation.body_schema or {}).get("properties", {})
        binary = {k for k, v in props.items() if _is_file(v)}
        files = {k: (f"{k}.txt", _text(v).encode()) for k, v in body.items() if k in binary}
        fields = {k: _text(v) for k, v in body.items() if k not in binary and v is not None}
        request = httpx.Request("POST", "http://multipart", data=fields, files=files or None)
        return request.read(), {"Content-Type": request.headers["Content-Type"]}
    if "json" in media:
        return json.dumps(body, ensure_ascii=False).encode(), {"Content-Type": media}
    return _text(body).encode(), {"Content-Type": media}


def _is_file(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    items = schema.get("items")
    return (
        schema.get("format") == "binary"
        or "contentMediaType" in schema
        or (isinstance(items, dict) and _is_file(items))
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _header(value: str) -> str:
    """A header value HTTP can carry: ASCII, no control characters, no space at either end
    (clients refuse to send those, so they would test the client, not the app)."""
    text = value.encode("ascii", "backslashreplace").decode("ascii")
    text = "".join(c if c.isprintable() else " " for c in text).strip()
    return text or "x"
