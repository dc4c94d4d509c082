"""More data for the list operations: objects added through the app's own create operations.

A list operation is measured once, then objects are created by POSTing schema-made bodies to
the same collection, and it is measured again: its SQL statements in-process (``seed``
objects), its fastest latency from outside (``url_seed`` objects, enough for a query per item
to show in the time). A ``*_id`` field of a body is filled
with a parent made for it through the parent collection's create operation, so that every
new object has its own parent (an N+1 on a many-to-one relationship shows only then), or with
the first listed parent when the parent cannot be created.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx

from apismith.dynamic.schema import Operation
from apismith.profile.measure import Sender, Timing
from apismith.profile.plan import Call, Planner, id_of
from apismith.profile.result import Growth, LatencyGrowth, Options
from apismith.profile.values import Values
from apismith.profile.watchdog import Watchdog

FASTEST_OF = 20
PAUSE = 0.25


def creates_of(operations: list[Operation]) -> list[Operation]:
    """The operations that add an object: POST with a JSON body."""
    return [
        op
        for op in operations
        if op.method == "POST" and op.body_schema is not None and "json" in str(op.body_media_type)
    ]


async def add_objects(
    timing: Timing, count: int, sender: Sender, planner: Planner, creates: list[Operation]
) -> int | None:
    """Create ``count`` objects in a list operation's collection; how many the app accepted,
    or None when the collection has no create operation."""
    collection = urlsplit(timing.call.url).path
    create = await _create_for(collection, creates, planner) if count else None
    if create is None:
        return None
    created = 0
    for _ in range(count):
        body = planner.body(create.operation, await _parents(create.operation, creates, planner))
        sample = await sender.send(Call(create.operation, create.url, body))
        created += 200 <= sample.status < 300
    planner.forget(collection)
    return created


async def measure_growth(
    timings: list[Timing],
    sender: Sender,
    planner: Planner,
    operations: list[Operation],
    options: Options,
    watchdog: Watchdog,
) -> list[Growth]:
    """SQL statements of each list operation before and after adding objects to it."""
    creates = creates_of(operations)
    grown: list[Growth] = []
    for timing in timings:
        if timing.first.items is None or timing.first.statements is None:
            continue
        created = await add_objects(timing, options.seed, sender, planner, creates)
        if created is None:
            grown.append(Growth(timing, timing.first, None, 0))
            continue
        watchdog.label = timing.call.operation.label
        after = await sender.send(timing.call)
        watchdog.label = ""
        grown.append(Growth(timing, timing.first, after, created))
    return grown


async def measure_latency_growth(
    timings: list[Timing],
    sender: Sender,
    planner: Planner,
    operations: list[Operation],
    options: Options,
) -> list[LatencyGrowth]:
    """From outside: the fastest latency of each list operation before and after adding
    ``options.url_seed`` objects to it. The fastest of many sequential requests, because a
    busy machine only ever adds time: the minimum is the operation's own cost."""
    creates = creates_of(operations)
    grown: list[LatencyGrowth] = []
    for timing in timings:
        if timing.first.items is None or not 200 <= timing.first.status < 300:
            continue
        before = await _fastest_of_two(timing, sender)
        if await add_objects(timing, options.url_seed, sender, planner, creates) is None:
            continue
        after = await _fastest_of_two(timing, sender)
        grown.append(LatencyGrowth(timing, *before, *after))
    return grown


async def _fastest_of_two(timing: Timing, sender: Sender) -> tuple[float, int]:
    """The fastest of two windows apart, so that a burst of load elsewhere cannot fill both:
    before adding objects as after, or a slow first window hides the growth."""
    first = await _fastest(timing, sender)
    await asyncio.sleep(PAUSE)
    return min(first, await _fastest(timing, sender))


async def _fastest(timing: Timing, sender: Sender) -> tuple[float, int]:
    """The fastest of ``FASTEST_OF`` sequential requests in ms, and the items it listed."""
    samples = [await sender.send(timing.call) for _ in range(FASTEST_OF)]
    fastest = min(samples, key=lambda sample: sample.seconds)
    return round(fastest.seconds * 1000, 3), fastest.items or 0


async def _create_for(collection: str, creates: list[Operation], planner: Planner) -> Call | None:
    """The POST call on the same collection as a list operation."""
    for operation in creates:
        call = await planner.call(operation)
        if urlsplit(call.url).path.rstrip("/") == collection.rstrip("/"):
            return call
    return None


async def _parents(
    operation: Operation, creates: list[Operation], planner: Planner
) -> dict[str, object]:
    """Values for the body's required ``*_id`` fields: a new parent each time when possible."""
    schema = Values(planner.document).resolve(operation.body_schema or {})
    ids: dict[str, object] = {}
    for name in schema.get("required", []):
        stem = str(name).removesuffix("_id").removesuffix("Id")
        if stem == name or not stem:
            continue
        parent = next((op for op in creates if _names(op.path, stem)), None)
        value = await _new_parent(parent, name, planner) if parent is not None else None
        if value is None:
            value = await _listed_parent(stem, name, planner)
        if value is not None:
            ids[str(name)] = value
    return ids


def _names(path: str, stem: str) -> bool:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return "{" not in path and last.lower().startswith(stem.lower())


async def _new_parent(parent: Operation, name: str, planner: Planner) -> object:
    call = await planner.call(parent)
    try:
        response = await planner.client.post(call.url, json=planner.body(parent, {}))
        created: Any = response.json() if response.status_code < 300 else None
    except (httpx.HTTPError, ValueError):
        return None
    return id_of(created, name) if isinstance(created, dict) else None


async def _listed_parent(stem: str, name: str, planner: Planner) -> object:
    for operation_path in planner.document["paths"]:
        if _names(str(operation_path), stem):
            listed = await planner.listing(str(operation_path))
            if listed:
                return id_of(listed[0], name)
    return None
