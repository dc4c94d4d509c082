"""One profile run: time every readable operation, look for N+1 queries, a blocked event loop
and hotspots, then turn the measurements into findings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from apismith.dynamic.schema import OpenAPI, load_schema
from apismith.dynamic.target import Target
from apismith.profile.checks import run_checks
from apismith.profile.connect import check_answers, public_url, session
from apismith.profile.growth import measure_growth, measure_latency_growth
from apismith.profile.hotspots import profile_call
from apismith.profile.measure import Sender, Timing
from apismith.profile.plan import Planner
from apismith.profile.result import Contention, Options, ProfileResult
from apismith.profile.signin import sign_in
from apismith.profile.sql import Traces, recording
from apismith.profile.watchdog import Watchdog

Progress = Callable[[str], None]
PROFILED = 3


def profile(
    target: Target, options: Options, schema_file: Path | None, progress: Progress
) -> ProfileResult:
    """Profile ``target`` and return its measurements and findings."""
    started = time.perf_counter()
    if not target.in_process:
        asyncio.run(check_answers(target.base_url, options.timeout))
    progress("reading the OpenAPI schema")
    schema = load_schema(target, schema_file)
    result = asyncio.run(_profile(target, schema, options, progress))
    result.seconds = round(time.perf_counter() - started, 2)
    return result


async def _profile(
    target: Target, schema: OpenAPI, options: Options, progress: Progress
) -> ProfileResult:
    headers = dict(options.headers)
    result = ProfileResult(target.spec, public_url(target), target.in_process, headers)
    traces = Traces()
    with recording() as uses_sql:
        async with session(target, options.timeout, traces, headers) as client:
            if not headers:
                progress("signing up")
                signed = await sign_in(client, schema)
                client.headers.update(signed)
                result.headers.update(signed)
            result.uses_sql = uses_sql and target.in_process
            sender = Sender(client, traces if result.uses_sql else None, options.timeout)
            planner = Planner(client, schema.document)
            if target.in_process:
                with Watchdog(options.block_ms / 1000) as watchdog:
                    await _time_all(result, sender, planner, schema, options, watchdog, progress)
                    if result.uses_sql:
                        progress("looking for N+1 queries")
                        result.growth = await measure_growth(
                            result.timings, sender, planner, list(schema), options, watchdog
                        )
                result.blocks = watchdog.blocks
                await _profile_slowest(result, sender, options, progress)
            else:
                await _time_all(result, sender, planner, schema, options, None, progress)
                await _contend(result, sender, options, progress)
                progress("looking for list operations that slow down per item")
                result.latency_growth = await measure_latency_growth(
                    result.timings, sender, planner, list(schema), options
                )
    result.findings = run_checks(result, options)
    result.requests = sum(1 + len(t.samples) for t in result.timings)
    return result


async def _time_all(
    result: ProfileResult,
    sender: Sender,
    planner: Planner,
    schema: OpenAPI,
    options: Options,
    watchdog: Watchdog | None,
    progress: Progress,
) -> None:
    readable = [op for op in schema if op.method == "GET"]
    for position, operation in enumerate(readable, start=1):
        call = await planner.call(operation)
        progress(f"[{position}/{len(readable)}] {operation.label}")
        _label(watchdog, operation.label)
        first = await sender.send(call)
        if first.status == 0 or 400 <= first.status < 500:
            reason = first.excerpt if first.status == 0 else f"answers {first.status}"
            result.skipped.append((operation.label, reason))
            continue
        samples = await sender.burst(call, options.requests, options.concurrency, options.budget)
        timing = Timing(call, first, samples)
        if timing.percentile(0.5) >= options.slow_ms and options.concurrent:
            await sender.scaling(timing)
        result.timings.append(timing)
    _label(watchdog, "")


def _label(watchdog: Watchdog | None, label: str) -> None:
    """Tell the watchdog which operation is being served now."""
    if watchdog is not None:
        watchdog.label = label


async def _profile_slowest(
    result: ProfileResult, sender: Sender, options: Options, progress: Progress
) -> None:
    """Profile the slowest operation, and every slow one up to a few."""
    ranked = sorted(result.timings, key=lambda t: -t.percentile(0.5))
    chosen = [t for t in ranked[:PROFILED] if t.percentile(0.5) >= options.slow_ms] or ranked[:1]
    for timing in chosen:
        label = timing.call.operation.label
        progress(f"profiling {label}")
        result.profiles[label] = await profile_call(label, partial(sender.send, timing.call))


async def _contend(
    result: ProfileResult, sender: Sender, options: Options, progress: Progress
) -> None:
    """From outside: does a cheap request wait for a slow one to finish?"""
    if len(result.timings) < 2:
        return
    ranked = sorted(result.timings, key=lambda t: t.percentile(0.5))
    cheap = ranked[0]
    for timing in ranked[1:]:
        if timing.percentile(0.5) < max(options.block_ms, cheap.percentile(0.5) * 5):
            continue
        progress(f"checking whether {timing.call.operation.label} blocks the server")
        delay = min(0.02, timing.percentile(0.5) / 4000)
        tries: list[tuple[float, float, float]] = []
        for _ in range(2):
            slow = asyncio.ensure_future(sender.send(timing.call))
            await asyncio.sleep(delay)
            probe = await sender.send(cheap.call)
            held = await slow
            alone = await sender.send(cheap.call)
            tries.append(
                (
                    round(held.seconds * 1000, 2),
                    round(probe.seconds * 1000, 2),
                    round(alone.seconds * 1000, 2),
                )
            )
        result.contention.append(
            Contention(timing, cheap.call.operation.label, delay * 1000, tuple(tries))
        )
