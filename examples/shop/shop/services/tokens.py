"""One-time tokens (password reset, email verification). Only a SHA-256 of the token is stored."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import User, UserToken


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(db: Session, user: User, purpose: str, token: str, ttl: timedelta) -> None:
    db.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            expires_at=datetime.now(timezone.utc) + ttl,
        )
    )
    db.commit()


def consume_token(db: Session, purpose: str, token: str) -> User | None:
    """Mark a valid token as used and return its user; the caller commits."""
    now = datetime.now(timezone.utc)
    record = db.scalar(
        select(UserToken).where(
            UserToken.token_hash == _digest(token),
            UserToken.purpose == purpose,
            UserToken.used_at.is_(None),
            UserToken.expires_at > now,
        )
    )
    if record is None:
        return None
    record.used_at = now
    return record.user
