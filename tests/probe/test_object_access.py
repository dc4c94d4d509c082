"""Object access between two users: shared and owner-only objects are not reported."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

from apismith.dynamic import load_schema, load_target
from apismith.probe import ProbeOptions, parse_auth, run_probe

AppFactory = Callable[[str], tuple[str, Path]]

SHARED = """
import itertools
from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel

app = FastAPI()
USERS = {"key-alice": "alice", "key-bob": "bob"}
ids = itertools.count(1)
store: dict[str, dict[int, dict[str, object]]] = {"posts": {}, "drafts": {}, "letters": {}}

class Text(BaseModel):
    text: str

def who(x_api_key: str = Header("")) -> str:
    if x_api_key not in USERS:
        raise HTTPException(401, "who are you?")
    return USERS[x_api_key]

def create(kind: str, body: Text, user: str) -> dict[str, object]:
    item = {"id": next(ids), "owner": user, "text": body.text}
    store[kind][int(item["id"])] = item
    return item

def mine(kind: str, item_id: int, user: str) -> dict[str, object]:
    item = store[kind].get(item_id)
    if item is None or item["owner"] != user:
        raise HTTPException(404, "not found")
    return item

@app.post("/posts", status_code=201)
def create_post(body: Text, user: str = Depends(who)) -> dict[str, object]:
    return create("posts", body, user)

@app.get("/posts")
def list_posts(user: str = Depends(who)) -> list[dict[str, object]]:
    return list(store["posts"].values())

@app.get("/posts/{post_id}")
def read_post(post_id: int, user: str = Depends(who)) -> dict[str, object]:
    if post_id not in store["posts"]:
        raise HTTPException(404, "not found")
    return store["posts"][post_id]

@app.put("/posts/{post_id}")
def edit_post(post_id: int, body: Text, user: str = Depends(who)) -> dict[str, object]:
    item = mine("posts", post_id, user)
    item["text"] = body.text
    return item

@app.post("/drafts", status_code=201)
def create_draft(body: Text, user: str = Depends(who)) -> dict[str, object]:
    return create("drafts", body, user)

@app.get("/drafts/{draft_id}")
def read_draft(draft_id: int, user: str = Depends(who)) -> dict[str, object]:
    return mine("drafts", draft_id, user)

@app.post("/letters", status_code=201)
def create_letter(body: Text, user: str = Depends(who)) -> dict[str, object]:
    return create("letters", body, user)

@app.get("/letters")
def list_letters(user: str = Depends(who)) -> list[dict[str, object]]:
    raise HTTPException(503, "the letter index is rebuilding")

@app.get("/letters/{letter_id}")
def read_letter(letter_id: int, user: str = Depends(who)) -> dict[str, object]:
    if letter_id not in store["letters"]:
        raise HTTPException(404, "not found")
    return store["letters"][letter_id]
"""


def test_shared_and_owner_only_objects_are_not_reported(write_app: AppFactory) -> None:
    module, directory = write_app(SHARED)
    target = load_target(f"{module}:app", app_dir=directory)
    identities = (parse_auth("X-API-Key: key-alice", 0), parse_auth("X-API-Key: key-bob", 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        result = run_probe(target, load_schema(target), ProbeOptions(identities, max_requests=300))
    assert result.errors == []
    assert [f for f in result.findings if f.rule in ("PRB004", "PRB005", "PRB006")] == []
