"""A bookshop with planted performance defects, which ``apismith profile`` must find.

- ``GET /authors``: N+1, each author's books lazy-loaded while the response is built.
- ``GET /report``: ``time.sleep`` inside an ``async def`` path operation.
- ``GET /primes``: a CPU hotspot (trial division).
- ``GET /export``: a slow endpoint (a slow upstream call stood in by ``time.sleep``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

engine = create_engine(f"sqlite:///{Path(__file__).with_name('planted_shop.db')}")


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
    return list(db.scalars(select(Author).limit(limit)))


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
    time.sleep(0.12)
    return {"status": "ready"}


def count_primes(limit: int) -> int:
    return sum(1 for n in range(2, limit) if all(n % d for d in range(2, int(n**0.5) + 1)))


@app.get("/primes")
def primes() -> dict[str, int]:
    return {"primes": count_primes(150_000)}


@app.get("/export")
def export() -> dict[str, str]:
    time.sleep(0.3)
    return {"status": "exported"}


@app.get("/health")
async def health() -> dict[str, bool]:
    return {"ok": True}
