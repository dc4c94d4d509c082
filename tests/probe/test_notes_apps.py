"""Probe against the planted notes app and its correct twin, in-process and under uvicorn."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from dynamic.server import serve

from apismith.dynamic import load_schema, load_target
from apismith.findings import Severity
from apismith.probe import ProbeOptions, ProbeResult, run_probe
from probe.conftest import APPS

pytestmark = pytest.mark.slow

# Every planted defect, as (rule, method, path); all of them at medium severity or above.
PLANTED = {
    ("PRB001", "GET", "/ratio"),
    ("PRB002", "GET", "/me"),
    ("PRB004", "DELETE", "/notes/{note_id}"),
    ("PRB005", "GET", "/notes"),
    ("PRB006", "GET", "/notes/{note_id}"),
    ("PRB006", "DELETE", "/notes/{note_id}"),
    ("PRB008", "GET", "/health"),
    ("PRB009", "GET", "/search"),
    ("PRB010", "POST", "/login"),
    ("PRB013", "POST", "/login"),
}
PLANTED_LOW = {
    ("PRB003", "PUT", "/notes/{note_id}"),
    ("PRB011", "POST", "/login"),
    ("PRB013", "POST", "/register"),
}
# The forged token passes on every authenticated operation: one defect, several findings.
FORGED = {
    ("PRB005", method, path)
    for method, path in [
        ("GET", "/me"),
        ("POST", "/notes"),
        ("GET", "/notes/{note_id}"),
        ("PUT", "/notes/{note_id}"),
        ("GET", "/search"),
    ]
}
OPTIONS = ProbeOptions(max_requests=1500, time_limit=90, timeout=5)


def _probe(spec: str) -> ProbeResult:
    target = load_target(spec, app_dir=APPS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        return run_probe(target, load_schema(target), OPTIONS)


@pytest.fixture(scope="module", params=["in-process", "uvicorn"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _run(app: str, mode: str) -> Iterator[ProbeResult]:
    if mode == "in-process":
        yield _probe(f"{app}:app")
        return
    with serve(f"{app}:app", APPS) as base_url:
        yield _probe(base_url)


@pytest.fixture(scope="module")
def planted(mode: str) -> Iterator[ProbeResult]:
    yield from _run("planted", mode)


@pytest.fixture(scope="module")
def correct(mode: str) -> Iterator[ProbeResult]:
    yield from _run("correct", mode)


def _keys(result: ProbeResult, at_least: Severity = Severity.INFO) -> set[tuple[str, str, str]]:
    return {(f.rule, f.method, f.path) for f in result.findings if f.severity >= at_least}


def test_every_planted_defect_is_found(planted: ProbeResult, mode: str) -> None:
    # From outside, a field left out may be response_model_exclude at work: low severity.
    unsure = {("PRB002", "GET", "/me")} if mode == "uvicorn" else set()
    assert planted.errors == []
    assert _keys(planted, Severity.MEDIUM) >= PLANTED - unsure
    assert _keys(planted) >= PLANTED_LOW | unsure
    assert any(f.rule == "PRB007" for f in planted.findings)


def test_nothing_unplanted_above_low_on_the_planted_app(planted: ProbeResult) -> None:
    assert _keys(planted, Severity.MEDIUM) - PLANTED - FORGED == set()


def test_findings_carry_evidence_and_a_reproducing_request(planted: ProbeResult) -> None:
    for finding in planted.findings:
        assert finding.reproduce.startswith("curl -i -X "), finding
        assert finding.evidence_status is not None or finding.evidence_excerpt
    ratio = next(f for f in planted.findings if f.rule == "PRB001" and f.path == "/ratio")
    assert ratio.evidence_status == 500 and "parts=0" in ratio.reproduce
    leak = next(f for f in planted.findings if f.rule == "PRB009")
    assert "SELECT id, title FROM notes" in leak.evidence_excerpt


def test_correct_twin_has_nothing_above_low(correct: ProbeResult) -> None:
    assert correct.errors == []
    assert _keys(correct, Severity.MEDIUM) == set()
    assert correct.identities == ["signup1", "signup2"]
    assert correct.requests > 200
