"""Transactional email, sent through the mailer service's HTTP API."""

from __future__ import annotations

import logging
from typing import Any

import requests

from ..models import Order
from ..settings import settings

logger = logging.getLogger(__name__)

_session = requests.Session()


def _send(template: str, to: str, context: dict[str, Any]) -> None:
    if not settings.mailer_url:
        logger.info("mailer not configured; skipping %s email to %s", template, to)
        return
    resp = _session.post(
        settings.mailer_url,
        json={"template": template, "to": to, "context": context},
        timeout=5,
    )
    resp.raise_for_status()


def send_order_confirmation(order: Order) -> None:
    _send("order_confirmation", order.user.email, {"order_id": order.id, "total_cents": order.total_cents})


def send_password_reset(email: str, token: str) -> None:
    _send("password_reset", email, {"link": f"{settings.frontend_url}/reset-password?token={token}"})


def send_verification(email: str, token: str) -> None:
    _send("verify_email", email, {"link": f"{settings.frontend_url}/verify-email?token={token}"})
