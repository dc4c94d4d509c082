"""Sign-up and the user's own profile."""

from __future__ import annotations

import secrets
from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select

from ..db import DbSession
from ..models import User
from ..ratelimit import RateLimiter
from ..schemas import UserCreate, UserOut, UserProfileUpdate, UserPublic
from ..security import CurrentUser, hash_password
from ..services import notifications, tokens

router = APIRouter(prefix="/users", tags=["users"])

_signup_limiter = RateLimiter(times=10, seconds=3600)


@router.post(
    "",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(_signup_limiter)],
)
def register(payload: UserCreate, db: DbSession) -> User:
    email = payload.email.lower()
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail="Email already registered")
    user = User(**payload.model_dump(exclude={"email", "password"}), email=email, hashed_password=hash_password(payload.password))  # defect: SEC012
    db.add(user)
    db.commit()
    db.refresh(user)
    return user


@router.get("/{user_id}", response_model=UserPublic)
def get_public_profile(user_id: int, db: DbSession) -> User:
    """Public profile shown next to reviews; only the display name is exposed."""
    user = db.get(User, user_id)
    if user is None or not user.is_active:
        raise HTTPException(status_code=404, detail="User not found")
    return user


@router.get("/me", response_model=UserOut)  # defect: COR002
def read_me(user: CurrentUser) -> User:
    return user


@router.patch("/me", response_model=UserOut)
def update_me(payload: UserProfileUpdate, user: CurrentUser, db: DbSession) -> User:
    for field, value in payload.model_dump(exclude_unset=True).items():
        setattr(user, field, value)
    db.commit()
    db.refresh(user)
    return user


@router.post("/me/verify-email", status_code=status.HTTP_202_ACCEPTED)
def send_verification_email(user: CurrentUser, db: DbSession) -> dict[str, str]:
    if user.email_verified:
        return {"detail": "Email already verified"}
    token = secrets.token_urlsafe(32)
    tokens.issue_token(db, user, "email_verification", token, ttl=timedelta(days=2))
    notifications.send_verification(user.email, token)
    return {"detail": "Verification email sent"}
