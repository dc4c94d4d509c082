"""A notes service with one planted defect of every kind ``apismith probe`` looks for.

Each defect is marked ``PLANTED:``; ``correct.py`` is the same service done right.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import jwt
from fastapi import Depends, FastAPI, HTTPException, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import ForeignKey, String, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# PLANTED: the signing key of FastAPI's tutorial (anyone can forge tokens)
SECRET = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7"
DATABASE = Path(tempfile.gettempdir()) / f"apismith-planted-{os.getpid()}.sqlite3"
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
    email: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield
    engine.dispose()
    DATABASE.unlink(missing_ok=True)


app = FastAPI(title="planted notes", lifespan=lifespan)
app.add_middleware(  # PLANTED: any origin, with credentials
    CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"]
)
bearer = HTTPBearer()


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
    return hashlib.sha256(password.encode()).hexdigest()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/register", status_code=201)
def register(body: Credentials, db: Session = Depends(get_db)) -> dict[str, int]:
    if db.scalar(select(User).where(User.username == body.username)):
        raise HTTPException(409, "taken")
    user = User(username=body.username, password_hash=_hash(body.password))
    db.add(user)
    db.commit()
    return {"id": user.id}


@app.post("/login")
def login(body: Credentials, response: Response, db: Session = Depends(get_db)) -> dict[str, str]:
    # PLANTED: no rate limiting
    user = db.scalar(select(User).where(User.username == body.username))
    if user is None or user.password_hash != _hash(body.password):
        raise HTTPException(401, "bad credentials")
    token = jwt.encode({"sub": str(user.id)}, SECRET, algorithm="HS256")
    response.set_cookie("session", token)  # PLANTED: no HttpOnly, Secure or SameSite
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
    note = db.get(Note, note_id)  # PLANTED: no ownership check (IDOR)
    if note is None:
        raise HTTPException(404, "no such note")
    return note


@app.put("/notes/{note_id}", response_model=NoteOut)
def rename_note(
    note_id: int, body: NoteIn, user: User = Depends(current_user), db: Session = Depends(get_db)
) -> JSONResponse:
    note = db.get(Note, note_id)
    if note is None or note.owner_id != user.id:
        raise HTTPException(404, "no such note")
    note.title = body.title
    db.commit()
    # PLANTED: 202 is not a declared status
    return JSONResponse({"id": note.id, "title": note.title}, status_code=202)


@app.delete("/notes/{note_id}", status_code=204)
def delete_note(note_id: int, db: Session = Depends(get_db)) -> None:
    note = db.get(Note, note_id)  # PLANTED: no authentication at all
    if note is None:
        raise HTTPException(404, "no such note")
    db.delete(note)
    db.commit()


@app.get("/search", response_model=list[NoteOut])
def search(q: str, user: User = Depends(current_user), db: Session = Depends(get_db)) -> object:
    try:
        rows = db.execute(text(f"SELECT id, title FROM notes WHERE title = '{q}'"))
    except Exception as error:  # PLANTED: the database error (with its SQL) goes to the client
        return JSONResponse({"detail": str(error)}, status_code=400)
    return [{"id": row.id, "title": row.title} for row in rows]


@app.get("/ratio")
def ratio(total: int, parts: int) -> dict[str, float]:
    return {"ratio": total / parts}  # PLANTED: parts=0 is a 500


@app.get("/me", response_model=Profile)
def me(user: User = Depends(current_user)) -> JSONResponse:
    return JSONResponse({"username": user.username})  # PLANTED: 'email' is missing


@app.get("/products")
def products() -> list[dict[str, object]]:
    return [{"id": 1, "name": "pen"}]


@app.get("/products/{product_id}")
def product(product_id: int) -> dict[str, object]:
    if product_id != 1:
        raise HTTPException(404, "no such product")
    return {"id": 1, "name": "pen"}
