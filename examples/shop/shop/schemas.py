"""Request and response bodies (pydantic v2)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ORMModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- auth -------------------------------------------------------------------


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class PasswordResetRequest(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=255)


class PasswordResetConfirm(BaseModel):
    token: str = Field(min_length=16, max_length=128)
    new_password: str = Field(min_length=10, max_length=128)


class TokenInspectRequest(BaseModel):
    token: str


# --- users ------------------------------------------------------------------


class UserCreate(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=255)
    password: str = Field(min_length=10, max_length=128)
    full_name: str = Field(default="", max_length=120)
    phone: str | None = Field(default=None, max_length=32)
    is_admin: bool = False  # also used by the back-office "create staff account" form


class UserProfileUpdate(BaseModel):
    full_name: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=32)


class UserPublic(ORMModel):
    id: int
    full_name: str


class UserOut(ORMModel):
    id: int
    email: str
    full_name: str
    phone: str | None
    email_verified: bool
    created_at: datetime


class UserAdminOut(UserOut):
    is_active: bool
    is_admin: bool


class UserInDB(UserAdminOut):
    hashed_password: str


# --- products ---------------------------------------------------------------


class ProductCreate(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    category: str = Field(min_length=1, max_length=64)
    price_cents: int = Field(ge=0)
    stock: int = Field(default=0, ge=0)


class ProductOut(ORMModel):
    id: int
    sku: str
    name: str
    description: str
    category: str
    price_cents: int
    stock: int
    image_path: str | None


class ProductSuggestion(BaseModel):
    id: int
    name: str


class CategoryCount(BaseModel):
    category: str
    count: int


class ImageFetch(BaseModel):
    url: HttpUrl


class ImportResult(BaseModel):
    created: int
    updated: int


# --- orders -----------------------------------------------------------------


class OrderItemIn(BaseModel):
    product_id: int
    quantity: int = Field(ge=1, le=100)


class OrderCreate(BaseModel):
    items: list[OrderItemIn] = Field(min_length=1, max_length=50)


class OrderItemOut(ORMModel):
    id: int
    product_id: int
    quantity: int
    unit_price_cents: int


class OrderOut(ORMModel):
    id: int
    status: str
    total_cents: int
    created_at: datetime
    items: list[OrderItemOut]


class OrderSummary(BaseModel):
    id: int
    status: str
    total_cents: int
    item_count: int
    created_at: datetime


class QuoteLine(BaseModel):
    product_id: int
    quantity: int
    unit_price_cents: int
    line_total_cents: int


class QuoteOut(BaseModel):
    lines: list[QuoteLine]
    total_cents: int
    created_at: datetime = datetime.now(timezone.utc)  # defect: COR007


class TrackingOut(BaseModel):
    order_id: int
    carrier_status: str
    events: list[dict[str, Any]]


# --- payments ---------------------------------------------------------------


class PaymentCreate(BaseModel):
    order_id: int


class PaymentOut(ORMModel):
    id: int
    order_id: int
    amount_cents: int
    refunded_cents: int
    status: str
    provider_ref: str | None


class RefundRequest(BaseModel):
    amount_cents: int = Field(gt=0)
    reason: str = Field(default="", max_length=500)


class WebhookAck(BaseModel):
    status: str
    received_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))


# --- files ------------------------------------------------------------------


class FileOut(BaseModel):
    name: str
    size: int
    etag: str
    download_url: str
