"""Sending requests and timing them: one at a time, or ``requests`` of them at ``concurrency``."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
import uuid
from dataclasses import dataclass, field

import httpx

from apismith.profile.plan import Call, items_of
from apismith.profile.sql import TRACE_HEADER, Traces

EXCERPT = 300
CONTENDED = 1.3
TRIALS = 3


@dataclass(frozen=True, slots=True)
class Sample:
    """One response: status (0 when none came), wall time, statements, listed items."""

    status: int
    seconds: float
    statements: tuple[str, ...] | None = None
    items: int | None = None
    excerpt: str = ""


@dataclass(slots=True)
class Timing:
    """What ``requests`` calls of one operation measured."""

    call: Call
    first: Sample
    samples: list[Sample] = field(default_factory=list)
    alone: list[Sample] = field(default_factory=list)
    pairs: list[float] = field(default_factory=list)

    @property
    def contended(self) -> bool | None:
        """Whether two requests at once take 1.3 times as long as one alone (None when not
        measured). Fastest against fastest: load elsewhere only adds time, and two requests
        that hold the interpreter need twice its time whatever else runs."""
        if not self.pairs:
            return None
        return min(self.pairs) >= CONTENDED * min(s.seconds for s in (self.first, *self.alone))

    @property
    def alone_ms(self) -> float:
        """The fastest latency of a request sent while no other was in flight."""
        return round(min(s.seconds for s in (self.first, *self.alone)) * 1000, 2)

    def percentile(self, share: float) -> float:
        """Latency in milliseconds at ``share`` (0.5, 0.95, 0.99), nearest-rank."""
        ordered = sorted(s.seconds for s in self.samples) or [self.first.seconds]
        rank = max(1, math.ceil(share * len(ordered)))
        return round(ordered[rank - 1] * 1000, 2)

    @property
    def statements_per_request(self) -> float | None:
        """Mean SQL statements per request, when they were counted."""
        counts = [len(s.statements) for s in self.samples if s.statements is not None]
        return round(sum(counts) / len(counts), 1) if counts else None


class Sender:
    """Sends calls through one client; in-process, each carries a trace id for SQL counting."""

    def __init__(self, client: httpx.AsyncClient, traces: Traces | None, timeout: float) -> None:
        self.client = client
        self.traces = traces
        self.timeout = timeout

    async def send(self, call: Call) -> Sample:
        """Send one call and describe its response."""
        trace = uuid.uuid4().hex
        headers = dict(call.headers)
        if self.traces is not None:
            headers[TRACE_HEADER.decode()] = trace
        content = None if call.body is None else json.dumps(call.body)
        if content is not None:
            headers["content-type"] = "application/json"
        method = call.operation.method
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(
                self.client.request(method, call.url, content=content, headers=headers),
                self.timeout,
            )
        except (httpx.HTTPError, TimeoutError) as error:
            seconds = time.perf_counter() - started
            return Sample(0, seconds, excerpt=f"no response: {str(error) or type(error).__name__}")
        seconds = time.perf_counter() - started
        statements = self.traces.pop(trace) if self.traces is not None else None
        try:
            listed = items_of(response.json())
        except ValueError:
            listed = None
        return Sample(
            response.status_code,
            seconds,
            tuple(statements) if statements is not None else None,
            len(listed) if listed is not None else None,
            response.text[:EXCERPT],
        )

    async def burst(
        self, call: Call, requests: int, concurrency: int, budget: float
    ) -> list[Sample]:
        """``requests`` calls from ``concurrency`` workers; no new call after ``budget`` s."""
        counter = itertools.count()
        deadline = time.perf_counter() + budget
        samples: list[Sample] = []

        async def worker() -> None:
            while next(counter) < requests and time.perf_counter() < deadline:
                samples.append(await self.send(call))

        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, requests)))))
        return samples

    async def scaling(self, timing: Timing) -> None:
        """Trials of one request alone, then two at once: do they wait for each other?"""
        for _ in range(TRIALS):
            timing.alone.append(await self.send(timing.call))
            pair = await asyncio.gather(self.send(timing.call), self.send(timing.call))
            timing.pairs.append(max(sample.seconds for sample in pair))
