"""The profiled app: an import string run in-process over ASGI, or a loopback base URL.

In-process targets run their lifespan and are reached over httpx's ASGI transport, in the same
event loop as the client; URL targets are timed from outside only.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from apismith.errors import UsageError

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
IN_PROCESS_URL = "http://127.0.0.1:8000"


class TargetError(UsageError):
    """The target cannot be imported, reached or started."""


@dataclass(slots=True)
class Target:
    """An ASGI ``app`` run in-process, or a ``base_url`` served by someone else."""

    spec: str
    app: ASGIApp | None
    base_url: str
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def in_process(self) -> bool:
        """Whether requests go to ``app`` in this process."""
        return self.app is not None


def load_target(spec: str, app_dir: Path | None = None) -> Target:
    """Import ``module:attribute`` (from ``app_dir``) or accept a loopback ``http(s)://`` URL."""
    if spec.startswith(("http://", "https://")):
        host = urlsplit(spec).hostname or ""
        if host not in LOOPBACK:
            raise TargetError(f"{spec}: profile sends traffic to loopback addresses only")
        return Target(spec, None, spec.rstrip("/"))
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise TargetError(f"{spec}: expected 'module:attribute' (like main:app) or an http:// URL")
    directory = str((app_dir or Path()).resolve())
    if app_dir is not None and not app_dir.is_dir():
        raise TargetError(f"--app-dir {app_dir}: no such directory")
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as error:
        raise TargetError(f"cannot import {module_name}: {type(error).__name__}: {error}") from None
    app = getattr(module, attribute, None)
    if app is None or not callable(app):
        raise TargetError(f"{spec}: {module_name} has no ASGI application named {attribute!r}")
    return Target(spec, app, IN_PROCESS_URL)


@asynccontextmanager
async def lifespan(app: ASGIApp, timeout: float) -> AsyncIterator[dict[str, Any]]:
    """Run the app's startup, yield its lifespan state, run its shutdown."""
    state: dict[str, Any] = {}
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope: dict[str, Any] = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    reply = await _reply(task, outbox, timeout)
    if reply is not None and reply["type"] == "lifespan.startup.failed":
        lines = str(reply.get("message", "")).strip().splitlines() or [""]
        raise TargetError(f"the app's startup failed: {lines[-1]}")
    try:
        yield state
    finally:
        if reply is not None:
            await inbox.put({"type": "lifespan.shutdown"})
            await _reply(task, outbox, timeout)
        task.cancel()


async def _reply(
    task: asyncio.Future[None], outbox: asyncio.Queue[Message], timeout: float
) -> Message | None:
    """The app's next lifespan message; None when it does not speak the lifespan protocol."""
    getter = asyncio.ensure_future(outbox.get())
    waiting: set[asyncio.Future[Any]] = {task, getter}
    done, _ = await asyncio.wait(waiting, timeout=timeout, return_when="FIRST_COMPLETED")
    if getter in done:
        return getter.result()
    getter.cancel()
    if not done:
        raise TargetError(f"the app's lifespan did not answer within {timeout:g} s")
    return None


@asynccontextmanager
async def session(
    target: Target,
    timeout: float,
    wrap: Callable[[ASGIApp, dict[str, Any]], ASGIApp],
    headers: dict[str, str],
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client sending ``headers`` to the target (its app passed through ``wrap`` with
    the lifespan state); checks that a URL target answers at all."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    if target.app is None:
        async with httpx.AsyncClient(
            base_url=target.base_url, timeout=timeout, limits=limits, headers=headers
        ) as client:
            try:
                await client.get("/", timeout=min(timeout, 10.0))
            except httpx.HTTPError as error:
                message = str(error) or type(error).__name__
                raise TargetError(f"{target.base_url} does not answer: {message}") from None
            yield client
        return
    async with lifespan(target.app, timeout) as state:
        transport = httpx.ASGITransport(app=wrap(target.app, state), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url=target.base_url, timeout=timeout, headers=headers
        ) as client:
            yield client


def curl_line(method: str, url: str, body: str | None = None) -> str:
    """The request as a ``curl`` command a user can paste."""
    parts = ["curl", "-sS", "-X", method, _quote(url)]
    if body is not None:
        parts += ["-H", "'Content-Type: application/json'", "-d", _quote(body)]
    return " ".join(parts)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
