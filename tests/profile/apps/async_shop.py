"""An async SQLAlchemy app: an N+1 written as a query per item, next to its eager twin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

engine = create_async_engine(f"sqlite+aiosqlite:///{Path(__file__).with_name('async_shop.db')}")
Sessions = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    books: Mapped[list[Book]] = relationship()


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))


class AuthorIn(BaseModel):
    name: str


class AuthorOut(AuthorIn):
    id: int
    books: int


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


async def get_db() -> AsyncIterator[AsyncSession]:
    async with Sessions() as db:
        yield db


Db = Annotated[AsyncSession, Depends(get_db)]


@app.get("/authors", response_model=list[AuthorOut])
async def list_authors(db: Db) -> list[AuthorOut]:
    found = []
    for author in await db.scalars(select(Author)):
        books = await db.scalars(select(Book).where(Book.author_id == author.id))
        found.append(AuthorOut(id=author.id, name=author.name, books=len(books.all())))
    return found


@app.get("/eager/authors", response_model=list[AuthorOut])
async def list_authors_eagerly(db: Db) -> list[AuthorOut]:
    authors = await db.scalars(select(Author).options(selectinload(Author.books)))
    return [AuthorOut(id=a.id, name=a.name, books=len(a.books)) for a in authors]


@app.post("/authors", response_model=AuthorOut, status_code=201)
async def create_author(author: AuthorIn, db: Db) -> AuthorOut:
    row = Author(name=author.name)
    db.add(row)
    await db.commit()
    return AuthorOut(id=row.id, name=row.name, books=0)
