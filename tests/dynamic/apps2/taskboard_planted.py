"""Taskboard: projects and their tasks; API keys for scripts, a cookie session for browsers.

Sync SQLAlchemy with a ``Session`` dependency, routers with prefixes, UUID ids and nested
resources. Each planted defect is marked ``PLANTED:``; ``taskboard_correct.py`` is the twin.
"""

from __future__ import annotations

import enum
import hashlib
import os
import secrets
import tempfile
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyCookie, APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

DATABASE = Path(tempfile.gettempdir()) / f"apismith-taskboard-p-{os.getpid()}.sqlite3"
engine = create_engine(f"sqlite:///{DATABASE}", connect_args={"check_same_thread": False})


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str]
    api_key: Mapped[str] = mapped_column(unique=True)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str]
    tasks: Mapped[list[Task]] = relationship(back_populates="project")


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"))
    title: Mapped[str]
    status: Mapped[str] = mapped_column(default="todo")
    due: Mapped[str | None] = mapped_column(default=None)
    project: Mapped[Project] = relationship(back_populates="tasks")


class Status(enum.StrEnum):
    todo = "todo"
    doing = "doing"
    done = "done"
    archived = "archived"


# PLANTED: "archived" was added to the enum but not here: a KeyError, a 500
ORDER = {Status.todo: 0, Status.doing: 1, Status.done: 2}


class SignUp(BaseModel):
    email: str = Field(min_length=3, max_length=120)
    password: str = Field(min_length=8, max_length=128)


class AccountOut(BaseModel):
    id: uuid.UUID
    email: str


class NewAccount(AccountOut):
    api_key: str


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)


class ProjectOut(BaseModel):
    id: uuid.UUID
    name: str
    task_count: int


class TaskIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    status: Status = Status.todo
    due: str | None = None


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    title: str
    status: Status


class TaskCard(BaseModel):
    title: str
    status: Status
    due: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield
    engine.dispose()
    DATABASE.unlink(missing_ok=True)


def get_db() -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as db:
        yield db


DB = Annotated[Session, Depends(get_db)]
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
session_cookie = APIKeyCookie(name="session", auto_error=False)
SESSIONS: dict[str, uuid.UUID] = {}


def _hash(password: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), b"taskboard", 1000).hex()


def current_account(
    db: DB,
    key: Annotated[str | None, Depends(api_key_header)],
    session: Annotated[str | None, Depends(session_cookie)],
) -> Account:
    account = None
    if key:
        account = db.scalar(select(Account).where(Account.api_key == key))
    elif session and session in SESSIONS:
        account = db.get(Account, SESSIONS[session])
    if account is None:
        raise HTTPException(401, "not authenticated")
    return account


Me = Annotated[Account, Depends(current_account)]
app = FastAPI(title="taskboard", lifespan=lifespan)


