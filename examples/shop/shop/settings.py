"""Runtime configuration, read once from the environment (``SHOP_*`` variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

# examples/shop/ -- the service's root directory; local state defaults to living here.
BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    app_name: str = "Acme Shop API"
    environment: str = field(default_factory=lambda: _env("SHOP_ENV", "development"))
    database_url: str = field(default_factory=lambda: _env("SHOP_DATABASE_URL", f"sqlite:///{BASE_DIR / 'shop.db'}"))
    upload_dir: Path = field(default_factory=lambda: Path(_env("SHOP_UPLOAD_DIR", str(BASE_DIR / "uploads"))))
    access_token_expire_minutes: int = field(
        default_factory=lambda: int(_env("SHOP_ACCESS_TOKEN_EXPIRE_MINUTES", "30"))
    )

    # Third-party integrations
    payment_provider_url: str = field(
        default_factory=lambda: _env("SHOP_PAYMENT_PROVIDER_URL", "https://api.payments.example.com/v1")
    )
    payment_api_key: str = field(default_factory=lambda: _env("SHOP_PAYMENT_API_KEY"))
    payment_webhook_secret: str = field(default_factory=lambda: _env("SHOP_PAYMENT_WEBHOOK_SECRET"))
    shipping_api_url: str = field(
        default_factory=lambda: _env("SHOP_SHIPPING_API_URL", "https://tracking.shipping.example.com")
    )
    fx_rates_url: str = field(default_factory=lambda: _env("SHOP_FX_RATES_URL", "https://fx.example.com/latest"))
    mailer_url: str = field(default_factory=lambda: _env("SHOP_MAILER_URL"))

    # Shared secrets for service-to-service calls and signed download links
    internal_token: str = field(default_factory=lambda: _env("SHOP_INTERNAL_TOKEN"))
    download_signing_key: str = field(default_factory=lambda: _env("SHOP_DOWNLOAD_SIGNING_KEY"))

    frontend_url: str = field(default_factory=lambda: _env("SHOP_FRONTEND_URL", "http://localhost:3000"))


@lru_cache
def get_settings() -> Settings:
    return Settings()


settings = get_settings()
