"""Whole apps against their annotations: every security and performance finding, exactly.

Each folder of ``tests/fixtures/corpus/`` is a small FastAPI application with its defects marked
``# expect: ID`` and its look-alikes ``# ok: ID``. The review of the app with the security and
performance families must report exactly the expected (file, line, rule) set; known gaps are
``# todo-expect:`` / ``# todo-ok:`` strict xfails.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from test_fixtures import Key, annotations

from apismith.config import Config
from apismith.review.engine import review

CORPUS = Path(__file__).parent.parent / "fixtures" / "corpus"
FAMILIES = ("security", "performance")


def apps() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_dir() and p.name[0] not in "._")


@cache
def reported(app: Path) -> frozenset[Key]:
    result = review(app, Config(select=FAMILIES), use_cache=False)
    crashes = [f for f in result.findings if f.family == "error"]
    assert not crashes, crashes
    return frozenset((f.path, f.line, f.rule) for f in result.findings)


@pytest.mark.parametrize("app", apps(), ids=lambda p: p.name)
def test_app_matches_annotations(app: Path) -> None:
    notes = annotations(app)
    got = set(reported(app))
    assert notes["expect"] and notes["ok"], f"{app.name} needs `# expect:` and `# ok:` lines"
    assert got - notes["todo-ok"] == notes["expect"], {
        "missed": sorted(notes["expect"] - got),
        "unexpected": sorted(got - notes["expect"] - notes["todo-ok"]),
    }


def _todo_cases() -> list[object]:
    return [
        pytest.param(
            app,
            kind,
            key,
            id=f"{app.name}-{kind}-{key[0]}:{key[1]}-{key[2]}",
            marks=pytest.mark.xfail(reason="known gap", strict=True),
        )
        for app in apps()
        for kind, keys in annotations(app).items()
        if kind.startswith("todo-")
        for key in sorted(keys)
    ]


@pytest.mark.parametrize(("app", "kind", "key"), _todo_cases())
def test_known_gap_still_open(app: Path, kind: str, key: Key) -> None:
    got = reported(app)
    assert (key in got) if kind == "todo-expect" else (key not in got)


def test_corpus_has_enough_apps() -> None:
    assert len(apps()) >= 6
