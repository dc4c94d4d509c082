"""Loading targets: import strings, factories, URLs, and the in-process lifespan."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from apismith.dynamic import curl_line, load_target
from apismith.dynamic.target import Target
from apismith.errors import ApismithError, TargetError

AppFactory = Callable[[str], tuple[str, Path]]

LIFESPAN_APP = """
from contextlib import asynccontextmanager
from fastapi import FastAPI, Request

events = []

@asynccontextmanager
async def lifespan(app):
    events.append("startup")
    yield {"greeting": "hello"}
    events.append("shutdown")

app = FastAPI(lifespan=lifespan)

@app.get("/hello")
def hello(request: Request):
    return {"greeting": request.state.greeting, "events": list(events)}

def create_app():
    return app

def needs_argument(x):
    return app

def broken_factory():
    raise ValueError("no database configured")

not_an_app = 42

async def raw_app(scope, receive, send):
    if scope["type"] != "http":
        raise RuntimeError("no lifespan here")
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})

async def quiet_app(scope, receive, send):
    if scope["type"] == "http":
        await raw_app(scope, receive, send)
"""

FAILING_STARTUP = """
from contextlib import asynccontextmanager
from fastapi import FastAPI

@asynccontextmanager
async def lifespan(app):
    raise RuntimeError("database unreachable")
    yield

app = FastAPI(lifespan=lifespan)
"""


async def _get(target: Target, path: str) -> httpx.Response:
    async with target.session(5.0) as client:
        return await client.get(path)


def test_in_process_app_runs_its_lifespan_and_shares_state(write_app: AppFactory) -> None:
    module, directory = write_app(LIFESPAN_APP)
    target = load_target(f"{module}:app", app_dir=directory)
    assert target.in_process and target.base_url == "http://testserver"
    response = asyncio.run(_get(target, "/hello"))
    assert response.json() == {"greeting": "hello", "events": ["startup"]}
    assert importlib.import_module(module).events == ["startup", "shutdown"]


def test_zero_argument_factory_is_called(write_app: AppFactory) -> None:
    module, directory = write_app(LIFESPAN_APP)
    target = load_target(f"{module}:create_app", app_dir=directory)
    assert asyncio.run(_get(target, "/hello")).status_code == 200


@pytest.mark.parametrize("attribute", ["raw_app", "quiet_app"])
def test_app_without_lifespan_support_is_served(write_app: AppFactory, attribute: str) -> None:
    module, directory = write_app(LIFESPAN_APP)
    target = load_target(f"{module}:{attribute}", app_dir=directory)
    assert asyncio.run(_get(target, "/")).status_code == 204


def test_failing_startup_is_a_target_error(write_app: AppFactory) -> None:
    module, directory = write_app(FAILING_STARTUP)
    target = load_target(f"{module}:app", app_dir=directory)
    with pytest.raises(TargetError, match=r"failed to start.*database unreachable"):
        asyncio.run(_get(target, "/"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon_here", "expected an import string"),
        ("{module}:missing", "has no attribute 'missing'"),
        ("{module}:not_an_app", "is a int, not an ASGI application"),
        ("{module}:needs_argument", "is a function, not an ASGI application"),
        ("{module}:broken_factory", r"broken_factory\(\): ValueError: no database configured"),
        ("{module}:hello.nothing", "has no attribute"),
        ("module_that_does_not_exist_anywhere:app", "cannot import .*ModuleNotFoundError"),
    ],
)
def test_bad_import_strings_are_target_errors(
    write_app: AppFactory, spec: str, message: str
) -> None:
    module, directory = write_app(LIFESPAN_APP)
    with pytest.raises(TargetError, match=message):
        load_target(spec.format(module=module), app_dir=directory)


def test_module_raising_on_import_is_summarised(write_app: AppFactory) -> None:
    module, directory = write_app("import sys\nsys.exit('bad settings')\n")
    with pytest.raises(TargetError, match=r"cannot import .*SystemExit: bad settings"):
        load_target(f"{module}:app", app_dir=directory)


def test_current_directory_is_the_default_app_dir(
    write_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, directory = write_app(LIFESPAN_APP)
    monkeypatch.chdir(directory)
    assert load_target(f"{module}:app").in_process


def test_missing_app_dir_is_a_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="no such directory"):
        load_target("main:app", app_dir=tmp_path / "nowhere")


def test_loopback_urls_are_accepted_and_normalised() -> None:
    assert load_target("http://127.0.0.1:8000/").base_url == "http://127.0.0.1:8000"
    assert load_target("http://localhost:9/api/").base_url == "http://localhost:9/api"
    assert not load_target("http://[::1]:8000").in_process


def test_remote_urls_need_allow_remote() -> None:
    with pytest.raises(TargetError, match="not this machine; pass --allow-remote"):
        load_target("http://192.0.2.10:8000")
    assert load_target("http://192.0.2.10:8000", allow_remote=True).base_url == (
        "http://192.0.2.10:8000"
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("http://", "names no host|not a valid URL"),
        ("http://exa mple.com", "not a valid URL|cannot resolve"),
        ("http://no-such-host.invalid:80", "cannot resolve"),
    ],
)
def test_bad_urls_are_target_errors(spec: str, message: str) -> None:
    with pytest.raises(TargetError, match=message) as caught:
        load_target(spec)
    assert isinstance(caught.value, ApismithError)


def test_curl_line_quotes_and_keeps_only_meaningful_headers() -> None:
    client = httpx.Client(base_url="http://127.0.0.1:8000")
    request = client.build_request(
        "POST",
        "/items",
        params={"q": "it's"},
        json={"name": "a b"},
        headers={"Authorization": "Bearer x"},
    )
    line = curl_line(request)
    assert line.startswith("curl -i -X POST 'http://127.0.0.1:8000/items?q=it%27s'")
    assert "-H 'authorization: Bearer x'" in line
    assert "-H 'content-type: application/json'" in line
    assert '--data-raw \'{"name":"a b"}\'' in line or '--data-raw \'{"name": "a b"}\'' in line
    assert "user-agent" not in line and "content-length" not in line
    assert curl_line(client.build_request("GET", "/")) == "curl -i -X GET http://127.0.0.1:8000/"
