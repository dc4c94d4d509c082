"""The notes service of ``planted.py`` done right: ``apismith probe`` must stay quiet on it."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import jwt
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import ForeignKey, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

SECRET = secrets.token_urlsafe(32)
LOGIN_LIMIT = 5
DATABASE = Path(tempfile.gettempdir()) / f"apismith-correct-{os.getpid()}.sqlite3"
engine = create_engine(f"sqlite:///{DATABASE}", connect_args={"check_same_thread": False})


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str]


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str]


class Credentials(BaseModel):
    username: str
    password: str


class NoteIn(BaseModel):
    title: str


class NoteOut(BaseModel):
    id: int
    title: str


class Profile(BaseModel):
    username: str
    email: str | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield
    engine.dispose()
    DATABASE.unlink(missing_ok=True)


app = FastAPI(title="correct notes", lifespan=lifespan)
app.add_middleware(
    CORSMiddleware,
    allow_origins=["https://notes.example.com"],
    allow_credentials=True,
    allow_methods=["*"],
)
bearer = HTTPBearer()
attempts: dict[str, list[float]] = defaultdict(list)


@app.middleware("http")
async def security_headers(request, call_next):  # type: ignore[no-untyped-def]
    response = await call_next(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


def rate_limited(request: Request) -> None:
    """At most LOGIN_LIMIT attempts per client and minute."""
    client = request.client.host if request.client else "unknown"
    now = time.monotonic()
    recent = [t for t in attempts[client] if now - t < 60]
    attempts[client] = [*recent, now]
    if len(recent) >= LOGIN_LIMIT:
        raise HTTPException(429, "too many attempts", headers={"Retry-After": "60"})


def get_db() -> Iterator[Session]:
    with Session(engine) as db:
        yield db


def current_user(
    token: HTTPAuthorizationCredentials = Depends(bearer), db: Session = Depends(get_db)
) -> User:
    try:
        claims = jwt.decode(token.credentials, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None
    user = db.get(User, int(claims["sub"]))
    if user is None:
        raise HTTPException(401, "unknown user")
    return user


def _hash(password: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), b"notes", 1000).hex()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/register", status_code=201, dependencies=[Depends(rate_limited)])
def register(body: Credentials, db: Session = Depends(get_db)) -> dict[str, int]:
    if db.scalar(select(User).where(User.username == body.username)):
        raise HTTPException(409, "taken")
    user = User(username=body.username, password_hash=_hash(body.password))
    db.add(user)
    db.commit()
    return {"id": user.id}


@app.post("/login", dependencies=[Depends(rate_limited)])
def login(body: Credentials, response: Response, db: Session = Depends(get_db)) -> dict[str, str]:
    user = db.scalar(select(User).where(User.username == body.username))
    if user is None or user.password_hash != _hash(body.password):
        raise HTTPException(401, "bad credentials")
    token = jwt.encode({"sub": str(user.id)}, SECRET, algorithm="HS256")
    response.set_cookie("session", token, httponly=True, secure=True, samesite="lax")
    return {"access_token": token, "token_type": "bearer"}


@app.get("/notes", response_model=list[NoteOut])
def list_notes(user: User = Depends(current_user), db: Session = Depends(get_db)) -> list[Note]:
    return list(db.scalars(select(Note).where(Note.owner_id == user.id)))


@app.post("/notes", response_model=NoteOut, status_code=201)
def create_note(
    body: NoteIn, user: User = Depends(current_user), db: Session = Depends(get_db)
) -> Note:
    note = Note(owner_id=user.id, title=body.title)
    db.add(note)
    db.commit()
    return note


@app.get("/notes/{note_id}", response_model=NoteOut)
def read_note(
    note_id: int, user: User = Depends(current_user), db: Session = Depends(get_db)
) -> Note:
    note = db.get(Note, note_id)
    if note is None or note.owner_id != user.id:
        raise HTTPException(404, "no such note")
    return note


@app.put("/notes/{note_id}", response_model=NoteOut)
def rename_note(
    note_id: int, body: NoteIn, user: User = Depends(current_user), db: Session = Depends(get_db)
) -> Note:
    note = db.get(Note, note_id)
    if note is None or note.owner_id != user.id:
        raise HTTPException(404, "no such note")
    note.title = body.title
    db.commit()
    return note


@app.delete("/notes/{note_id}", status_code=204)
def delete_note(
    note_id: int, user: User = Depends(current_user), db: Session = Depends(get_db)
) -> None:
    note = db.get(Note, note_id)
    if note is None or note.owner_id != user.id:
        raise HTTPException(404, "no such note")
    db.delete(note)
    db.commit()


@app.get("/search", response_model=list[NoteOut])
def search(q: str, user: User = Depends(current_user), db: Session = Depends(get_db)) -> object:
    query = select(Note).where(Note.title == q, Note.owner_id == user.id)
    return list(db.scalars(query))


@app.get("/ratio")
def ratio(total: int, parts: int = Query(ge=1)) -> dict[str, float]:
    return {"ratio": total / parts}


@app.get("/me", response_model=Profile)
def me(user: User = Depends(current_user)) -> Profile:
    return Profile(username=user.username)


@app.get("/products")
def products() -> list[dict[str, object]]:
    return [{"id": 1, "name": "pen"}]


@app.get("/products/{product_id}")
def product(product_id: int) -> dict[str, object]:
    if product_id != 1:
        raise HTTPException(404, "no such product")
    return {"id": 1, "name": "pen"}