@app.middleware("http")
async def cors(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    # PLANTED: whatever Origin asks is allowed, with credentials
    response = await call_next(request)
    origin = request.headers.get("origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    return response


@app.exception_handler(Exception)
async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    # PLANTED: the traceback goes to the client
    return JSONResponse({"error": repr(exc), "trace": traceback.format_exc()}, status_code=500)


accounts = APIRouter(prefix="/accounts", tags=["accounts"])
auth = APIRouter(prefix="/auth", tags=["auth"])
projects = APIRouter(prefix="/projects", tags=["projects"])
reports = APIRouter(prefix="/reports", tags=["reports"])


@accounts.post("/signup", response_model=NewAccount, status_code=201)
def sign_up(body: SignUp, db: DB) -> Account:
    if db.scalar(select(Account).where(Account.email == body.email)) is not None:
        raise HTTPException(409, "email taken")
    account = Account(
        email=body.email, password_hash=_hash(body.password), api_key=secrets.token_hex(16)
    )
    db.add(account)
    db.commit()
    return account


@auth.post("/login")
def login(
    response: Response,
    db: DB,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> dict[str, str]:
    # PLANTED: no limit on attempts
    account = db.scalar(select(Account).where(Account.email == username))
    if account is None or account.password_hash != _hash(password):
        raise HTTPException(401, "bad credentials")
    token = secrets.token_urlsafe(24)
    SESSIONS[token] = account.id
    response.set_cookie("session", token)  # PLANTED: readable by scripts, no Secure, no SameSite
    return {"status": "signed in"}


@auth.get("/me", response_model=AccountOut)
def me(account: Me) -> Account:
    return account


def _own_project(db: Session, project_id: uuid.UUID, account: Account) -> Project:
    project = db.get(Project, project_id)
    if project is None or project.owner_id != account.id:
        raise HTTPException(404, "no such project")
    return project


def _task(db: Session, project_id: uuid.UUID, task_id: uuid.UUID) -> Task:
    task = db.get(Task, task_id)
    if task is None or task.project_id != project_id:
        raise HTTPException(404, "no such task")
    return task


@projects.get("", response_model=list[ProjectOut])
def list_projects(
    db: DB,
    account: Me,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ProjectOut]:
    rows = db.scalars(
        select(Project).where(Project.owner_id == account.id).offset(offset).limit(limit)
    )
    # PLANTED: each project's tasks are loaded by a query of their own (N+1)
    return [ProjectOut(id=p.id, name=p.name, task_count=len(p.tasks)) for p in rows]


@projects.post("", response_model=ProjectOut, status_code=201)
def create_project(body: ProjectIn, db: DB, account: Me) -> ProjectOut:
    project = Project(owner_id=account.id, name=body.name)
    db.add(project)
    db.commit()
    return ProjectOut(id=project.id, name=project.name, task_count=0)


@projects.get("/{project_id}", response_model=ProjectOut)
def get_project(project_id: uuid.UUID, db: DB, account: Me) -> ProjectOut:
    project = _own_project(db, project_id, account)
    return ProjectOut(id=project.id, name=project.name, task_count=len(project.tasks))


@projects.get("/{project_id}/tasks", response_model=list[TaskOut])
def list_tasks(
    project_id: uuid.UUID,
    db: DB,
    account: Me,
    status: Status | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[Task]:
    project = _own_project(db, project_id, account)
    tasks = [t for t in project.tasks if status is None or t.status == status.value]
    if status is not None:
        rank = ORDER[status]
        tasks = [t for t in tasks if ORDER[Status(t.status)] >= rank]
    return tasks[offset : offset + limit]


@projects.post("/{project_id}/tasks", response_model=TaskOut, status_code=201)
def create_task(project_id: uuid.UUID, body: TaskIn, db: DB, account: Me) -> Task:
    _own_project(db, project_id, account)
    task = Task(project_id=project_id, title=body.title, status=body.status.value, due=body.due)
    db.add(task)
    db.commit()
    return task


@projects.get("/{project_id}/tasks/{task_id}", response_model=TaskOut)
def get_task(project_id: uuid.UUID, task_id: uuid.UUID, db: DB, account: Me) -> Task:
    # PLANTED: the task is looked up in the project, but whose project it is goes unchecked
    return _task(db, project_id, task_id)


@projects.get("/{project_id}/tasks/{task_id}/card", response_model=TaskCard)
def task_card(project_id: uuid.UUID, task_id: uuid.UUID, db: DB, account: Me) -> JSONResponse:
    task = _task(db, _own_project(db, project_id, account).id, task_id)
    # PLANTED: a task without a due date gives "due": null, which TaskCard does not allow
    card = {"title": task.title, "status": task.status, "due": task.due}
    return JSONResponse(jsonable_encoder(card))


@projects.delete("/{project_id}/tasks/{task_id}", status_code=204)
def delete_task(project_id: uuid.UUID, task_id: uuid.UUID, db: DB) -> Response:
    # PLANTED: no account dependency: anyone deletes any task
    db.delete(_task(db, project_id, task_id))
    db.commit()
    return Response(status_code=204)


@reports.get("/activity")
async def activity(account: Me) -> dict[str, int]:
    time.sleep(0.25)  # PLANTED: a blocking call inside ``async def`` holds the event loop
    return {"events": 0}


@reports.get("/digest")
def digest(account: Me) -> dict[str, int]:
    # PLANTED: a CPU hotspot: trial division over a range on every request
    primes = [n for n in range(2, 9000) if all(n % d for d in range(2, n))]
    return {"checksum": sum(primes) % 9973}


@app.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    return {"status": "ok"}


for router in (accounts, auth, projects, reports):
    app.include_router(router)
