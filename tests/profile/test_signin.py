"""Profile's own sign-in: a token from a JSON answer, nothing when the API refuses."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI, Form, HTTPException, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from apismith.dynamic.schema import parse_schema
from apismith.profile.signin import sign_in


class Credentials(BaseModel):
    username: str
    password: str


def _sign_in(app: FastAPI) -> dict[str, str]:
    schema = parse_schema(app.openapi(), "test")

    async def run() -> dict[str, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await sign_in(client, schema)

    return asyncio.run(run())


def test_a_login_alone_gives_its_bearer_token() -> None:
    app = FastAPI()

    @app.post("/token")
    def token(username: str = Form(), password: str = Form()) -> dict[str, str]:
        return {"access_token": f"t-{username}", "token_type": "bearer"}

    credentials = _sign_in(app)
    assert credentials["Authorization"].startswith("Bearer t-")


def test_a_refused_sign_up_and_sign_in_give_nothing() -> None:
    app = FastAPI()

    @app.post("/register")
    async def register(body: Credentials) -> dict[str, str]:
        raise HTTPException(403, "closed")

    @app.post("/login")
    async def login(body: Credentials) -> dict[str, str]:
        raise HTTPException(401, "wrong password")

    assert _sign_in(app) == {}


def test_a_sign_in_that_answers_only_a_cookie_gives_the_cookie() -> None:
    app = FastAPI()

    @app.post("/login", status_code=204)
    def login(body: Credentials, response: Response) -> Response:
        response = PlainTextResponse("", status_code=204)
        response.set_cookie("sid", "abc", httponly=True)
        return response

    assert _sign_in(app) == {"Cookie": "sid=abc"}


def test_an_unreachable_api_gives_nothing() -> None:
    app = FastAPI()

    @app.post("/login")
    def login(body: Credentials) -> dict[str, str]:
        return {"token": "t"}

    schema = parse_schema(app.openapi(), "test")

    async def run() -> dict[str, str]:
        async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2) as client:
            return await sign_in(client, schema)

    assert asyncio.run(run()) == {}


def test_an_api_without_a_way_in_gives_nothing() -> None:
    app = FastAPI()

    @app.get("/items")
    def items() -> list[int]:
        return []

    assert _sign_in(app) == {}
