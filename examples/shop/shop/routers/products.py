"""Storefront catalog: listing, search and product detail."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated
from uuid import uuid4

import httpx
import requests
from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import select, text

from ..db import DbSession
from ..models import Product
from ..schemas import CategoryCount, ImageFetch, ProductOut, ProductSuggestion
from ..security import require_admin
from ..services import catalog
from ..settings import settings

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/products", tags=["products"])


@router.get("", response_model=list[ProductOut])
def list_products(
    db: DbSession,
    category: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Sequence[Product]:
    stmt = select(Product).where(Product.is_active.is_(True)).order_by(Product.id)
    if category:
        stmt = stmt.where(Product.category == category)
    return db.scalars(stmt.limit(limit).offset(offset)).all()


@router.get("/search", response_model=list[ProductOut])
def search_products(q: Annotated[str, Query(min_length=2, max_length=100)], db: DbSession) -> list[Product]:
    rows = db.execute(text(f"SELECT id FROM products WHERE is_active = 1 AND name LIKE '%{q}%' ORDER BY name LIMIT 50"))  # defect: SEC001
    ids = [row.id for row in rows]
    if not ids:
        return []
    by_id = {p.id: p for p in db.scalars(select(Product).where(Product.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


@router.get("/suggest", response_model=list[ProductSuggestion])
def suggest(prefix: Annotated[str, Query(min_length=1, max_length=50)], db: DbSession) -> list[ProductSuggestion]:
    return catalog.search_suggestions(db, prefix)


@router.get("/categories/{category}/count", response_model=CategoryCount)
def count_category(category: str, db: DbSession) -> CategoryCount:
    return CategoryCount(category=category, count=catalog.count_in_category(db, category))


@router.get("/exchange-rates")
async def exchange_rates() -> dict[str, float]:
    """Rates used by the storefront to show approximate prices in other currencies."""
    resp = requests.get(settings.fx_rates_url, params={"base": "USD"}, timeout=5)  # defect: PERF001
    resp.raise_for_status()
    rates: dict[str, float] = resp.json()["rates"]
    return rates


@router.get("/{product_id}", response_model=ProductOut)
def get_product(product_id: int, db: DbSession) -> Product:
    product = db.get(Product, product_id)
    if product is None or not product.is_active:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Product not found")
    return product


@router.post(
    "/{product_id}/image-from-url",
    response_model=ProductOut,
    dependencies=[Depends(require_admin)],
)
def import_product_image(product_id: int, payload: ImageFetch, db: DbSession) -> Product:
    """Back-office helper: pull a product photo from the supplier's site."""
    product = db.get(Product, product_id)
    if product is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Product not found")
    resp = httpx.get(str(payload.url), timeout=10, follow_redirects=True)  # defect: SEC004
    if resp.status_code != 200 or not resp.headers.get("content-type", "").startswith("image/"):
        raise HTTPException(status_code=422, detail="URL did not return an image")
    image_dir = settings.upload_dir / "products"
    image_dir.mkdir(parents=True, exist_ok=True)
    filename = f"{product.id}-{uuid4().hex}"
    (image_dir / filename).write_bytes(resp.content)
    product.image_path = f"products/{filename}"
    db.commit()
    db.refresh(product)
    return product


# Storefront v2 product page (adds live stock). TODO: drop once the v1 page is retired.
@router.get("/{product_id}", response_model=ProductOut)  # defect: COR001
def get_product_with_stock(product_id: int, db: DbSession) -> Product:
    product = db.scalar(select(Product).where(Product.id == product_id, Product.is_active.is_(True)))
    if product is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Product not found")
    return product
