"""Probe against the billing pair under a real uvicorn: JWT bearer, async SQLAlchemy, forms.

Sign-up at ``/users/register``, tokens from an OAuth2 password form at ``/auth/token``; the
probe signs up its two users itself, or is given their tokens with ``--auth``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from apismith.findings import Severity
from dynamic.server import serve
from dynamic.test_taskboard_apps import APPS, _keys, _probe

pytestmark = pytest.mark.slow

INVOICE = "/invoices/{invoice_id}"
# Each planted defect of billing_planted.py with the rule that must report it.
PLANTED = {
    ("PRB001", "GET", "/invoices"),  # ?since= that fromisoformat cannot parse
    ("PRB002", "GET", INVOICE),  # total_cents as a string in a hand-built JSONResponse
    ("PRB004", "DELETE", INVOICE),  # no authentication on deletion
    ("PRB006", "GET", INVOICE + "/download"),  # the download skips the owner check
    ("PRB008", "GET", "/healthz"),  # allow_origin_regex=".*" with credentials
    ("PRB009", "POST", "/users/register"),  # IntegrityError text, SQL included, in the 409
    ("PRB010", "POST", "/auth/token"),  # refresh_token cookie without HttpOnly
    ("PRB013", "POST", "/auth/token"),  # no limit on token requests
    ("PRB014", "POST", "/users/register"),  # password_hash in the response model
}
PLANTED_LOW = {("PRB007", "POST", "/users/register")}  # only nosniff is set


def _tokens(base_url: str) -> list[str]:
    tokens = []
    for n in (1, 2):
        email, password = f"payer{n}@example.com", "correct horse battery"
        httpx.post(
            f"{base_url}/users/register", json={"email": email, "password": password}, timeout=5
        ).raise_for_status()
        answer = httpx.post(
            f"{base_url}/auth/token", data={"username": email, "password": password}, timeout=5
        )
        answer.raise_for_status()
        tokens.append(f"Bearer {answer.json()['access_token']}")
    return tokens


@pytest.fixture
def planted() -> Iterator[str]:
    """A fresh server per test: a second run would meet the accounts the first one made."""
    with serve("billing_planted:app", APPS) as base_url:
        yield base_url


def test_signed_up_users_find_every_planted_defect(planted: str) -> None:
    report = _probe(planted)
    assert _keys(report, Severity.MEDIUM) >= PLANTED
    assert _keys(report, Severity.LOW) >= PLANTED_LOW


def test_given_tokens_find_every_planted_defect(planted: str) -> None:
    report = _probe(planted, *_tokens(planted))
    assert _keys(report, Severity.MEDIUM) >= PLANTED


def test_the_correct_twin_gets_nothing_above_low() -> None:
    with serve("billing_correct:app", APPS) as base_url:
        tokens = _tokens(base_url)  # before the probe's bursts meet the sign-up limit
        assert _keys(_probe(base_url), Severity.MEDIUM) == set()
        assert _keys(_probe(base_url, *tokens), Severity.MEDIUM) == set()
