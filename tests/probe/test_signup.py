"""Identities probe makes for itself: sign-up with an email, sign-in that sets a cookie."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

from apismith.dynamic import load_schema, load_target
from apismith.probe import ProbeOptions, run_probe

AppFactory = Callable[[str], tuple[str, Path]]

COOKIE_SESSIONS = """
import secrets
from fastapi import Cookie, FastAPI, HTTPException, Response
from pydantic import BaseModel

app = FastAPI()
users: dict[str, str] = {}
sessions: dict[str, str] = {}

class SignUp(BaseModel):
    email: str
    password: str

class SignIn(BaseModel):
    username: str
    password: str

@app.post("/auth/signup", status_code=201)
def signup(body: SignUp) -> dict[str, str]:
    users[body.email] = body.password
    return {"email": body.email}

@app.post("/auth/login")
def login(body: SignIn, response: Response) -> dict[str, str]:
    if users.get(body.username) != body.password:
        raise HTTPException(401, "bad credentials")
    sid = secrets.token_hex(8)
    sessions[sid] = body.username
    response.set_cookie("sid", sid, httponly=True, secure=True, samesite="strict")
    return {"status": "signed in"}

@app.get("/whoami")
def whoami(sid: str = Cookie("")) -> dict[str, str]:
    if sid not in sessions:
        raise HTTPException(401, "sign in first")
    return {"email": sessions[sid]}
"""

CLOSED = """
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

app = FastAPI()

class Credentials(BaseModel):
    username: str
    password: str

@app.post("/register")
def register(body: Credentials) -> dict[str, str]:
    raise HTTPException(403, "sign-up is closed")

@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}
"""


def _probe(module: str, directory: Path) -> list[str]:
    target = load_target(f"{module}:app", app_dir=directory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        result = run_probe(target, load_schema(target), ProbeOptions(max_requests=120))
    assert result.errors == []
    return result.identities


def test_sign_up_by_email_and_sign_in_by_cookie(write_app: AppFactory) -> None:
    assert _probe(*write_app(COOKIE_SESSIONS)) == ["signup1", "signup2"]


def test_closed_sign_up_gives_no_identity(write_app: AppFactory) -> None:
    assert _probe(*write_app(CLOSED)) == []
