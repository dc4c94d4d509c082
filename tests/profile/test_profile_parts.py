"""The parts of ``apismith profile`` on their own: SQL normalising, values, the watchdog."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import Any

import httpx
import pytest

from apismith.dynamic.schema import Operation
from apismith.profile.checks import loop_blocked
from apismith.profile.connect import reproduce
from apismith.profile.measure import Sample, Timing
from apismith.profile.plan import Call, id_of, items_of
from apismith.profile.result import Contention, ProfileResult
from apismith.profile.sql import most_repeated, normalise, recording
from apismith.profile.values import Values
from apismith.profile.watchdog import Watchdog, is_app_file


def test_normalise_makes_repeats_of_a_statement_equal() -> None:
    first = "SELECT *\n  FROM books WHERE id = 12 AND name = 'it''s' AND x IN (?, ?, ?)"
    second = "SELECT * FROM books WHERE id = 7 AND name = 'other' AND x IN (?)"
    assert normalise(first) == normalise(second)
    assert normalise(first) == "SELECT * FROM books WHERE id = ? AND name = ? AND x IN (?)"
    assert most_repeated([]) == ("", 0)
    assert most_repeated(["SELECT 1", "SELECT 2", "SELECT a"]) == ("SELECT ?", 2)


def test_recording_is_off_when_the_app_does_not_use_sqlalchemy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "sqlalchemy", raising=False)
    with recording() as uses_sql:
        assert uses_sql is False


DOCUMENT: dict[str, Any] = {
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["name", "email", "kind", "price", "tags", "owner_id", "when"],
                "properties": {
                    "name": {"type": "string", "minLength": 12, "maxLength": 14},
                    "email": {"type": "string", "format": "email"},
                    "kind": {"enum": ["book", "pen"]},
                    "price": {"type": "number", "exclusiveMinimum": 5, "maximum": 9},
                    "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}},
                    "owner_id": {"type": "integer"},
                    "when": {"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/When"}]},
                    "note": {"type": "string"},
                },
            },
            "When": {"type": ["null", "string"], "format": "date"},
        }
    }
}


def test_values_fit_their_schemas() -> None:
    values = Values(DOCUMENT, {"owner_id": 42}, salt="")
    item = values.example({"$ref": "#/components/schemas/Item"})
    assert isinstance(item, dict)
    assert item.pop("name") == "sample1xxxxx"
    assert item == {
        "email": "user2@example.com",
        "kind": "book",
        "price": 6.0,
        "tags": ["sam"],
        "owner_id": 42,
        "when": "2024-01-05",
    }
    assert values.example({"type": "boolean"}) is True
    assert values.example({"type": "integer", "default": 3}) == 3
    assert values.example({"examples": ["x"]}) == "x"
    assert values.example({"const": 7}) == 7
    assert values.example({"type": "integer", "maximum": 0}) == 0
    assert values.example({"properties": {"a": {}}}) == {}
    deep: dict[str, Any] = {"type": "array", "items": {"type": "array", "items": {}}}
    assert values.example(deep, depth=3) == [[]]
    nested: dict[str, Any] = {"type": "object", "required": ["a"], "properties": {"a": {}}}
    assert values.example(nested, depth=4) == {}
    assert values.resolve({"$ref": "#/components/schemas/Absent"}) == {}


def test_list_responses_and_their_ids() -> None:
    assert items_of({"items": [{"id": 1}], "total": 1}) == [{"id": 1}]
    assert items_of({"a": [], "b": []}) is None
    assert items_of([1, 2]) is None
    assert id_of({"author_id": 3, "id": 9}, "author_id") == 3
    assert id_of({"slug": "x", "flag": True}, "post") == "x"
    assert id_of({"flag": True}, "flag") is None


def test_percentiles_and_curl() -> None:
    call = Call(Operation("GET", "/x", "x"), "/x")
    timing = Timing(call, Sample(200, 0.5))
    assert timing.percentile(0.5) == 500.0
    assert timing.statements_per_request is None
    timing.samples = [Sample(200, s / 1000, ("SELECT 1",)) for s in range(1, 101)]
    assert (timing.percentile(0.5), timing.percentile(0.95), timing.percentile(0.99)) == (
        50.0,
        95.0,
        99.0,
    )
    assert timing.statements_per_request == 1.0
    line = reproduce("http://127.0.0.1:8000", "POST", "/x", {"X-Key": "k"}, '{"a": 1}')
    assert line == (
        "curl -i -X POST http://127.0.0.1:8000/x -H 'x-key: k' "
        "-H 'content-type: application/json' --data-raw '{\"a\": 1}'"
    )


def test_app_files_exclude_python_libraries_and_apismith() -> None:
    assert is_app_file(__file__)
    assert not is_app_file(threading.__file__)
    assert not is_app_file(httpx.__file__)
    assert not is_app_file(str(sys.modules[Values.__module__].__file__))
    assert not is_app_file("<frozen importlib._bootstrap>")


def test_watchdog_blames_app_code_and_ignores_library_pauses() -> None:
    box: list[Watchdog] = []

    async def main() -> None:
        with Watchdog(0.02, interval=0.005) as watchdog:
            watchdog.label = "GET /sleepy"
            await asyncio.sleep(0.03)
            time.sleep(0.1)
            await asyncio.sleep(0.03)
            watchdog.label = "library"
            asyncio.get_running_loop().call_soon(time.sleep, 0.1)
            await asyncio.sleep(0.15)
        box.append(watchdog)

    # asyncio.run as the thread's target: no frame of this file under the library's sleep.
    thread = threading.Thread(target=asyncio.run, args=(main(),))
    thread.start()
    thread.join()
    [block] = box[0].blocks
    assert block.label == "GET /sleepy"
    assert block.seconds >= 0.09
    assert block.stack[-1].code == "time.sleep(0.1)"
    assert block.stack[-1].file.endswith("test_profile_parts.py")


def test_watchdog_stops_while_the_loop_is_held() -> None:
    async def main() -> Watchdog:
        with Watchdog(0.01, interval=0.005) as watchdog:
            await asyncio.sleep(0.02)
            time.sleep(0.05)
        return watchdog

    started = time.perf_counter()
    watchdog = asyncio.run(main())
    assert time.perf_counter() - started < 2
    assert watchdog.blocks == []


def test_generated_strings_differ_between_runs() -> None:
    schema = {"type": "string", "format": "email"}
    assert Values({}).example(schema) != Values({}).example(schema)


def test_contention_counts_only_waits_beyond_the_cheap_requests_own_time() -> None:
    slow = Timing(Call(Operation("GET", "/slow", "slow"), "/slow"), Sample(200, 0.4))
    result = ProfileResult("http://127.0.0.1:1", "http://127.0.0.1:1", in_process=False)
    # Blocked: the cheap request waits ~380 ms beside the slow one, 5 ms alone.
    result.contention.append(Contention(slow, "GET /health", 20.0, ((400, 385, 5), (410, 390, 4))))
    assert [f.path for f in loop_blocked.check(result)] == ["/slow"]
    # A busy machine: the cheap request is as slow alone as beside the slow one.
    result.contention[:] = [
        Contention(slow, "GET /health", 20.0, ((400, 300, 280), (410, 310, 290)))
    ]
    assert loop_blocked.check(result) == []
    # Blocked once only: not every try waited, so nothing is claimed.
    result.contention[:] = [Contention(slow, "GET /health", 20.0, ((400, 385, 5), (410, 12, 5)))]
    assert loop_blocked.check(result) == []
