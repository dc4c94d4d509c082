"""Small defects the notes apps do not have: hangs, leaks, weak cookies, unsigned tokens."""

from __future__ import annotations

import asyncio
import base64
import json
import traceback

from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2PasswordRequestForm

app = FastAPI(title="edges")
ORDERS = {1: {"id": 1, "item": "pen"}}
KEYS = {"key-one", "key-two"}


@app.middleware("http")
async def reflect_origin(request: Request, call_next):  # type: ignore[no-untyped-def]
    response = await call_next(request)
    if "origin" in request.headers:
        response.headers["Access-Control-Allow-Origin"] = request.headers["origin"]
    return response


@app.exception_handler(LookupError)
async def lookup_error(request: Request, error: LookupError) -> JSONResponse:
    return JSONResponse({"detail": traceback.format_exc()}, status_code=404)


def claims_of(authorization: str) -> dict[str, object]:
    """Reads the token's claims without verifying anything."""
    try:
        payload = authorization.split(" ", 1)[1].split(".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(payload + "==")))
    except (IndexError, ValueError):
        raise HTTPException(401, "bad token") from None


@app.get("/slow")
async def slow() -> dict[str, str]:
    await asyncio.sleep(30)
    return {"status": "late"}


@app.get("/lookup/{key}")
def lookup(key: str) -> dict[str, str]:
    return {"value": {"known": "yes"}[key]}


@app.get("/prefs")
def prefs(response: Response) -> dict[str, str]:
    response.set_cookie("theme", "dark", secure=True, samesite="none")
    response.delete_cookie("old")
    return {"theme": "dark"}


@app.get("/orders")
def orders(authorization: str = Header("")) -> dict[str, object]:
    claims_of(authorization)
    return {"items": list(ORDERS.values())}


@app.get("/orders/{order_id}")
def order(order_id: int) -> dict[str, object]:
    if order_id not in ORDERS:
        raise HTTPException(404, "no such order")
    return ORDERS[order_id]


@app.get("/keyed")
def keyed(x_api_key: str = Header("")) -> dict[str, str]:
    if x_api_key not in KEYS:
        raise HTTPException(403, "bad key")
    return {"ok": "yes"}


@app.post("/token")
def token(form: OAuth2PasswordRequestForm = Depends()) -> dict[str, str]:
    if form.password != "Probe-Passw0rd!2024":
        raise HTTPException(401, "bad credentials")
    return {"access_token": "opaque-" + form.username, "token_type": "bearer"}


@app.post("/upload")
async def upload(note: str = Form(...), file: UploadFile = File(...)) -> dict[str, object]:
    return {"note": note, "size": len(await file.read())}


@app.get(
    "/items", responses={200: {"content": {"application/json": {"schema": {"type": "array"}}}}}
)
def items(limit: int | None = None) -> JSONResponse:
    return JSONResponse({"not": "a list"})


@app.get("/admin/stats")
def admin_stats() -> dict[str, int]:
    return {"users": 2}


@app.post("/contact")
def contact(message: str = Form(...)) -> dict[str, str]:
    return {"received": message}


@app.get("/convert")
def convert(value: str) -> dict[str, int]:
    try:
        return {"value": int(value)}
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
