"""The correct twin of ``planted_shop``: the same API, none of its performance defects.

``apismith profile`` must report nothing above low severity here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, String, create_engine, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)

engine = create_engine(f"sqlite:///{Path(__file__).with_name('correct_shop.db')}")


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    books: Mapped[list[Book]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")


class BookIn(BaseModel):
    title: str
    author_id: int


class BookOut(BookIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class AuthorIn(BaseModel):
    name: str


class AuthorOut(AuthorIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    books: list[BookOut]


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        for name in ("Ann", "Bob", "Cy"):
            db.add(Author(name=name, books=[Book(title=f"{name}'s first")]))
        db.commit()
    yield


app = FastAPI(lifespan=lifespan)


def get_db() -> Iterator[Session]:
    with Session(engine) as db:
        yield db


Db = Annotated[Session, Depends(get_db)]


@app.get("/authors", response_model=list[AuthorOut])
def list_authors(db: Db, limit: Annotated[int, Query(ge=1, le=100)] = 10) -> list[Author]:
    return list(db.scalars(select(Author).limit(limit).options(selectinload(Author.books))))


@app.post("/authors", response_model=AuthorOut, status_code=201)
def create_author(author: AuthorIn, db: Db) -> Author:
    row = Author(name=author.name, books=[])
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


@app.get("/authors/{author_id}", response_model=AuthorOut)
def get_author(author_id: int, db: Db) -> Author:
    author = db.get(Author, author_id)
    if author is None:
        raise HTTPException(404, "no such author")
    return author


@app.get("/books", response_model=list[BookOut])
def list_books(db: Db) -> list[Book]:
    return list(db.scalars(select(Book)))


@app.post("/books", response_model=BookOut, status_code=201)
def create_book(book: BookIn, db: Db) -> Book:
    row = Book(title=book.title, author_id=book.author_id)
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


@app.get("/report")
async def report() -> dict[str, str]:
    await asyncio.sleep(0.3)  # slow, but awaiting: other requests go on meanwhile
    return {"status": "ready"}


def count_primes(limit: int) -> int:
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\x00\x00"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, limit, n)))
    return sum(sieve)


@app.get("/primes")
def primes() -> dict[str, int]:
    return {"primes": count_primes(150_000)}


@app.get("/export")
async def export() -> dict[str, str]:
    await asyncio.sleep(0.005)
    return {"status": "exported"}


@app.get("/health")
async def health() -> dict[str, bool]:
    return {"ok": True}
