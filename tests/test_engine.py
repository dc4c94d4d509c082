"""The engine on hostile input: every other file analysed, each problem explained, no crash."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apismith.config import Config
from apismith.findings import Confidence, Severity
from apismith.project.loader import build_project, load_project
from apismith.project.module import Module
from apismith.review.engine import default_workers, review, run_rules
from apismith.rules import all_rules
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

Tree = Callable[[dict[str, str]], Path]

VULNERABLE = """
from fastapi import FastAPI
import os

app = FastAPI()


@app.get("/run")
def run(cmd: str):
    return os.system("echo " + cmd)
"""


def test_hostile_tree_keeps_analysing(tree: Tree) -> None:
    root = tree({"good.py": VULNERABLE, "broken.py": "def broken(:\n    pass\n"})
    (root / "binary.py").write_bytes(b"\x00\x01\x02import os\n")
    (root / "latin.py").write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    (root / "declared.py").write_bytes(
        "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1")
    )
    (root / "huge.py").write_text("x = 1\n" * 1_000_000, encoding="utf-8")
    (root / "loop.py").symlink_to(root / "loop.py")
    (root / "dangling.py").symlink_to(root / "missing.py")
    (root / "sub").mkdir()
    (root / "sub" / "back").symlink_to(root, target_is_directory=True)
    result = review(root, Config(), use_cache=False)
    problems = {error.path: error.reason for error in result.errors}
    assert set(problems) == {
        "broken.py",
        "binary.py",
        "latin.py",
        "huge.py",
        "loop.py",
        "dangling.py",
    }
    assert "syntax error" in problems["broken.py"]
    syntax = [f for f in result.findings if f.rule == "E001"]
    assert [(f.path, f.line) for f in syntax] == [("broken.py", 1)]
    assert any(f.path == "good.py" and f.family == "security" for f in result.findings)


def test_empty_directory(tmp_path: Path) -> None:
    result = review(tmp_path, Config(), use_cache=False)
    assert result.findings == [] and result.errors == [] and result.files == 0


def test_gitignore_and_excludes_are_respected(tree: Tree) -> None:
    root = tree(
        {
            ".gitignore": "generated/\n",
            "generated/api.py": VULNERABLE,
            "vendor/api.py": VULNERABLE,
            ".venv/lib/api.py": VULNERABLE,
            "app/api.py": VULNERABLE,
        }
    )
    result = review(root, Config(exclude=("vendor/",)), use_cache=False)
    assert {f.path for f in result.findings if f.family == "security"} == {"app/api.py"}


class Crashing(Rule):
    id = "SEC999"
    name = "crashing"
    family = "security"
    severity = Severity.LOW
    fix_title = "Nothing."

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        raise RuntimeError("boom")


def test_a_crashing_rule_becomes_a_finding(tree: Tree) -> None:
    loaded = load_project(tree({"api.py": VULNERABLE}))
    findings = run_rules(loaded, Config(), [Crashing(), *all_rules()])
    crashes = [f for f in findings if f.rule == "E900"]
    assert len(crashes) == 1 and "SEC999" in crashes[0].message and "boom" in crashes[0].message
    assert any(f.family == "security" for f in findings)
    verbose = run_rules(loaded, Config(), [Crashing()], verbose=True)
    assert "Traceback" in verbose[0].message


SNIPPETS = [
    "from fastapi import FastAPI, APIRouter, Depends, Request",
    "from sqlalchemy import text",
    "import os, subprocess, requests, httpx, pickle, yaml, jwt, hashlib, random",
    "app = FastAPI(debug=True)",
    "router = APIRouter(prefix='/x')",
    "app.include_router(router, prefix='/api')",
    "@app.get('/items/{item_id}')",
    "@router.post('/')",
    "def handler(item_id: str, q: str = '', db=Depends(get_db)):",
    "async def handler(request: Request):",
    "    return db.execute(text(f'SELECT {q}'))",
    "    data = await request.json()",
    "    os.system(data['cmd'])",
    "    for x in db.query(Item).all():",
    "        print(x.owner.name)",
    "    requests.get(q)",
    "    try:\n        pass\n    except Exception:\n        pass",
    "class Item(BaseModel):\n    password: str = 'hunter2'",
    "SECRET_KEY = 'abc123456789'",
    "x = [",
    "    return",
    "def f[T](x: T) -> T: return x",
    "type Alias = int",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=14),
    st.lists(st.sampled_from(SNIPPETS), max_size=8),
    st.text(max_size=40),
)
def test_engine_never_raises(
    tmp_path: Path, first: list[str], second: list[str], noise: str
) -> None:
    sources = [
        (tmp_path / "main.py", "\n".join(first)),
        (tmp_path / "other.py", "\n".join(second) + noise),
    ]
    loaded = build_project(tmp_path, sources)
    findings = run_rules(loaded, Config(), all_rules())
    assert not [f for f in findings if f.rule == "E900"], findings


def test_unreadable_directory_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    locked.chmod(0)
    try:
        result = review(tmp_path, Config(), use_cache=False)
    finally:
        locked.chmod(0o755)
    assert result.files >= 1


def test_two_processes_find_what_one_finds(tree: Tree) -> None:
    loaded = load_project(tree({"api.py": VULNERABLE, "other.py": "import hashlib\n"}))
    serial = run_rules(loaded, Config(), all_rules())
    forked = run_rules(loaded, Config(), all_rules(), workers=2)
    assert sorted(f.sort_key for f in forked) == sorted(f.sort_key for f in serial)
    assert any(f.family == "security" for f in forked)


def test_three_processes_share_the_tasks_and_find_what_one_finds(tree: Tree) -> None:
    loaded = load_project(tree({"api.py": VULNERABLE, "other.py": "import hashlib\n"}))
    serial = run_rules(loaded, Config(), all_rules())
    forked = run_rules(loaded, Config(), all_rules(), workers=3)
    assert sorted(f.sort_key for f in forked) == sorted(f.sort_key for f in serial)


class _DiesInChild(Rule):
    """Reports every module, slowly, except in a forked process, which it ends at once."""

    id = "T000"
    name = "dies-in-child"
    family = "correctness"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    fix_title = "Nothing to fix."
    requires = ()

    def __init__(self, parent: int, marker: Path) -> None:
        self.parent = parent
        self.marker = marker

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        if os.getpid() != self.parent:
            self.marker.write_text("a child took a task", encoding="utf-8")
            os._exit(3)
        time.sleep(0.005)  # long enough for the child to take tasks too
        yield Report(module, module.tree, f"{self.id} saw {module.relpath}")


def test_tasks_of_a_child_that_dies_are_run_again(tree: Tree, tmp_path: Path) -> None:
    loaded = load_project(tree({"api.py": VULNERABLE, "other.py": "x = 1\n"}))
    marker = tmp_path / "marker"
    kinds = [type(f"Rule{n}", (_DiesInChild,), {"id": f"T{n:03d}"}) for n in range(40)]
    rules: list[Rule] = [kind(os.getpid(), marker) for kind in kinds]
    found = run_rules(loaded, Config(), rules, workers=2)
    assert marker.exists()  # the child took a task and died on it
    assert sorted(f.message for f in found) == sorted(
        f"T{n:03d} saw {path}" for n in range(40) for path in ("api.py", "other.py")
    )


def test_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APISMITH_WORKERS", raising=False)
    assert default_workers(10) == 1
    assert default_workers(10_000) == min(os.cpu_count() or 1, 2)
    monkeypatch.setenv("APISMITH_WORKERS", "3")
    assert default_workers(10) == 3
    monkeypatch.setenv("APISMITH_WORKERS", "many")
    assert default_workers(10) == 1
