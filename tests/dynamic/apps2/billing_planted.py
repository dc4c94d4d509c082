"""Billing: customers' invoices behind JWT bearer tokens, async SQLAlchemy on aiosqlite.

Sign-up at ``/users/register``, tokens from ``/auth/token`` (OAuth2 password form), pydantic v2
models with ``response_model_exclude``, a file download, background tasks and headers set by a
middleware. Each planted defect is marked ``PLANTED:``; ``billing_correct.py`` is the twin.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import jwt
from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SECRET = os.urandom(32).hex()
DATABASE = Path(tempfile.gettempdir()) / f"apismith-billing-p-{os.getpid()}.sqlite3"
engine = create_async_engine(f"sqlite+aiosqlite:///{DATABASE}")
Sessions = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str]


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


class Invoice(Base):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    total_cents: Mapped[int]
    issued: Mapped[str]
    note: Mapped[str] = mapped_column(default="")


class Register(BaseModel):
    email: str = Field(min_length=3, max_length=120)
    password: str = Field(min_length=8, max_length=128)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    password_hash: str


class InvoiceIn(BaseModel):
    customer: str = Field(min_length=1, max_length=80)
    total_cents: int = Field(ge=0, le=10**9)
    note: str = Field(default="", max_length=200)


class InvoiceOut(BaseModel):
    id: int
    customer: str
    total_cents: int
    issued: str
    note: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    yield
    await engine.dispose()
    DATABASE.unlink(missing_ok=True)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with Sessions() as session:
        yield session


DB = Annotated[AsyncSession, Depends(get_session)]
bearer = HTTPBearer()


def _hash(password: str) -> str:
    return hashlib.sha256(b"billing" + password.encode()).hexdigest()


async def current_user(
    db: DB, credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]
) -> User:
    try:
        claims = jwt.decode(credentials.credentials, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(401, "invalid token") from None
    user = await db.get(User, int(claims["sub"]))
    if user is None:
        raise HTTPException(401, "unknown user")
    return user


Me = Annotated[User, Depends(current_user)]
app = FastAPI(title="billing", lifespan=lifespan)
# PLANTED: every origin matches the pattern, and credentials are allowed
app.add_middleware(
    CORSMiddleware, allow_origin_regex=".*", allow_credentials=True, allow_methods=["*"]
)


@app.middleware("http")
async def headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers["X-Content-Type-Options"] = "nosniff"  # PLANTED: the only one set
    return response


def send_welcome(email: str) -> None:
    """Stands for the mail the service sends after sign-up."""


@app.post("/users/register", response_model=UserOut, status_code=201, tags=["users"])
async def register(body: Register, db: DB, tasks: BackgroundTasks) -> User:
    user = User(email=body.email, password_hash=_hash(body.password))
    db.add(user)
    try:
        await db.commit()
    except IntegrityError as error:
        # PLANTED: the database's message, statement included, goes to the client
        raise HTTPException(409, f"could not register: {error}") from None
    tasks.add_task(send_welcome, user.email)
    return user  # PLANTED: UserOut shows password_hash


@app.post("/auth/token", tags=["auth"])
async def token(
    db: DB, form: Annotated[OAuth2PasswordRequestForm, Depends()], response: Response
) -> dict[str, str]:
    # PLANTED: no limit on attempts
    user = await db.scalar(select(User).where(User.email == form.username))
    if user is None or user.password_hash != _hash(form.password):
        raise HTTPException(401, "bad credentials")
    claims = {"sub": str(user.id), "exp": datetime.now(UTC) + timedelta(hours=1)}
    access = jwt.encode(claims, SECRET, algorithm="HS256")
    response.set_cookie("refresh_token", access, secure=True)  # PLANTED: no HttpOnly
    return {"access_token": access, "token_type": "bearer"}


async def _customer(db: AsyncSession, name: str) -> Customer:
    customer = await db.scalar(select(Customer).where(Customer.name == name))
    if customer is None:
        customer = Customer(name=name)
        db.add(customer)
        await db.flush()
    return customer


async def _out(db: AsyncSession, invoice: Invoice) -> InvoiceOut:
    customer = await db.get(Customer, invoice.customer_id, populate_existing=True)
    name = customer.name if customer else ""
    return InvoiceOut(
        id=invoice.id,
        customer=name,
        total_cents=invoice.total_cents,
        issued=invoice.issued,
        note=invoice.note,
    )


@app.get("/invoices", response_model=list[InvoiceOut], tags=["invoices"])
async def list_invoices(db: DB, me: Me, since: str | None = None) -> list[InvoiceOut]:
    query = select(Invoice).where(Invoice.owner_id == me.id)
    if since is not None:
        # PLANTED: an unparsable date is a ValueError, a 500
        query = query.where(Invoice.issued >= datetime.fromisoformat(since).isoformat())
    invoices = (await db.scalars(query)).all()
    # PLANTED: one customer query per invoice (N+1)
    return [await _out(db, invoice) for invoice in invoices]


@app.post("/invoices", response_model=InvoiceOut, status_code=201, tags=["invoices"])
async def create_invoice(body: InvoiceIn, db: DB, me: Me) -> InvoiceOut:
    customer = await _customer(db, body.customer)
    invoice = Invoice(
        owner_id=me.id,
        customer_id=customer.id,
        total_cents=body.total_cents,
        issued=datetime.now(UTC).isoformat(),
        note=body.note,
    )
    db.add(invoice)
    await db.commit()
    return await _out(db, invoice)


async def _own(db: AsyncSession, invoice_id: int, me: User) -> Invoice:
    invoice = await db.get(Invoice, invoice_id)
    if invoice is None or invoice.owner_id != me.id:
        raise HTTPException(404, "no such invoice")
    return invoice


@app.get(
    "/invoices/{invoice_id}",
    response_model=InvoiceOut,
    response_model_exclude={"note"},
    tags=["invoices"],
)
async def get_invoice(invoice_id: int, db: DB, me: Me) -> JSONResponse:
    invoice = await _own(db, invoice_id, me)
    out = await _out(db, invoice)
    # PLANTED: the total as a formatted string where InvoiceOut declares an integer
    return JSONResponse({**out.model_dump(exclude={"note"}), "total_cents": f"{out.total_cents}"})


@app.get("/invoices/{invoice_id}/download", response_class=PlainTextResponse, tags=["invoices"])
async def download(invoice_id: int, db: DB, me: Me) -> PlainTextResponse:
    invoice = await db.get(Invoice, invoice_id)  # PLANTED: whose invoice it is goes unchecked
    if invoice is None:
        raise HTTPException(404, "no such invoice")
    headers = {"Content-Disposition": f'attachment; filename="invoice-{invoice.id}.csv"'}
    return PlainTextResponse(f"id,total\n{invoice.id},{invoice.total_cents}\n", headers=headers)


@app.delete("/invoices/{invoice_id}", status_code=204, tags=["invoices"])
async def delete_invoice(invoice_id: int, db: DB) -> Response:
    # PLANTED: no authentication on deletion
    invoice = await db.get(Invoice, invoice_id)
    if invoice is None:
        raise HTTPException(404, "no such invoice")
    await db.delete(invoice)
    await db.commit()
    return Response(status_code=204)


def _fetch_rates() -> dict[str, float]:
    """Stands for a call to a rates service with a synchronous HTTP client."""
    time.sleep(0.2)
    return {"EUR": 1.0, "USD": 1.08}


@app.get("/rates", tags=["reports"])
async def rates(me: Me) -> dict[str, float]:
    return _fetch_rates()  # PLANTED: a blocking call inside ``async def``


@app.get("/reports/fingerprint", tags=["reports"])
def fingerprint(me: Me) -> dict[str, str]:
    digest = me.email.encode()
    for _ in range(250_000):  # PLANTED: a CPU hotspot on every request
        digest = hashlib.sha256(digest).digest()
    return {"fingerprint": digest.hex()}


@app.get("/healthz", tags=["meta"])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
