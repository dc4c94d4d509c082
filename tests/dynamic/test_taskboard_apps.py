"""Probe against the taskboard pair under a real uvicorn: API keys, cookie sessions, nesting.

The pair is written in another style than the probe's own apps (routers, UUID ids, nested
resources, form login, a custom CORS middleware), to show the checks do not depend on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from apismith.cli import app
from apismith.findings import Severity
from dynamic.server import serve

pytestmark = pytest.mark.slow

APPS = Path(__file__).parent / "apps2"
TASK = "/projects/{project_id}/tasks/{task_id}"
# Each planted defect of taskboard_planted.py with the rule that must report it.
PLANTED = {
    ("PRB001", "GET", "/projects/{project_id}/tasks"),  # KeyError on ?status=archived
    ("PRB002", "GET", TASK + "/card"),  # "due": null against a required string
    ("PRB004", "DELETE", TASK),  # no account dependency on the deletion
    ("PRB006", "GET", TASK),  # the project's owner goes unchecked
    ("PRB008", "GET", "/health"),  # a middleware reflects any Origin with credentials
    ("PRB009", "GET", "/projects/{project_id}/tasks"),  # the error handler sends the traceback
    ("PRB010", "POST", "/auth/login"),  # the session cookie without HttpOnly
    ("PRB013", "POST", "/auth/login"),  # no limit on sign-in attempts
}
PLANTED_LOW = {
    ("PRB007", "POST", "/accounts/signup"),  # no security headers anywhere
    ("PRB011", "POST", "/auth/login"),  # the session cookie without Secure
}


def _probe(base_url: str, *auth: str) -> dict[str, object]:
    options = [arg for key in auth for arg in ("--auth", key)]
    args = ["probe", base_url, "--format", "json", "--time-limit", "60", *options]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 1, outcome.output
    report: dict[str, object] = json.loads(outcome.stdout)
    return report


def _keys(report: dict[str, object], at_least: Severity) -> set[tuple[str, str, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {
        (f["rule"], f["method"], f["path"])
        for f in findings
        if Severity[f["severity"].upper()] >= at_least
    }


def _api_keys(base_url: str) -> list[str]:
    keys = []
    for n in (1, 2):
        body = {"email": f"owner{n}@example.com", "password": "correct horse battery"}
        answer = httpx.post(f"{base_url}/accounts/signup", json=body, timeout=5)
        answer.raise_for_status()
        keys.append(f"X-API-Key: {answer.json()['api_key']}")
    return keys


@pytest.fixture(scope="module")
def planted() -> Iterator[str]:
    with serve("taskboard_planted:app", APPS) as base_url:
        yield base_url


def test_signed_up_users_find_every_planted_defect(planted: str) -> None:
    report = _probe(planted)
    assert _keys(report, Severity.MEDIUM) >= PLANTED
    assert _keys(report, Severity.LOW) >= PLANTED_LOW


def test_given_api_keys_find_the_object_access_defects(planted: str) -> None:
    report = _probe(planted, *_api_keys(planted))
    summary = report["summary"]
    assert isinstance(summary, dict)
    assert summary["identities"] == ["user1", "user2"]
    assert _keys(report, Severity.MEDIUM) >= PLANTED


def test_the_correct_twin_gets_nothing_above_low() -> None:
    with serve("taskboard_correct:app", APPS) as base_url:
        keys = _api_keys(base_url)  # before the probe's bursts meet the sign-up limit
        assert _keys(_probe(base_url), Severity.MEDIUM) == set()
        assert _keys(_probe(base_url, *keys), Severity.MEDIUM) == set()
