"""A running app to exercise: an ASGI app imported in-process, or a base URL on this machine."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import ipaddress
import shlex
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from apismith.errors import TargetError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

IN_PROCESS_URL = "http://testserver"
# Headers every client sends on its own; a reproducing curl line leaves them out.
_IMPLICIT_HEADERS = frozenset(
    {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}
)


@dataclass(frozen=True, slots=True)
class Target:
    """What ``probe`` and ``profile`` talk to; ``app`` is None for a URL target."""

    spec: str
    app: ASGIApp | None
    base_url: str

    @property
    def in_process(self) -> bool:
        """True when requests go straight to the imported app, without a network."""
        return self.app is not None

    @asynccontextmanager
    async def session(self, timeout: float) -> AsyncIterator[httpx.AsyncClient]:
        """A client for the target; an in-process app is started and stopped around it."""
        if self.app is None:
            async with httpx.AsyncClient(
                base_url=self.base_url, timeout=timeout, follow_redirects=False
            ) as client:
                yield client
            return
        async with _lifespan(self.app) as app:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url=self.base_url, timeout=timeout
            ) as client:
                yield client


def load_target(spec: str, *, app_dir: Path | None = None, allow_remote: bool = False) -> Target:
    """Resolve ``module.path:attr`` or an ``http(s)://`` URL to a :class:`Target`."""
    spec = spec.strip()
    if spec.startswith(("http://", "https://")):
        return _url_target(spec, allow_remote)
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise TargetError(
            f"{spec!r}: expected an import string 'module.path:app' or an http(s):// URL"
        )
    return Target(
        spec=spec, app=_import_app(module_name, attribute, app_dir), base_url=IN_PROCESS_URL
    )


def curl_line(request: httpx.Request) -> str:
    """The request as a shell-quoted ``curl`` command line."""
    parts = ["curl", "-i", "-X", request.method, shlex.quote(str(request.url))]
    for name, value in request.headers.multi_items():
        if name.lower() not in _IMPLICIT_HEADERS:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    # An async stream (a generator body) cannot be read here; it is left out.
    raw = request.read() if isinstance(request.stream, Iterable) else b""
    body = raw.decode("utf-8", errors="replace")
    if body and any(ord(c) < 0x20 for c in body):
        parts += ["--data-binary", _ansi_c_quote(body)]
    elif body:
        parts += ["--data-raw", shlex.quote(body)]
    return " ".join(parts)


def _ansi_c_quote(text: str) -> str:
    """``$'...'`` quoting, so that a body with line breaks stays on one line."""
    escaped = "".join(
        {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c)
        or (f"\\x{ord(c):02x}" if ord(c) < 0x20 else c)
        for c in text
    )
    return f"$'{escaped}'"


def _url_target(spec: str, allow_remote: bool) -> Target:
    try:
        url = httpx.URL(spec)
    except httpx.InvalidURL as error:
        raise TargetError(f"{spec!r}: not a valid URL ({error})") from None
    host = url.host
    if not host:
        raise TargetError(f"{spec!r}: the URL names no host")
    if not allow_remote:
        try:
            infos = socket.getaddrinfo(host, url.port or 80, proto=socket.IPPROTO_TCP)
        except OSError as error:
            raise TargetError(f"{spec}: cannot resolve {host!r} ({error})") from None
        addresses = {str(info[4][0]) for info in infos}
        remote = sorted(a for a in addresses if not ipaddress.ip_address(a).is_loopback)
        if remote:
            raise TargetError(
                f"{spec}: {host} resolves to {', '.join(remote)}, which is not this machine; "
                "pass --allow-remote to send traffic to it"
            )
    base = str(url.copy_with(query=None, fragment=None)).rstrip("/")
    return Target(spec=spec, app=None, base_url=base)


def _import_app(module_name: str, attribute: str, app_dir: Path | None) -> ASGIApp:
    # As uvicorn's --app-dir, which defaults to the current directory.
    directory = app_dir if app_dir is not None else Path.cwd()
    if not directory.is_dir():
        raise TargetError(f"--app-dir {directory}: no such directory")
    if str(directory.resolve()) not in sys.path:
        sys.path.insert(0, str(directory.resolve()))
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as error:
        summary = str(error).splitlines()[0] if str(error) else ""
        raise TargetError(
            f"cannot import {module_name!r}: {type(error).__name__}"
            + (f": {summary}" if summary else "")
        ) from None
    value: object = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise TargetError(f"module {module_name!r} has no attribute {attribute!r}")
        value = getattr(value, part)
    if not _is_asgi(value) and _is_factory(value):
        try:
            value = value()  # type: ignore[operator]
        except Exception as error:
            raise TargetError(
                f"{module_name}:{attribute}(): {type(error).__name__}: {error}"
            ) from None
    if not _is_asgi(value):
        raise TargetError(
            f"{module_name}:{attribute} is a {type(value).__name__}, not an ASGI application"
        )
    return value  # type: ignore[return-value]


def _is_asgi(value: object) -> bool:
    """An ASGI app: an instance or function whose call is ``async (scope, receive, send)``."""
    if inspect.isclass(value) or not callable(value):
        return False
    call = value if inspect.isfunction(value) else getattr(value, "__call__", None)  # noqa: B004
    if not inspect.iscoroutinefunction(call):
        return False
    try:
        return len(inspect.signature(call).parameters) == 3
    except (TypeError, ValueError):
        return False


def _is_factory(value: object) -> bool:
    """A plain function callable with no arguments, like uvicorn's ``--factory`` targets."""
    if not inspect.isfunction(value) or inspect.iscoroutinefunction(value):
        return False
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in inspect.signature(value).parameters.values()
    )


@asynccontextmanager
async def _lifespan(app: ASGIApp) -> AsyncIterator[ASGIApp]:
    """Run the app's ASGI lifespan around the block; yield the app with its lifespan state."""
    state: dict[str, Any] = {}
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}

    async def receive() -> Message:
        return await inbox.get()

    async def send(message: Message) -> None:
        await outbox.put(message)

    async def run() -> None:
        # An app without lifespan support returns or raises at once without a reply; the
        # sentinel stands in for that reply so the waiting side never hangs.
        try:
            await app(scope, receive, send)
        except Exception as error:
            await outbox.put({"type": "apismith.lifespan.ended", "message": repr(error)})
        else:
            await outbox.put({"type": "apismith.lifespan.ended"})

    task = asyncio.create_task(run())
    await inbox.put({"type": "lifespan.startup"})
    reply = await outbox.get()
    if reply["type"] == "lifespan.startup.failed":
        await task
        # Starlette sends the whole traceback; its last line names the exception.
        lines = [line for line in str(reply.get("message", "")).splitlines() if line.strip()]
        raise TargetError("the app failed to start" + (f": {lines[-1]}" if lines else ""))
    supported = reply["type"] == "lifespan.startup.complete"

    async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "state": dict(state)}
        await app(scope, receive, send)

    try:
        yield with_state
    finally:
        if supported:
            await inbox.put({"type": "lifespan.shutdown"})
            await outbox.get()
        await task
