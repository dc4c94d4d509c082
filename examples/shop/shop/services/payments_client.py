"""Thin client for the payment provider's REST API."""

from __future__ import annotations

from typing import Any

import requests

from ..settings import settings

_session = requests.Session()


class PaymentProviderError(Exception):
    pass


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.payment_api_key}", "Idempotency-Version": "2"}


def _check(resp: requests.Response) -> dict[str, Any]:
    if resp.status_code >= 400:
        raise PaymentProviderError(f"provider returned {resp.status_code}: {resp.text}")
    data: dict[str, Any] = resp.json()
    return data


def create_intent(order_id: int, amount_cents: int, currency: str = "usd") -> dict[str, Any]:
    resp = _session.post(
        f"{settings.payment_provider_url}/intents",
        json={"amount": amount_cents, "currency": currency, "metadata": {"order_id": order_id}},
        headers=_headers(),
        timeout=10,
    )
    return _check(resp)


def refund(provider_ref: str, amount_cents: int, reason: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"payment": provider_ref, "amount": amount_cents, "reason": reason or "requested_by_customer"}
    resp = requests.post(f"{settings.payment_provider_url}/refunds", json=body, headers=_headers())  # defect: SEC025
    return _check(resp)
