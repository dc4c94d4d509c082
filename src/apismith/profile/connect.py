"""Reaching the profiled app through the shared :class:`~apismith.dynamic.target.Target`.

In-process apps are wrapped by :func:`apismith.profile.sql.traced` so that SQL statements are
attributed to requests; every request carries the user's headers (``--auth``, ``--header``).
Reproducing curl lines point in-process operations at ``http://127.0.0.1:8000``, where
``uvicorn pkg.main:app`` serves by default.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx

from apismith.dynamic.target import Target, curl_line
from apismith.errors import TargetError
from apismith.profile.sql import Traces, traced

IN_PROCESS_URL = "http://127.0.0.1:8000"


@asynccontextmanager
async def session(
    target: Target, timeout: float, traces: Traces, headers: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """A client for ``target`` that sends ``headers``; an in-process app must start within
    ``timeout`` seconds."""
    if target.app is not None:
        target = dataclasses.replace(target, app=traced(target.app, traces))
    async with AsyncExitStack() as stack:
        try:
            client = await asyncio.wait_for(
                stack.enter_async_context(target.session(timeout)), timeout
            )
        except TimeoutError:
            raise TargetError(
                f"{target.spec}: the app did not start within {timeout:g} s"
            ) from None
        client.headers.update(headers)
        yield client


async def check_answers(base_url: str, timeout: float) -> None:
    """Raise :class:`TargetError` unless something answers HTTP at ``base_url``."""
    async with httpx.AsyncClient(timeout=min(timeout, 10.0)) as client:
        try:
            await client.get(base_url + "/")
        except httpx.HTTPError as error:
            message = str(error) or type(error).__name__
            raise TargetError(f"{base_url} does not answer: {message}") from None


def public_url(target: Target) -> str:
    """The base URL reproducing curl lines use."""
    return IN_PROCESS_URL if target.in_process else target.base_url


def reproduce(base: str, method: str, url: str, headers: dict[str, str], body: str | None) -> str:
    """The curl line that repeats one request of the profile."""
    if body is not None:
        headers = {**headers, "content-type": "application/json"}
    request = httpx.Request(method, base + url, headers=headers, content=body)
    return curl_line(request)
