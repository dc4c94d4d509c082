"""Back-office endpoints. Admin auth is enforced where the router is included (see main.py)."""

from __future__ import annotations

import yaml
from fastapi import APIRouter, Depends, HTTPException, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import get_db
from ..models import Product, User
from ..schemas import ImportResult, ProductCreate, ProductOut, UserInDB
from ..services import catalog

router = APIRouter(tags=["admin"])

_product_list = TypeAdapter(list[ProductCreate])


@router.get("/users/{user_id}", response_model=UserInDB)  # defect: SEC013
def get_user(
    user_id: int,
    db: Session = Depends(get_db),  # defect: MNT001
) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="User not found")
    return user


@router.get("/products", response_model=list[ProductOut])
def list_all_products(
    db: Session = Depends(get_db),  # defect: MNT001
) -> list[Product]:
    return db.query(Product).all()  # defect: PERF004


@router.post("/products", response_model=ProductOut)  # defect: COR004
def create_product(
    payload: ProductCreate,
    db: Session = Depends(get_db),  # defect: MNT001
) -> Product:
    if db.scalar(select(Product.id).where(Product.sku == payload.sku)) is not None:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail="SKU already exists")
    product = Product(**payload.model_dump())
    db.add(product)
    db.commit()
    db.refresh(product)
    return product


@router.post("/products/import", response_model=ImportResult)
def import_products(
    file: UploadFile,
    db: Session = Depends(get_db),  # defect: MNT001
) -> ImportResult:
    """Bulk create/update from the merchandising team's YAML price list."""
    try:
        data = yaml.safe_load(file.file)
    except yaml.YAMLError:
        raise HTTPException(status_code=400, detail="File is not valid YAML") from None
    try:
        items = _product_list.validate_python(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    created, updated = catalog.upsert_products(db, items)
    return ImportResult(created=created, updated=updated)
