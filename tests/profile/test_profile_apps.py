"""``apismith profile`` on the planted app and its correct twin, in-process and under uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from profile_helpers import FAST, profile_json

PLANTED = {
    ("PRF001", "/authors"),
    ("PRF002", "/report"),
    ("PRF003", "/primes"),
    ("PRF003", "/export"),
}
# Two concurrent requests to the loop-blocking /report wait for each other: slow as well.
ALSO = {("PRF003", "/report")}
SERIOUS = {"medium", "high", "critical"}


@pytest.fixture(scope="module")
def planted(apps: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    out = tmp_path_factory.mktemp("planted")
    code, report, _ = profile_json(
        "planted_shop:app",
        "--app-dir",
        str(apps),
        *FAST,
        "--html",
        str(out / "report.html"),
        "--profile-html",
        str(out / "profile.html"),
    )
    report["_out"] = str(out)
    return code, report


def pairs(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["rule"], f["path"]) for f in report["findings"]}


def test_every_planted_defect_is_found_in_process(planted: tuple[int, dict[str, Any]]) -> None:
    code, report = planted
    assert code == 1
    assert PLANTED <= pairs(report) <= PLANTED | ALSO
    severities = {(f["rule"], f["path"]): f["severity"] for f in report["findings"]}
    assert severities["PRF002", "/report"] == "high"
    assert severities["PRF001", "/authors"] == "medium"
    assert severities["PRF003", "/primes"] == "medium"
    # A sleep in the thread pool: slow, but concurrent requests do not wait for it.
    assert severities["PRF003", "/export"] == "low"


def test_n_plus_one_shows_the_repeated_statement(planted: tuple[int, dict[str, Any]]) -> None:
    finding = next(f for f in planted[1]["findings"] if f["rule"] == "PRF001")
    assert finding["cwe"] == 1073
    assert finding["method"] == "GET"
    assert "FROM books WHERE ? = books.author_id" in finding["evidence"]["excerpt"]
    assert "3 item(s), 7 for 6" in finding["message"]
    # The largest page the schema allows, so that every added author is listed.
    assert finding["reproduce"] == "curl -i -X GET 'http://127.0.0.1:8000/authors?limit=100'"


def test_blocked_loop_shows_the_stack(planted: tuple[int, dict[str, Any]]) -> None:
    finding = next(f for f in planted[1]["findings"] if f["rule"] == "PRF002")
    assert finding["severity"] == "high"
    assert finding["cwe"] == 400
    assert "planted_shop.py" in finding["source"]
    assert "in report\n    time.sleep(0.12)" in finding["evidence"]["excerpt"]


def test_hotspot_points_at_the_hot_function(planted: tuple[int, dict[str, Any]]) -> None:
    report = planted[1]
    finding = next(
        f for f in report["findings"] if f["rule"] == "PRF003" and f["path"] == "/primes"
    )
    assert "planted_shop.py" in finding["message"]
    top = report["hotspots"]["GET /primes"][0]
    assert top["file"].endswith("planted_shop.py")
    assert top["share"] > 0.8


def test_operations_table_counts_sql(planted: tuple[int, dict[str, Any]]) -> None:
    rows = {(r["method"], r["path"]): r for r in planted[1]["operations"]}
    paths = ("/authors", "/authors/{author_id}", "/books", "/report", "/primes", "/export")
    assert set(rows) == {("GET", path) for path in (*paths, "/health")}
    assert rows["GET", "/books"]["statements_per_request"] == 1
    assert rows["GET", "/authors"]["statements_per_request"] == 4
    assert rows["GET", "/authors/{author_id}"]["url"] == "/authors/1"
    for row in rows.values():
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert rows["GET", "/export"]["p50_ms"] >= 300


def test_html_report_is_self_contained(planted: tuple[int, dict[str, Any]]) -> None:
    out = Path(planted[1]["_out"])
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and "GET /authors" in page and "PRF001" in page
    assert "src=" not in page and "<link" not in page and "@import" not in page
    assert "pyinstrument" in (out / "profile.html").read_text(encoding="utf-8").lower()


def test_correct_twin_has_nothing_above_low(apps: Path) -> None:
    code, report, _ = profile_json(
        "correct_shop:app", "--app-dir", str(apps), *FAST, "--fail-on", "medium"
    )
    assert code == 0
    assert not [f for f in report["findings"] if f["severity"] in SERIOUS]
    # /report awaits for 300 ms: slow, reported low, and it blocks nothing.
    assert pairs(report) == {("PRF003", "/report")}
    authors = next(r for r in report["operations"] if r["path"] == "/authors")
    assert authors["statements_per_request"] == 2


def test_planted_app_under_uvicorn_gets_latency_blocking_and_per_item_cost(
    planted_url: str,
) -> None:
    code, report, _ = profile_json(planted_url, *FAST)
    assert code == 1
    assert not report["in_process"]
    assert all(r["statements_per_request"] is None for r in report["operations"])
    found = pairs(report)
    assert found >= PLANTED
    severities = {(f["rule"], f["path"]): f["severity"] for f in report["findings"]}
    # From outside only timings tell; on a busy machine a per-item timing guess may add a low
    # finding elsewhere, never a serious one.
    assert all(severities[pair] == "low" for pair in found - PLANTED - ALSO)
    # From outside, an N+1 shows only as time per listed item: low severity, low confidence.
    assert severities["PRF001", "/authors"] == "low"
    assert severities["PRF003", "/primes"] == "medium"
    assert severities["PRF003", "/export"] == "low"
    blocked = next(f for f in report["findings"] if f["rule"] == "PRF002")
    assert blocked["reproduce"] == f"curl -i -X GET {planted_url}/report"


def test_correct_twin_under_uvicorn_has_nothing_above_low(correct_url: str) -> None:
    code, report, _ = profile_json(correct_url, *FAST, "--fail-on", "medium")
    assert code == 0
    assert len(report["operations"]) == 7
    assert not [f for f in report["findings"] if f["severity"] in SERIOUS]


def test_n_plus_one_in_an_async_sqlalchemy_app(apps: Path) -> None:
    code, report, _ = profile_json("async_shop:app", "--app-dir", str(apps), "-n", "3")
    assert code == 1
    [finding] = report["findings"]
    assert (finding["rule"], finding["path"]) == ("PRF001", "/authors")
    assert "0 item(s), 4 for 3" in finding["message"]
    assert "FROM books WHERE books.author_id = ?" in finding["evidence"]["excerpt"]
    rows = {r["path"]: r for r in report["operations"]}
    assert rows["/eager/authors"]["statements_per_request"] == 1
