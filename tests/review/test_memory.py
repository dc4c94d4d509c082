"""A review frees its project model: long-running callers (editors, servers) must not leak."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

from apismith.config import Config
from apismith.project.module import Module
from apismith.review.engine import review

Tree = Callable[[dict[str, str]], Path]

APP = """
from fastapi import Depends, FastAPI
from sqlalchemy import text

app = FastAPI()


def get_db():
    yield None


@app.get("/items/{item_id}")
def read(item_id: str, db=Depends(get_db)):
    return db.execute(text(f"SELECT * FROM items WHERE id = {item_id}"))
"""


def _live_modules(root: Path) -> int:
    return sum(
        1 for found in gc.get_objects() if type(found) is Module and found.path.is_relative_to(root)
    )


def test_review_leaves_no_module_alive(tree: Tree) -> None:
    root = tree({"app.py": APP, "pkg/__init__.py": "", "pkg/util.py": "X = 1\n"})
    result = review(root, Config(), use_cache=False)
    assert any(f.rule == "SEC001" for f in result.findings)  # every rule ran on the model
    gc.collect()
    assert _live_modules(root) == 0


def test_the_collector_is_left_as_the_caller_had_it(tree: Tree) -> None:
    root = tree({"api.py": APP})
    assert gc.isenabled()
    assert review(root, Config(), use_cache=False).findings
    assert gc.isenabled()
    gc.disable()
    try:
        review(root, Config(), use_cache=False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_objects_the_caller_froze_stay_frozen(tree: Tree) -> None:
    root = tree({"api.py": APP})
    kept = [object() for _ in range(10)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        review(root, Config(), use_cache=False)
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()
    assert kept
