"""Catalog queries that are shared between the storefront and the back office."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..models import Product
from ..schemas import ProductCreate, ProductSuggestion


def search_suggestions(db: Session, prefix: str, limit: int = 10) -> list[ProductSuggestion]:
    """Type-ahead: active products whose name starts with ``prefix``."""
    stmt = text(
        "SELECT id, name FROM products WHERE is_active = 1 AND name LIKE :pattern ORDER BY name LIMIT :limit"
    ).bindparams(pattern=f"{prefix}%", limit=limit)
    return [ProductSuggestion(id=row.id, name=row.name) for row in db.execute(stmt)]


def count_in_category(db: Session, category: str) -> int:
    """Number of active products in a category (used for the facet counts on the storefront)."""
    sql = f"SELECT COUNT(*) FROM products WHERE is_active = 1 AND category = '{category}'"
    return int(db.execute(text(sql)).scalar_one())  # defect: SEC001


def upsert_products(db: Session, items: list[ProductCreate]) -> tuple[int, int]:
    """Create or update products by SKU; returns ``(created, updated)``."""
    existing = {p.sku: p for p in db.scalars(select(Product).where(Product.sku.in_([i.sku for i in items])))}
    created = updated = 0
    for item in items:
        product = existing.get(item.sku)
        if product is None:
            db.add(Product(**item.model_dump()))
            created += 1
        else:
            for field, value in item.model_dump().items():
                setattr(product, field, value)
            updated += 1
    db.commit()
    return created, updated
