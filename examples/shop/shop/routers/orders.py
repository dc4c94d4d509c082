"""Checkout and the customer's order history."""

from __future__ import annotations

import logging
from typing import Annotated

import httpx
from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db import DbSession
from ..models import Order, OrderItem, Product
from ..schemas import OrderCreate, OrderItemOut, OrderOut, OrderSummary, QuoteLine, QuoteOut, TrackingOut
from ..security import CurrentUser
from ..services import notifications
from ..settings import settings

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/orders", tags=["orders"])


@router.get("", response_model=list[OrderSummary])
def list_orders(
    user: CurrentUser,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[OrderSummary]:
    stmt = (
        select(Order)
        .where(Order.user_id == user.id)
        .order_by(Order.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    summaries = []
    for order in db.scalars(stmt):
        item_count = sum(item.quantity for item in order.items)  # defect: PERF002
        summaries.append(
            OrderSummary(
                id=order.id,
                status=order.status,
                total_cents=order.total_cents,
                item_count=item_count,
                created_at=order.created_at,
            )
        )
    return summaries


@router.get("/recent", response_model=list[OrderSummary])
def recent_orders(user: CurrentUser, db: DbSession) -> list[OrderSummary]:
    """The five latest orders, for the account dashboard."""
    stmt = (
        select(Order)
        .options(selectinload(Order.items))
        .where(Order.user_id == user.id)
        .order_by(Order.created_at.desc())
        .limit(5)
    )
    summaries = []
    for order in db.scalars(stmt):
        item_count = sum(item.quantity for item in order.items)
        summaries.append(
            OrderSummary(
                id=order.id,
                status=order.status,
                total_cents=order.total_cents,
                item_count=item_count,
                created_at=order.created_at,
            )
        )
    return summaries


@router.post("", response_model=OrderOut, status_code=status.HTTP_201_CREATED)
def create_order(payload: OrderCreate, user: CurrentUser, db: DbSession) -> Order:
    wanted: dict[int, int] = {}
    for line in payload.items:
        wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity

    stmt = select(Product).where(Product.id.in_(wanted), Product.is_active.is_(True)).with_for_update()
    products = {p.id: p for p in db.scalars(stmt)}
    missing = sorted(set(wanted) - set(products))
    if missing:
        raise HTTPException(status_code=422, detail=f"Unknown products: {missing}")

    order = Order(user_id=user.id, status="pending")
    total = 0
    for product_id, quantity in wanted.items():
        product = products[product_id]
        if product.stock < quantity:
            raise HTTPException(status_code=409, detail=f"Not enough stock for {product.sku}")
        product.stock -= quantity
        order.items.append(
            OrderItem(product_id=product_id, quantity=quantity, unit_price_cents=product.price_cents)
        )
        total += quantity * product.price_cents
    order.total_cents = total
    db.add(order)
    db.commit()
    db.refresh(order)

    try:
        notifications.send_order_confirmation(order)
    except Exception:  # defect: COR006
        pass
    return order


@router.post("/quote", response_model=QuoteOut)
def quote(payload: OrderCreate, user: CurrentUser, db: DbSession) -> QuoteOut:
    """Price a basket for the checkout page without reserving stock."""
    lines = []
    for item in payload.items:
        product = db.get(Product, item.product_id)  # defect: PERF003
        if product is None or not product.is_active:
            raise HTTPException(status_code=422, detail=f"Unknown product {item.product_id}")
        lines.append(
            QuoteLine(
                product_id=product.id,
                quantity=item.quantity,
                unit_price_cents=product.price_cents,
                line_total_cents=item.quantity * product.price_cents,
            )
        )
    return QuoteOut(lines=lines, total_cents=sum(line.line_total_cents for line in lines))


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: int, user: CurrentUser, db: DbSession) -> Order:
    order = db.get(Order, order_id)  # defect: SEC011
    if order is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Order not found")
    return order


@router.post("/{order_id}/cancel", response_model=OrderOut)
def cancel_order(order_id: int, user: CurrentUser, db: DbSession) -> Order:
    order = db.scalar(
        select(Order)
        .options(selectinload(Order.items).joinedload(OrderItem.product))
        .where(Order.id == order_id, Order.user_id == user.id)
    )
    if order is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Order not found")
    if order.status not in {"pending", "paid"}:
        raise HTTPException(status_code=409, detail=f"Cannot cancel an order that is {order.status}")
    for item in order.items:
        item.product.stock += item.quantity
    order.status = "cancelled"
    db.commit()
    db.refresh(order)
    return order


@router.get("/{order_id}/items/{item_id}", response_model=OrderItemOut)  # defect: COR003
def get_order_item(item_id: int, user: CurrentUser, db: DbSession) -> OrderItem:
    item = db.get(OrderItem, item_id)
    if item is None or item.order.user_id != user.id:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    return item


@router.get("/{order_id}/tracking", response_model=TrackingOut)
def order_tracking(order_id: int, user: CurrentUser, db: DbSession) -> TrackingOut:
    order = db.get(Order, order_id)
    if order is None or order.user_id != user.id:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Order not found")
    if not order.shipping_tracking_number:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Order has not shipped yet")
    with httpx.Client(base_url=settings.shipping_api_url, timeout=5.0) as client:  # defect: PERF005
        resp = client.get(f"/v2/shipments/{order.shipping_tracking_number}")
    if resp.status_code != 200:
        logger.warning("tracking lookup for order %s failed with %s", order.id, resp.status_code)
        raise HTTPException(status_code=status.HTTP_502_BAD_GATEWAY, detail="Tracking service unavailable")
    data = resp.json()
    return TrackingOut(order_id=order.id, carrier_status=data.get("status", "unknown"), events=data.get("events", []))
