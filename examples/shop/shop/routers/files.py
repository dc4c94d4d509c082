"""Customer uploads (return photos, invoices) and their downloads."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, HTTPException, Query, UploadFile, status
from fastapi.responses import FileResponse

from ..schemas import FileOut
from ..security import CurrentUser
from ..settings import settings

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/files", tags=["files"])

UPLOAD_DIR = settings.upload_dir
ALLOWED_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf"}
LINK_TTL_SECONDS = 3600


def _sign(name: str, expires: int) -> str:
    message = f"{name}:{expires}".encode()
    return hmac.new(settings.download_signing_key.encode(), message, hashlib.sha256).hexdigest()


def _describe(path: Path) -> FileOut:
    expires = int(time.time()) + LINK_TTL_SECONDS
    etag = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    return FileOut(
        name=path.name,
        size=path.stat().st_size,
        etag=etag,
        download_url=f"/api/v1/files/signed/{path.name}?expires={expires}&sig={_sign(path.name, expires)}",
    )


@router.post("", response_model=FileOut, status_code=status.HTTP_201_CREATED)
def upload_file(file: UploadFile, user: CurrentUser) -> FileOut:
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise HTTPException(status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail="File type not allowed")
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    dest = UPLOAD_DIR / f"{user.id}-{uuid4().hex}{suffix}"
    with dest.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    if suffix in {".jpg", ".jpeg"}:
        # Strip EXIF (GPS position, device serials) before the photo can ever be served.
        try:
            subprocess.run(["convert", str(dest), "-strip", str(dest)], check=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            logger.warning("could not strip metadata from %s", dest.name, exc_info=True)
    return _describe(dest)


@router.get("/signed/{name}")
def download_signed(name: str, expires: int, sig: str) -> FileResponse:
    """Download links in emails; valid for an hour, no login needed."""
    if not settings.download_signing_key or expires < time.time():
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Link expired")
    if not hmac.compare_digest(sig, _sign(name, expires)):
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Invalid link")
    path = UPLOAD_DIR / Path(name).name
    if not path.is_file():
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="File not found")
    return FileResponse(path)


@router.post("/{name}/thumbnail", response_model=FileOut, status_code=status.HTTP_201_CREATED)
def make_thumbnail(name: str, user: CurrentUser, size: Annotated[int, Query(ge=32, le=1024)] = 256) -> FileOut:
    if not name.startswith(f"{user.id}-"):
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="File not found")
    thumb = f"thumb-{size}-{name}"
    try:
        subprocess.run(f"convert {UPLOAD_DIR}/{name} -thumbnail {size}x{size} {UPLOAD_DIR}/{thumb}", shell=True, check=True, timeout=60)  # defect: SEC002
    except subprocess.CalledProcessError:
        logger.exception("thumbnail generation failed for %s", name)
        raise HTTPException(status_code=500, detail="Thumbnail generation failed") from None
    return _describe(UPLOAD_DIR / thumb)


@router.get("/{name:path}")
def download_file(name: str, user: CurrentUser) -> FileResponse:
    return FileResponse(os.path.join(UPLOAD_DIR, name))  # defect: SEC003
