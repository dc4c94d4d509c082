"""The pure parts of probe: identities, forged tokens, ids, paths, cookies and schemas."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from apismith.dynamic.schema import Operation
from apismith.dynamic.target import Target
from apismith.errors import UsageError
from apismith.probe.channel import BudgetExhausted, Channel, Exchange
from apismith.probe.checks.cookies import _parse
from apismith.probe.checks.response_schema_violation import UNSET, _nullable, declared
from apismith.probe.context import (
    collection_of,
    ends_session,
    ids_in,
    path_resources,
    resource_of,
    singular,
)
from apismith.probe.identities import forgeries, parse_auth
from apismith.probe.requests import RequestData, build_request


def test_parse_auth_forms() -> None:
    assert parse_auth("Bearer abc", 0).headers == {"Authorization": "Bearer abc"}
    assert parse_auth("X-API-Key: k1", 1).headers == {"X-API-Key": "k1"}
    assert parse_auth("Cookie: session=1", 0).headers == {"Cookie": "session=1"}
    bare = parse_auth("abc.def.ghi", 1)
    assert bare.name == "user2" and bare.headers == {"Authorization": "Bearer abc.def.ghi"}
    with pytest.raises(UsageError):
        parse_auth("a b c", 0)


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJl"


def test_forgeries_of_a_jwt_keep_the_claims_and_break_the_signature() -> None:
    token = _jwt({"sub": "7", "exp": 4102444800})
    forged = forgeries(parse_auth(f"Bearer {token}", 0))
    values = [f.headers["Authorization"] for f in forged]
    assert values[0] == "Bearer apismith-invalid"
    assert all(v.startswith("Bearer ") and v != f"Bearer {token}" for v in values)
    unsigned = next(f for f in forged if "alg none" in f.description)
    header, payload, signature = unsigned.headers["Authorization"][7:].split(".")
    assert signature == "" and json.loads(base64.urlsafe_b64decode(header + "=="))["alg"] == "none"
    assert json.loads(base64.urlsafe_b64decode(payload + "=="))["sub"] == "7"
    assert any("guessable key 'secret'" in f.description for f in forged)


def test_forgeries_of_opaque_credentials_and_of_nobody() -> None:
    opaque = forgeries(parse_auth("X-API-Key: key-A", 0))
    assert [f.headers for f in opaque] == [
        {"X-API-Key": "apismith-invalid"},
        {"X-API-Key": "key-B"},
    ]
    not_json = forgeries(parse_auth("Bearer a.%%%.c", 0))
    assert len(not_json) == 2
    assert {f.description for f in forgeries(None)} == {
        "a malformed bearer token",
        "an unsigned token (alg none)",
        "an expired token",
    }


def test_ids_paths_and_collections() -> None:
    assert ids_in({"items": [{"id": 1}, {"note_id": 2}, {"x": 3}]}, "notes") == [1, 2]
    assert ids_in([{"categoryId": "c"}], "categories") == ["c"]
    assert ids_in({"id": {"nested": 1}}, "x") == []
    assert ids_in({"id": 5, "data": [{"id": 6}]}, "x", nested=False) == [5]
    assert ids_in("text", "x") == []
    assert singular("categories") == "category" and singular("news") == "new"
    assert singular("data") == "data"
    assert collection_of("/api/v1/users/me") == "users"
    assert collection_of("/{tenant}/") is None
    assert resource_of("/v2/{x}") is None and resource_of("/api/orders/{id}") == "orders"
    assert path_resources("/{a}/items/{item_id}/") == {"item_id": "items"}


def test_cookie_headers_that_cannot_be_parsed_or_delete() -> None:
    exchange = Exchange(None, httpx.Request("GET", "http://x/"), "me", 200, httpx.Headers(), "")
    assert _parse("not a cookie;;;=", exchange) is None
    assert _parse("", exchange) is None
    assert _parse("old=; Max-Age=0", exchange) is None
    parsed = _parse("sid=1; HttpOnly; Secure; SameSite=Strict", exchange)
    assert parsed is not None and parsed.attributes == {"httponly", "secure"}
    assert parsed.samesite == "strict"


def test_declared_schemas_and_openapi_3_0_nullable() -> None:
    operation = Operation(
        "GET", "/x", "x", responses={"2XX": {"type": "object"}, "default": {"type": "string"}}
    )
    assert declared(operation, 201) == {"type": "object"}
    assert declared(Operation("GET", "/x", "x", responses={"default": {}}), 204) == {}
    assert declared(operation, 500) is UNSET
    assert declared(Operation("GET", "/x", "x", responses={"200": {}}), 404) is UNSET
    schema = {"type": "object", "properties": {"a": {"type": "string", "nullable": True}}}
    assert _nullable(schema) == {
        "type": "object",
        "properties": {"a": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
    }
    assert _nullable([{"nullable": False}]) == [{}]


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """A TCP server that accepts connections and either never answers or closes at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    mode = {"close": False}

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            if mode["close"]:
                connection.close()
            else:
                accepted.append(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    yield f"http://127.0.0.1:{port}", accepted
    mode["close"] = True
    listener.close()
    for connection in accepted:
        connection.close()


def test_channel_reports_hangs_drops_and_its_budget(
    silent_server: tuple[str, list[socket.socket]],
) -> None:
    base, accepted = silent_server
    target = Target(spec=base, app=None, base_url=base)
    with Channel(target, max_requests=2, time_limit=30, timeout=0.3) as channel:
        hang = channel.send(httpx.Request("GET", base + "/"), None, "nobody")
        assert hang.status is None and hang.error == "no answer (hang)" and hang.json() is None
        for connection in accepted:
            connection.close()
        accepted.clear()
        assert channel.remaining == 1
        channel.send(httpx.Request("GET", base + "/"), None, "nobody")
        with pytest.raises(BudgetExhausted):
            channel.send(httpx.Request("GET", base + "/"), None, "nobody")
    with Channel(target, max_requests=5, time_limit=0.001, timeout=0.3) as late:
        assert late.remaining == 0


def test_channel_reports_a_dropped_connection() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def drop() -> None:
        for _ in range(2):
            connection, _ = listener.accept()
            connection.recv(1024)
            connection.close()

    threading.Thread(target=drop, daemon=True).start()
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    target = Target(spec=base, app=None, base_url=base)
    with Channel(target, max_requests=5, time_limit=30, timeout=2) as channel:
        dropped = channel.send(httpx.Request("GET", base + "/"), None, "nobody")
    listener.close()
    assert dropped.status is None and dropped.error.startswith("connection dropped")


@pytest.mark.parametrize(
    ("path", "ends"),
    [
        ("/api/v1/auth/logout", True),
        ("/auth/sign-out", True),
        ("/sessions/logout_all", True),
        ("/users/{id}/logout", True),
        ("/auth/login", False),
        ("/logouts/{id}/items", False),
        ("/", False),
    ],
)
def test_session_ending_operations_are_recognised(path: str, ends: bool) -> None:
    assert ends_session(Operation("POST", path, "x")) is ends


def test_generated_header_values_are_sendable() -> None:
    operation = Operation("GET", "/x", "x")
    data = RequestData(headers={"X-Key": "  spaced\t", "X-Empty": " ", "X-Text": "café"})
    request = build_request("http://testserver", operation, data, {})
    assert request.headers["X-Key"] == "spaced"
    assert request.headers["X-Empty"] == "x"
    assert request.headers["X-Text"] == "caf\\xe9"
