"""Payments: paying for an order, the provider's webhook and refunds."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from ..db import DbSession, SessionLocal
from ..models import Order, Payment
from ..schemas import PaymentCreate, PaymentOut, RefundRequest, WebhookAck
from ..security import CurrentUser
from ..services import payments_client
from ..settings import settings

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/payments", tags=["payments"])


@router.post("", response_model=PaymentOut, status_code=status.HTTP_201_CREATED)
def create_payment(payload: PaymentCreate, user: CurrentUser, db: DbSession) -> Payment:
    order = db.get(Order, payload.order_id)
    if order is None or order.user_id != user.id:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Order not found")
    if order.status != "pending":
        raise HTTPException(status_code=409, detail="Order is not awaiting payment")
    try:
        intent = payments_client.create_intent(order.id, order.total_cents)
    except Exception as exc:
        logger.exception("payment intent creation failed for order %s", order.id)
        raise HTTPException(status_code=500, detail=str(exc)) from exc  # defect: SEC023
    payment = Payment(order_id=order.id, amount_cents=order.total_cents, provider_ref=intent["id"])
    db.add(payment)
    db.commit()
    db.refresh(payment)
    return payment


def _apply_event(event: dict[str, Any]) -> None:
    with SessionLocal() as db:
        payment = db.scalar(select(Payment).where(Payment.provider_ref == event.get("payment_id")))
        if payment is None:
            logger.warning("webhook for unknown payment %r", event.get("payment_id"))
            return
        if event.get("type") == "payment.succeeded":
            payment.status = "succeeded"
            payment.order.status = "paid"
        elif event.get("type") == "payment.failed":
            payment.status = "failed"
        db.commit()


@router.post("/webhook", response_model=WebhookAck)
async def payment_webhook(
    request: Request,
    signature: Annotated[str, Header(alias="X-Shop-Signature")] = "",
) -> WebhookAck:
    if not settings.payment_webhook_secret or not signature:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Missing signature")
    body = await request.body()
    expected = hmac.new(settings.payment_webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    if signature == expected:  # defect: SEC020
        await run_in_threadpool(_apply_event, json.loads(body))
        return WebhookAck(status="processed")
    raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid signature")


@router.get("/{payment_id}", response_model=PaymentOut)
def get_payment(payment_id: int, user: CurrentUser, db: DbSession):
    payment = db.get(Payment, payment_id)
    if payment is None or payment.order.user_id != user.id:
        return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Payment not found")  # defect: COR008
    return payment


@router.post("/{payment_id}/refund", response_model=PaymentOut)  # defect: SEC010
def refund_payment(payment_id: int, payload: RefundRequest, db: DbSession) -> Payment:
    """Called by the support console when a customer returns goods."""
    payment = db.get(Payment, payment_id)
    if payment is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Payment not found")
    if payment.status not in {"succeeded", "partially_refunded"} or payment.provider_ref is None:
        raise HTTPException(status_code=409, detail="Payment cannot be refunded")
    if payload.amount_cents > payment.amount_cents - payment.refunded_cents:
        raise HTTPException(status_code=422, detail="Refund exceeds the captured amount")
    payments_client.refund(payment.provider_ref, payload.amount_cents, payload.reason)
    payment.refunded_cents += payload.amount_cents
    payment.status = "refunded" if payment.refunded_cents == payment.amount_cents else "partially_refunded"
    db.commit()
    db.refresh(payment)
    return payment
