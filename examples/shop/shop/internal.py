"""Internal API, mounted at /internal and reachable only from the cluster network.

Used by the nightly pricing job and the platform team's health checks.
"""

from __future__ import annotations

import hmac
import pickle
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import text

from .db import engine
from .settings import settings

price_cache: dict[str, Any] = {}


def require_internal_token(x_internal_token: Annotated[str, Header()] = "") -> None:
    expected = settings.internal_token
    if not expected or not hmac.compare_digest(x_internal_token, expected):
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Forbidden")


internal_app = FastAPI(title="Acme Shop internal", debug=True, dependencies=[Depends(require_internal_token)])  # defect: SEC022


def _ping_db() -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


@internal_app.get("/health")
async def health() -> dict[str, str]:
    await run_in_threadpool(_ping_db)
    return {"status": "ok"}


@internal_app.post("/cache/import", status_code=status.HTTP_204_NO_CONTENT)
async def import_price_cache(request: Request) -> None:
    """Warm the in-process price cache from the snapshot written by the nightly pricing job."""
    snapshot = pickle.loads(await request.body())  # defect: SEC009
    if not isinstance(snapshot, dict):
        raise HTTPException(status_code=400, detail="Snapshot must be a mapping")
    price_cache.clear()
    price_cache.update(snapshot)


@internal_app.get("/cache/stats")
async def cache_stats() -> dict[str, int]:
    return {"entries": len(price_cache)}
