"""Reading OpenAPI schemas from apps, URLs and files; operations with references resolved."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from apismith.dynamic import load_schema, load_target
from apismith.dynamic.schema import parse_schema
from apismith.errors import SchemaError, TargetError
from dynamic.server import serve

AppFactory = Callable[[str], tuple[str, Path]]

APP = """
from fastapi import Depends, FastAPI, Header
from fastapi.security import HTTPBearer
from pydantic import BaseModel

app = FastAPI(title="Shop")
bearer = HTTPBearer()

class Node(BaseModel):
    name: str
    children: list["Node"] = []

@app.get("/items/{item_id}", response_model=Node, tags=["items"], summary="One item")
def read(item_id: int, q: str | None = None, x_trace: str = Header("")):
    return Node(name="x")

@app.post("/items", status_code=201, dependencies=[Depends(bearer)])
def create(node: Node) -> Node:
    return node

@app.api_route("/ping", methods=["GET", "HEAD"])
def ping():
    return "pong"

async def raw(scope, receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    body = b'{"openapi": "3.1.0", "info": {"title": "raw"}, "paths": {}}'
    await send({"type": "http.response.body", "body": body})

def broken_openapi():
    raise RuntimeError("cannot describe")

broken = FastAPI()
broken.openapi = broken_openapi
"""


def test_operations_from_an_in_process_app(write_app: AppFactory) -> None:
    module, directory = write_app(APP)
    schema = load_schema(load_target(f"{module}:app", app_dir=directory))
    assert schema.title == "Shop" and schema.version.startswith("3.")
    labels = {operation.label for operation in schema}
    assert labels == {"GET /items/{item_id}", "POST /items", "GET /ping", "HEAD /ping"}
    assert len(schema) == 4
    read = next(op for op in schema if op.method == "GET" and op.path == "/items/{item_id}")
    assert [(p.name, p.location, p.required) for p in read.parameters] == [
        ("item_id", "path", True),
        ("q", "query", False),
        ("x-trace", "header", False),
    ]
    assert read.params("path")[0].schema["type"] == "integer"
    assert read.tags == ("items",) and read.summary == "One item" and not read.mutating
    ok = read.responses["200"]
    assert ok is not None and ok["properties"]["name"]["type"] == "string"
    children = ok["properties"]["children"]["items"]
    assert children == {}, "a recursive reference ends in an open schema"
    create = next(op for op in schema if op.method == "POST")
    assert create.security == ("HTTPBearer",) and create.mutating
    assert create.body_media_type == "application/json" and create.body_required
    assert create.body_schema is not None and create.body_schema["required"] == ["name"]
    assert "HTTPBearer" in schema.security_schemes


def test_asgi_app_without_openapi_attribute_is_asked_over_http(write_app: AppFactory) -> None:
    module, directory = write_app(APP)
    schema = load_schema(load_target(f"{module}:raw", app_dir=directory))
    assert schema.title == "raw" and len(schema) == 0


def test_app_failing_to_build_its_schema(write_app: AppFactory) -> None:
    module, directory = write_app(APP)
    with pytest.raises(SchemaError, match=r"cannot build its OpenAPI schema.*cannot describe"):
        load_schema(load_target(f"{module}:broken", app_dir=directory))


def test_schema_from_a_served_app_and_from_a_file(write_app: AppFactory, tmp_path: Path) -> None:
    module, directory = write_app(APP)
    with serve(f"{module}:app", directory) as base_url:
        schema = load_schema(load_target(base_url))
    assert len(schema) == 4
    file = tmp_path / "openapi.json"
    file.write_text(json.dumps(dict(schema.document)), encoding="utf-8")
    assert {op.label for op in load_schema(load_target(base_url), file)} == {
        op.label for op in schema
    }


def test_refused_connection_is_a_target_error() -> None:
    with pytest.raises(TargetError, match="cannot connect"):
        load_schema(load_target("http://127.0.0.1:9"))


def test_url_without_schema(write_app: AppFactory) -> None:
    module, directory = write_app("from fastapi import FastAPI\napp = FastAPI(openapi_url=None)\n")
    with (
        serve(f"{module}:app", directory) as base_url,
        pytest.raises(SchemaError, match=r"no OpenAPI schema at /openapi\.json"),
    ):
        load_schema(load_target(base_url))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "is a JSON object"),
        ('{"swagger": "2.0", "paths": {}}', "not an OpenAPI 3 document"),
        ('{"openapi": "3.0.0"}', "no 'paths' object"),
        (
            '{"openapi": "3.0.0", "paths": {"/a": {"get": {"responses": {"200": '
            '{"$ref": "#/components/responses/Gone"}}}}}}',
            "unresolvable reference",
        ),
    ],
)
def test_invalid_schema_files(tmp_path: Path, content: str, message: str) -> None:
    file = tmp_path / "schema.json"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(SchemaError, match=message):
        load_schema(load_target("http://127.0.0.1:9"), file)


def test_missing_schema_file(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="cannot read"):
        load_schema(load_target("http://127.0.0.1:9"), tmp_path / "absent.json")


def test_hand_written_document_shapes() -> None:
    schema = parse_schema(
        {
            "openapi": "3.0.3",
            "security": [{"key": []}],
            "paths": {
                "/things/{id}": {
                    "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}],
                    "get": {"operationId": "getThing", "security": []},
                    "delete": {"parameters": [{"name": "id", "in": "path"}], "responses": []},
                    "put": {"requestBody": {"content": {"text/plain": {}}}},
                    "patch": {"requestBody": {"content": {}}},
                },
                "/bad": "not an object",
            },
            "components": {"securitySchemes": {"key": {"type": "apiKey"}}},
        },
        "doc",
    )
    ops = {op.method: op for op in schema}
    assert ops["GET"].operation_id == "getThing" and ops["GET"].security == ()
    assert ops["DELETE"].security == ("key",) and ops["DELETE"].parameters[0].schema == {}
    assert ops["DELETE"].responses == {}
    assert ops["PUT"].body_media_type == "text/plain" and ops["PUT"].body_schema == {}
    assert ops["PATCH"].body_schema is None
    assert schema.title == ""
