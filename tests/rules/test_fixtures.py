"""Every rule against its fixture: the exact set of (file, line, rule) must match the annotations.

``# expect: ID`` marks a line the rule must report; ``# ok: ID`` a look-alike it must not.
``# todo-expect: ID`` / ``# todo-ok: ID`` mark known gaps; they run as strict xfails, so closing
a gap is noticed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apismith.config import Config
from apismith.review.engine import review
from apismith.rules import all_rules

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"
ANNOTATION = re.compile(
    r"#\s*(expect|ok|todo-expect|todo-ok):\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)"
)

Key = tuple[str, int, str]


def fixture_paths() -> list[Path]:
    return sorted(
        p for p in FIXTURES.glob("*/*") if p.suffix == ".py" or (p.is_dir() and p.name[0] != "_")
    )


def annotations(target: Path) -> dict[str, set[Key]]:
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    base = target.parent if target.is_file() else target
    found: dict[str, set[Key]] = {
        "expect": set(),
        "ok": set(),
        "todo-expect": set(),
        "todo-ok": set(),
    }
    for file in files:
        relpath = file.relative_to(base).as_posix()
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            for match in ANNOTATION.finditer(line):
                for rule in match.group(2).split(","):
                    found[match.group(1)].add((relpath, number, rule.strip()))
    return found


def reported(target: Path, rule_id: str) -> set[Key]:
    result = review(target, Config(select=(rule_id,)), use_cache=False)
    crashes = [f for f in result.findings if f.family == "error"]
    assert not crashes, crashes
    return {(f.path, f.line, f.rule) for f in result.findings}


def _cases() -> list[object]:
    cases: list[object] = []
    for path in fixture_paths():
        rule_id = path.stem if path.is_file() else path.name
        cases.append(pytest.param(path, rule_id, id=f"{rule_id}"))
    return cases


@pytest.mark.parametrize(("path", "rule_id"), _cases())
def test_fixture_matches_annotations(path: Path, rule_id: str) -> None:
    notes = annotations(path)
    got = {key for key in reported(path, rule_id) if key[2] == rule_id}
    wanted = {key for key in notes["expect"] if key[2] == rule_id}
    {key for key in notes["todo-expect"] if key[2] == rule_id}
    todo_extra = {key for key in notes["todo-ok"] if key[2] == rule_id}
    assert wanted, f"{path.name} has no `# expect: {rule_id}` line"
    assert {k for k in notes["ok"] if k[2] == rule_id}, f"{path.name} has no `# ok: {rule_id}` line"
    assert got - todo_extra == wanted, {
        "missed": sorted(wanted - got),
        "unexpected": sorted(got - wanted - todo_extra),
    }


def _todo_cases() -> list[object]:
    cases: list[object] = []
    for path in fixture_paths():
        notes = annotations(path)
        for kind in ("todo-expect", "todo-ok"):
            for key in sorted(notes[kind]):
                cases.append(
                    pytest.param(
                        path,
                        kind,
                        key,
                        id=f"{key[2]}-{kind}-{key[0]}:{key[1]}",
                        marks=pytest.mark.xfail(reason="known gap", strict=True),
                    )
                )
    return cases


@pytest.mark.parametrize(("path", "kind", "key"), _todo_cases())
def test_known_gap_still_open(path: Path, kind: str, key: Key) -> None:
    got = reported(path, key[2])
    if kind == "todo-expect":
        assert key in got
    else:
        assert key not in got


def test_every_rule_has_a_fixture() -> None:
    names = {p.stem if p.is_file() else p.name for p in fixture_paths()}
    missing = [rule.id for rule in all_rules() if rule.id not in names]
    assert not missing
