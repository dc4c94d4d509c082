"""Parts of the checks: huge numbers made ordinary for a retry; routes that exclude fields."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from apismith.dynamic.schema import parse_schema
from apismith.probe.checks.response_schema_violation import route_excludes
from apismith.probe.checks.server_error import _beyond_64_bits, _tame
from apismith.probe.requests import RequestData


class Thing(BaseModel):
    name: str
    secret: str


def test_tame_replaces_only_integers_beyond_64_bits() -> None:
    huge = 2**70
    data = RequestData(
        path={"id": 5},
        query={"offset": huge, "flag": True},
        body={"items": [huge, -huge, 7, "x"], "nested": {"n": huge}},
    )
    tamed = _tame(data)
    assert _beyond_64_bits(data)
    assert not _beyond_64_bits(tamed)
    assert tamed.path == {"id": 5}
    assert tamed.query == {"offset": 1, "flag": True}
    assert tamed.body == {"items": [1, 1, 7, "x"], "nested": {"n": 1}}


def test_route_excludes_reads_fastapi_routes_and_included_routers() -> None:
    app = FastAPI()
    router = APIRouter(prefix="/things")

    @router.get("/{thing_id}", response_model=Thing, response_model_exclude={"secret"})
    def thing(thing_id: int) -> Thing:
        return Thing(name="a", secret="b")

    @app.get("/plain", response_model=Thing)
    def plain() -> Thing:
        return Thing(name="a", secret="b")

    app.include_router(router)
    schema = parse_schema(app.openapi(), "test")
    by_path = {op.path: op for op in schema.operations}
    assert route_excludes(app, by_path["/things/{thing_id}"]) is True
    assert route_excludes(app, by_path["/plain"]) is False
    assert route_excludes(None, by_path["/plain"]) is None
