"""Login, logout, password reset and email verification."""

from __future__ import annotations

import logging
import random
import string
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from ..db import DbSession
from ..models import User
from ..ratelimit import RateLimiter
from ..schemas import PasswordResetConfirm, PasswordResetRequest, Token, TokenInspectRequest
from ..security import create_access_token, hash_password, inspect_token, require_admin, verify_password
from ..services import notifications, tokens

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])

_reset_limiter = RateLimiter(times=5, seconds=300)
_RESET_ALPHABET = string.ascii_letters + string.digits


def _safe_next(next_url: str) -> str:
    """Only allow redirects to paths on our own frontend."""
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not next_url.startswith("/") or next_url.startswith("//"):
        return "/"
    return next_url


@router.post("/token", response_model=Token)  # defect: SEC024
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DbSession) -> Token:
    user = db.scalar(select(User).where(User.email == form.username.lower()))
    if user is None or not verify_password(form.password, user.hashed_password):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not user.is_active:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Account disabled")
    return Token(access_token=create_access_token(user.id))


@router.get("/logout")
def logout(next: str = "/") -> RedirectResponse:
    response = RedirectResponse(next, status_code=status.HTTP_303_SEE_OTHER)  # defect: SEC005
    response.delete_cookie("shop_session")
    return response


@router.get("/verify-email")
def verify_email(token: str, db: DbSession, next: str = "/account") -> RedirectResponse:
    user = tokens.consume_token(db, "email_verification", token)
    if user is None:
        raise HTTPException(status_code=400, detail="Invalid or expired verification link")
    user.email_verified = True
    db.commit()
    return RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, dependencies=[Depends(_reset_limiter)])
def request_password_reset(payload: PasswordResetRequest, db: DbSession) -> dict[str, str]:
    user = db.scalar(select(User).where(User.email == payload.email.lower()))
    if user is not None and user.is_active:
        token = "".join(random.choice(_RESET_ALPHABET) for _ in range(32))  # defect: SEC017
        tokens.issue_token(db, user, "password_reset", token, ttl=timedelta(minutes=30))
        try:
            notifications.send_password_reset(user.email, token)
        except Exception:
            logger.exception("could not send password reset email to user %s", user.id)
    # Same answer either way, so the endpoint cannot be used to enumerate accounts.
    return {"detail": "If the address is registered, a reset link has been sent."}


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(_reset_limiter)],
)
def confirm_password_reset(payload: PasswordResetConfirm, db: DbSession) -> None:
    user = tokens.consume_token(db, "password_reset", payload.token)
    if user is None:
        raise HTTPException(status_code=400, detail="Invalid or expired reset token")
    user.hashed_password = hash_password(payload.new_password)
    db.commit()


@router.post("/token/inspect", dependencies=[Depends(require_admin)])
def inspect(payload: TokenInspectRequest) -> dict[str, Any]:
    """Support tooling: decode a customer's token to see who it was issued to and when."""
    return inspect_token(payload.token)
