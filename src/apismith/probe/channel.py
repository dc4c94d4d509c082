"""The one way requests reach the target: counted, time-limited, recorded.

The target's client lives on an event loop in a background thread so that checks (and
hypothesis, which calls plain functions) can send requests synchronously, and so that a
handler that blocks the loop shows up as a hang here instead of freezing apismith.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from apismith.dynamic.schema import Operation
from apismith.dynamic.target import Target, curl_line

BODY_LIMIT = 4000


class BudgetExhausted(Exception):
    """Raised by :meth:`Channel.send` once ``--max-requests`` or ``--time-limit`` is used up."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and what came back: a response, a timeout or a dropped connection."""

    operation: Operation | None
    request: httpx.Request
    identity: str
    status: int | None
    headers: httpx.Headers
    text: str
    error: str = ""
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def curl(self) -> str:
        """The request as a curl command line."""
        return curl_line(self.request)

    def json(self) -> Any:
        """The body parsed as JSON, or None."""
        try:
            return httpx.Response(200, content=self.text.encode()).json()
        except ValueError:
            return None


class Channel:
    """Sends requests to a target within a request budget and a deadline."""

    def __init__(
        self,
        target: Target,
        *,
        max_requests: int,
        time_limit: float,
        timeout: float,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.target = target
        self.max_requests = max_requests
        self.timeout = timeout
        self.deadline = time.monotonic() + time_limit
        self.progress = progress
        self.sent = 0
        self.exchanges: list[Exchange] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stack = AsyncExitStack()
        self._client: httpx.AsyncClient | None = None
        self._stuck = False

    def __enter__(self) -> Channel:
        self._thread.start()
        try:
            self._client = self._run(self._open(), self.timeout * 3)
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if not self._stuck:
            # A target that does not shut down cleanly is not the user's question.
            with contextlib.suppress(Exception):
                self._run(self._stack.aclose(), self.timeout)
        self._stop()

    @property
    def remaining(self) -> int:
        """Requests left in the budget (0 once the deadline passed)."""
        if time.monotonic() >= self.deadline or self._stuck:
            return 0
        return max(0, self.max_requests - self.sent)

    def send(self, request: httpx.Request, operation: Operation | None, identity: str) -> Exchange:
        """Send ``request`` and record the exchange; raise :class:`BudgetExhausted` when done."""
        if self.remaining <= 0:
            raise BudgetExhausted
        self.sent += 1
        started = time.monotonic()
        try:
            response = self._run(self._send(request), self.timeout + 2)
        except (TimeoutError, concurrent.futures.TimeoutError):
            # The loop itself did not come back: a handler blocks it; stop sending.
            self._stuck = self.target.in_process
            exchange = self._failed(request, operation, identity, "no answer (hang)", started)
        except httpx.TimeoutException:
            exchange = self._failed(request, operation, identity, "no answer (hang)", started)
        except httpx.TransportError as error:
            reason = f"connection dropped ({type(error).__name__})"
            exchange = self._failed(request, operation, identity, reason, started)
        else:
            exchange = Exchange(
                operation=operation,
                request=request,
                identity=identity,
                status=response.status_code,
                headers=response.headers,
                text=response.text[:BODY_LIMIT],
                elapsed=time.monotonic() - started,
            )
        self.exchanges.append(exchange)
        if self.progress is not None:
            self.progress(self.sent)
        return exchange

    async def _open(self) -> httpx.AsyncClient:
        return await self._stack.enter_async_context(self.target.session(self.timeout))

    async def _send(self, request: httpx.Request) -> httpx.Response:
        assert self._client is not None
        try:
            try:
                return await asyncio.wait_for(self._client.send(request), self.timeout)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # A kept-alive connection the server closed after its last answer (uvicorn
                # does after a 500) fails at once; a second try on a fresh one tells apart a
                # server that really drops the connection.
                return await asyncio.wait_for(self._client.send(request), self.timeout)
        except TimeoutError:
            raise httpx.ReadTimeout("no answer", request=request) from None

    def _failed(
        self,
        request: httpx.Request,
        operation: Operation | None,
        identity: str,
        reason: str,
        started: float,
    ) -> Exchange:
        return Exchange(
            operation=operation,
            request=request,
            identity=identity,
            status=None,
            headers=httpx.Headers(),
            text="",
            error=reason,
            elapsed=time.monotonic() - started,
        )

    def _run(self, coroutine: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        if not self._stuck:
            self._thread.join(timeout=self.timeout)
        if not self._thread.is_alive():
            self._loop.close()
