"""Probe checks on the defects the notes apps do not plant (tests/probe/apps/edges.py)."""

from __future__ import annotations

import warnings

import pytest

from apismith.dynamic import load_schema, load_target
from apismith.findings import Severity
from apismith.probe import ProbeOptions, ProbeResult, parse_auth, run_probe
from probe.conftest import APPS

pytestmark = pytest.mark.slow


def _probe(options: ProbeOptions) -> ProbeResult:
    target = load_target("edges:app", app_dir=APPS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        return run_probe(target, load_schema(target), options)


@pytest.fixture(scope="module")
def signed_up() -> ProbeResult:
    return _probe(ProbeOptions(max_requests=400, time_limit=60, timeout=0.5))


def _found(result: ProbeResult) -> dict[tuple[str, str, str], Severity]:
    return {(f.rule, f.method, f.path): f.severity for f in result.findings}


def test_edges_with_identities_from_sign_in(signed_up: ProbeResult) -> None:
    found = _found(signed_up)
    assert signed_up.identities == ["signup1", "signup2"]
    assert found[("PRB001", "GET", "/slow")] is Severity.MEDIUM
    assert found[("PRB002", "GET", "/items")] is Severity.MEDIUM
    assert found[("PRB004", "GET", "/orders/{order_id}")] is Severity.MEDIUM
    assert found[("PRB004", "POST", "/upload")] is Severity.HIGH
    assert found[("PRB004", "GET", "/admin/stats")] is Severity.MEDIUM
    assert ("PRB004", "POST", "/contact") not in found
    assert ("PRB004", "GET", "/prefs") not in found
    assert [s for (rule, _, _), s in found.items() if rule == "PRB008"] == [Severity.LOW]
    assert found[("PRB009", "GET", "/lookup/{key}")] is Severity.MEDIUM
    assert found[("PRB009", "GET", "/convert")] is Severity.MEDIUM
    assert found[("PRB010", "GET", "/prefs")] is Severity.MEDIUM
    assert found[("PRB012", "GET", "/prefs")] is Severity.LOW
    assert ("PRB011", "GET", "/prefs") not in found
    assert found[("PRB013", "POST", "/token")] is Severity.MEDIUM
    hang = next(f for f in signed_up.findings if f.path == "/slow")
    assert hang.evidence_status is None and "hang" in hang.evidence_excerpt
    # Hangs stop the fuzzing of /slow after three: forty would cost 20 s at 0.5 s each.
    assert signed_up.seconds < 12
    upload = next(f for f in signed_up.findings if f.path == "/upload")
    assert "--data-binary $'--" in upload.reproduce and "\n" not in upload.reproduce


def test_unsigned_token_is_found_without_identities() -> None:
    result = _probe(ProbeOptions(max_requests=150, time_limit=60, timeout=0.5, sign_up=False))
    assert result.identities == []
    forged = next(f for f in result.findings if f.rule == "PRB005")
    assert (forged.method, forged.path, forged.severity) == ("GET", "/orders", Severity.CRITICAL)
    assert "alg none" in forged.message
    assert result.requests <= 150


def test_budget_bounds_the_run() -> None:
    result = _probe(ProbeOptions(max_requests=10, time_limit=60, timeout=0.5, sign_up=False))
    assert result.requests == 10 and result.budget_exhausted


def test_api_keys_as_identities_are_not_forgeable() -> None:
    identities = (parse_auth("X-API-Key: key-one", 0), parse_auth("X-API-Key: key-two", 1))
    result = _probe(ProbeOptions(identities, max_requests=250, time_limit=60, timeout=0.5))
    assert result.identities == ["user1", "user2"]
    assert not any(f.rule == "PRB005" for f in result.findings)
    assert not any(f.path == "/keyed" for f in result.findings if f.severity > Severity.LOW)
