"""The engine, its cache and baselines, and project loading and discovery, on real files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from apismith.config import Config
from apismith.errors import UsageError
from apismith.findings import Applicability, Confidence, Finding, Fix, Severity
from apismith.project.discovery import discover
from apismith.project.loader import (
    FileProblem,
    build_project,
    load_module,
    load_project,
    read_files,
    relative,
)
from apismith.project.module import Module
from apismith.review import baseline, cache
from apismith.review.engine import review, run_rules
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

Tree = Callable[[dict[str, str]], Path]

# Line 10: MNT002 (low) and MNT004 (info) on the decorator; line 12: SEC001 (critical).
API = """
    from fastapi import FastAPI
    from sqlalchemy import text

    app = FastAPI()


    # a comment


    @app.get("/search")
    def search(q: str, db=None):
        return db.execute(text(f"SELECT * FROM t WHERE name = '{q}'"))
"""
DECORATOR = '@app.get("/search")'
SQL_LINE = "return db.execute(text(f\"SELECT * FROM t WHERE name = '{q}'\"))"


def rules_at(findings: Iterable[Finding]) -> set[tuple[str, str, int]]:
    return {(f.path, f.rule, f.line) for f in findings}


# ---------------------------------------------------------------- review()


def test_review_of_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"missing: no such file or directory"):
        review(tmp_path / "missing", Config(), use_cache=False)


def test_review_of_a_single_file_looks_at_that_file_only(tree: Tree) -> None:
    root = tree({"api.py": API, "other.py": API, "pkg/more.py": API})
    result = review(root / "api.py", Config(select=("SEC001",)), use_cache=False)
    assert result.root == root
    assert result.files == 1
    assert rules_at(result.findings) == {("api.py", "SEC001", 12)}
    assert not result.cached and result.seconds > 0


def test_progress_receives_each_stage(tree: Tree, tmp_path: Path) -> None:
    root = tree({"api.py": API, "util.py": "x = 1\n"})
    config = Config(select=("SEC001", "MNT004"))
    messages: list[str] = []
    review(root, config, cache_dir=tmp_path / "cache", progress=messages.append)
    assert messages == ["read 2 files", "parsed 2 modules, 1 routes", "ran MNT004", "ran SEC001"]
    messages.clear()
    again = review(root, config, cache_dir=tmp_path / "cache", progress=messages.append)
    assert again.cached
    assert messages == ["read 2 files"], "a cache hit skips parsing and rules"


def test_suppression_comment_with_several_ids(tree: Tree) -> None:
    source = API.replace(DECORATOR, DECORATOR + "  # apismith: ignore[MNT004, mnt002]")
    root = tree({"api.py": source})
    config = Config(select=("SEC001", "MNT"))
    result = review(root, config, use_cache=False)
    assert rules_at(result.findings) == {("api.py", "SEC001", 12)}
    assert result.suppressed == 2
    plain = review(tree({"api.py": API}), config, use_cache=False)
    assert {f.rule for f in plain.findings} == {"SEC001", "MNT002", "MNT004"}
    assert plain.suppressed == 0


@pytest.mark.parametrize(
    ("comment", "kept"),
    [
        ("#apismith:ignore[SEC001]", set()),
        ("# apismith: ignore[SEC001,SEC002]", set()),
        ("# apismith: ignore[SEC]", {"SEC001"}),
        ("# apismith: ignore[SEC0011]", {"SEC001"}),
        ("# apismith: ignore", {"SEC001"}),
        ("# noqa: SEC001", {"SEC001"}),
    ],
)
def test_suppression_needs_the_exact_rule_id(tree: Tree, comment: str, kept: set[str]) -> None:
    root = tree({"api.py": API.replace(SQL_LINE, f"{SQL_LINE}  {comment}")})
    result = review(root, Config(select=("SEC001",)), use_cache=False)
    assert {f.rule for f in result.findings} == kept
    assert result.suppressed == 1 - len(kept)


def test_per_file_ignores_glob_prefix_and_family(tree: Tree) -> None:
    root = tree(
        {
            "app/api.py": API,
            "legacy/api.py": API,
            "legacy/deep/api.py": API,
            "scripts/api.py": API,
            "tools/api.py": API,
        }
    )
    config = Config(
        select=("SEC001", "MNT004"),
        per_file_ignores={
            "legacy/*": ("sec",),
            "scripts/*.py": ("security", "MNT004"),
            "tools/*": ("PERF",),
        },
    )
    result = review(root, config, use_cache=False)
    assert rules_at(result.findings) == {
        ("app/api.py", "SEC001", 12),
        ("app/api.py", "MNT004", 10),
        ("legacy/api.py", "MNT004", 10),
        ("legacy/deep/api.py", "MNT004", 10),
        ("tools/api.py", "SEC001", 12),
        ("tools/api.py", "MNT004", 10),
    }
    assert result.suppressed == 0, "per-file ignores are not counted as suppressions"


def test_min_severity_filters_findings_but_not_errors(tree: Tree) -> None:
    root = tree({"api.py": API, "broken.py": "def broken(:\n"})
    every = review(root, Config(), use_cache=False)
    assert {"MNT002", "MNT004", "SEC001", "E001"} <= {f.rule for f in every.findings}
    high = review(root, Config(min_severity=Severity.HIGH), use_cache=False)
    assert all(f.severity >= Severity.HIGH for f in high.findings)
    assert {f.rule for f in high.findings} == {
        f.rule for f in every.findings if f.severity >= Severity.HIGH
    }
    assert {"SEC001", "E001"} <= {f.rule for f in high.findings}
    assert [e.path for e in high.errors] == ["broken.py"]


def test_findings_and_errors_come_sorted(tree: Tree) -> None:
    root = tree({"b.py": API, "a.py": API, "z.py": "(\n", "c.py": "def f(:\n"})
    result = review(root, Config(select=("SEC001", "MNT")), use_cache=False)
    assert [f.sort_key for f in result.findings] == sorted(f.sort_key for f in result.findings)
    assert [e.path for e in result.errors] == ["c.py", "z.py"]


class ProjectCrash(Rule):
    id = "TST999"
    name = "project-crash"
    family = "testing"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    fix_title = "Nothing."
    requires = ()

    def check_project(self, context: Context) -> Iterable[Report]:
        raise ValueError("no project for you")


class EveryModule(Rule):
    id = "TST998"
    name = "every-module"
    family = "testing"
    severity = Severity.LOW
    confidence = Confidence.LOW
    fix_title = "Nothing."
    requires = ("sqlalchemy",)

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        yield Report(module, module.tree.body[0], "first statement")
        yield Report(module, module.tree.body[0], "first statement")


def test_a_rule_crashing_on_the_project_becomes_one_finding(tree: Tree) -> None:
    loaded = load_project(tree({"api.py": API, "tests/test_api.py": API, "plain.py": "x = 1\n"}))
    messages: list[str] = []
    findings = run_rules(loaded, Config(), [ProjectCrash(), EveryModule()], messages.append)
    assert messages == ["ran TST999", "ran TST998"]
    crash, own = findings
    assert (crash.rule, crash.path, crash.line, crash.family) == ("E900", ".", 1, "error")
    assert crash.message == "rule TST999 (project-crash) crashed: ValueError: no project for you"
    assert (own.rule, own.path, own.line, own.message) == ("TST998", "api.py", 1, "first statement")
    assert own.fix == Fix("Nothing.", Applicability.DISPLAY)
    assert own.excerpt == "from fastapi import FastAPI"


class PickyCrash(Rule):
    id = "TST997"
    name = "picky-crash"
    family = "testing"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    fix_title = "Nothing."
    requires = ()

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        if module.relpath == "bad.py":
            raise KeyError("lookup")
        yield Report(module, module.tree, "module seen", severity=Severity.HIGH)


@pytest.mark.parametrize("verbose", [False, True])
def test_a_rule_crashing_on_one_module_still_checks_the_others(tree: Tree, verbose: bool) -> None:
    loaded = load_project(tree({"a.py": "x = 1\n", "bad.py": "y = 2\n", "c.py": "z = 3\n"}))
    findings = run_rules(loaded, Config(), [PickyCrash()], verbose=verbose)
    assert [(f.rule, f.path) for f in findings] == [
        ("TST997", "a.py"),
        ("E900", "bad.py"),
        ("TST997", "c.py"),
    ]
    crash = findings[1]
    assert crash.message.startswith("rule TST997 (picky-crash) crashed: ")
    if verbose:
        assert "Traceback (most recent call last)" in crash.message
        assert "KeyError: 'lookup'" in crash.message
    else:
        assert crash.message.endswith("crashed: KeyError: 'lookup'")
    seen = findings[0]
    assert (seen.severity, seen.line, seen.column) == (Severity.HIGH, 1, 1)
    assert (seen.end_line, seen.end_column) == (1, 1), "a node without a position"


# ---------------------------------------------------------------- cache


def test_default_cache_dir_honours_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    monkeypatch.setenv("APISMITH_CACHE_DIR", str(tmp_path / "own"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_dir(root) == tmp_path / "own" / digest
    monkeypatch.delenv("APISMITH_CACHE_DIR")
    assert cache.default_dir(root) == tmp_path / "xdg" / "apismith" / digest
    monkeypatch.setenv("APISMITH_CACHE_DIR", "")
    assert cache.default_dir(root) == tmp_path / "xdg" / "apismith" / digest
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.default_dir(root) == tmp_path / "home" / ".cache" / "apismith" / digest
    other = tmp_path / "other"
    other.mkdir()
    assert cache.default_dir(other).name != digest
    assert cache.default_dir(root / "." / "..") == cache.default_dir(tmp_path)


def test_review_uses_the_cache_dir_from_the_environment(
    tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APISMITH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = tree({"api.py": API})
    first = review(root, Config(select=("SEC001",)))
    (entry,) = (tmp_path / "xdg" / "apismith").glob("*/*.json")
    assert entry.parent == cache.default_dir(root)
    second = review(root, Config(select=("SEC001",)))
    assert not first.cached and second.cached
    assert second.findings == first.findings and second.files == 1
    assert not list(root.rglob("*.json")), "nothing is written inside the project"


def _sample_findings() -> list[Finding]:
    return [
        Finding(
            rule="SEC001",
            name="sql-injection",
            family="security",
            severity=Severity.CRITICAL,
            confidence=Confidence.HIGH,
            cwe=89,
            path="api.py",
            line=11,
            column=23,
            end_line=11,
            end_column=70,
            message="SQL built from `q` — ünïcode",
            fix=Fix("Bind parameters.", Applicability.UNSAFE),
            excerpt="    return db.execute(q)\n",
        ),
        Finding(
            rule="MNT004",
            name="missing-operation-summary",
            family="maintainability",
            severity=Severity.INFO,
            confidence=Confidence.LOW,
            cwe=None,
            path="pkg/x.py",
            line=2,
            column=1,
            end_line=3,
            end_column=4,
            message="no summary",
            fix=None,
            excerpt="",
        ),
    ]


def test_cache_store_and_load_round_trip(tmp_path: Path) -> None:
    directory = tmp_path / "a" / "b"
    findings = _sample_findings()
    errors = [FileProblem("bad.py", "syntax error: x", 3, 7), FileProblem("bin.py", "binary")]
    files = {"f1": cache.FileResult(findings[:1], 2), "f2": cache.FileResult([], 0)}
    cache.store(directory, "k1", cache.TreeResult(findings, errors, 3, files))
    assert cache.load(directory, "k1") == cache.TreeResult(findings, errors, 3, {})
    assert cache.load(directory, "k2") is None
    assert cache.load_files(directory, {"f1", "f2"}) == files
    assert cache.load_files(directory, {"f2", "f3"}) == {"f2": files["f2"]}
    cache.store(directory, "k2", cache.TreeResult(findings[:1], [], 0, {}))
    assert cache.load(directory, "k2") == cache.TreeResult(findings[:1], [], 0, {})
    assert cache.load(directory, "k1") is not None, "a few older entries are kept"
    assert cache.load_files(directory, {"f1", "f2"}) == files


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "",
        "[]",
        '{"findings": []}',
        '{"findings": [{"rule": "X"}], "errors": []}',
        '{"findings": [], "errors": [{"nope": 1}]}',
        '{"findings": [], "errors": [["a", "b"]]}',
        '{"format": 3, "findings": [], "errors": [], "suppressed": "many", "rules": []}',
        '{"format": 3, "findings": [], "errors": [], "rules": []}',
        '{"format": 3, "findings": [], "errors": [], "suppressed": 0}',
        '{"format": 3, "findings": [], "errors": [], "suppressed": 0, "rules": 7}',
        '{"format": 2, "findings": [], "errors": [], "suppressed": 0, "rules": []}',
    ],
    ids=[
        "truncated",
        "empty",
        "list",
        "no-errors",
        "partial-finding",
        "bad-error",
        "error-list",
        "bad-count",
        "no-count",
        "no-rules",
        "bad-rules",
        "old-format",
    ],
)
def test_corrupted_cache_entries_are_ignored(tree: Tree, tmp_path: Path, content: str) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    (directory / "k.json").write_text(content, encoding="utf-8")
    assert cache.load(directory, "k") is None


def test_corrupted_cache_entry_makes_review_recompute(tree: Tree, tmp_path: Path) -> None:
    root = tree({"api.py": API})
    directory = tmp_path / "cache"
    config = Config(select=("SEC001",))
    first = review(root, config, cache_dir=directory)
    (entry,) = directory.glob("*.json")
    entry.write_text('{"findings": [{"rule": 1}]', encoding="utf-8")
    second = review(root, config, cache_dir=directory)
    assert not second.cached and second.findings == first.findings
    assert json.loads(entry.read_text(encoding="utf-8"))["findings"][0]["rule"] == "SEC001"
    assert review(root, config, cache_dir=directory).cached


def test_unwritable_cache_dir_is_ignored(tree: Tree, tmp_path: Path) -> None:
    root = tree({"api.py": API})
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    config = Config(select=("SEC001",))
    first = review(root, config, cache_dir=blocker)
    second = review(root, config, cache_dir=blocker / "nested")
    assert not first.cached and not second.cached
    assert first.findings == second.findings and len(first.findings) == 1
    assert blocker.read_text(encoding="utf-8").startswith("a file")


def test_cache_key_tracks_content_names_config_and_rule_selectors(tree: Tree) -> None:
    root = tree({"api.py": API, "util.py": "x = 1\n"})
    sources, _ = read_files(root)
    base = cache.key(root, sources, Config())
    assert cache.key(root, list(sources), Config()) == base
    edited = [(sources[0][0], sources[0][1] + "\n"), sources[1]]
    renamed = [(root / "renamed.py", sources[0][1]), sources[1]]
    assert (
        len(
            {
                base,
                cache.key(root, edited, Config()),
                cache.key(root, renamed, Config()),
                cache.key(root, sources, Config(select=("SEC001",))),
                cache.key(root, sources, Config(ignore=("SEC001",))),
                cache.key(root, sources, Config(extend_select=("SEC001",))),
                cache.key(root, sources[:1], Config()),
            }
        )
        == 7
    )
    assert cache.key(root, sources, Config(fail_on=Severity.HIGH)) == base


def test_cache_key_is_the_same_however_the_root_is_spelled(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree({"api.py": API, "pkg/util.py": "x = 1\n"})
    absolute = cache.key(root, read_files(root)[0], Config())
    monkeypatch.chdir(root)
    assert cache.key(Path(), read_files(Path())[0], Config()) == absolute
    monkeypatch.chdir(root.parent)
    relative = Path(root.name)
    assert cache.key(relative, read_files(relative)[0], Config()) == absolute
    assert cache.key(root / "api.py", [(root / "api.py", API)], Config()) != absolute


def test_a_changed_file_misses_the_cache(tree: Tree, tmp_path: Path) -> None:
    root = tree({"api.py": API})
    config = Config(select=("SEC001",))
    review(root, config, cache_dir=tmp_path / "c")
    source = (root / "api.py").read_text(encoding="utf-8")
    (root / "api.py").write_text(source.replace("'{q}'", "'x'"), encoding="utf-8")
    changed = review(root, config, cache_dir=tmp_path / "c")
    assert not changed.cached and changed.findings == []


# ---------------------------------------------------------------- baseline


def test_baseline_survives_moved_lines(tree: Tree, tmp_path: Path) -> None:
    root = tree({"api.py": API})
    config = Config(select=("SEC001", "MNT004"))
    before = review(root, config, use_cache=False).findings
    saved = tmp_path / "baseline.json"
    baseline.write(saved, before)
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["version"] == 1 and len(document["findings"]) == 2
    source = (root / "api.py").read_text(encoding="utf-8")
    (root / "api.py").write_text("import os\n\n\n" + source, encoding="utf-8")
    after = review(root, config, use_cache=False).findings
    assert {f.line for f in after} == {f.line + 3 for f in before}
    assert [baseline.fingerprint(f) for f in after] == [baseline.fingerprint(f) for f in before]
    assert baseline.filter_new(baseline.read(saved), after) == []


def test_baseline_counts_identical_findings(tree: Tree, tmp_path: Path) -> None:
    root = tree({"api.py": API})
    config = Config(select=("SEC001",))
    saved = tmp_path / "baseline.json"
    baseline.write(saved, review(root, config, use_cache=False).findings)
    (root / "api.py").write_text(
        (root / "api.py").read_text(encoding="utf-8") + f"    {SQL_LINE}\n", encoding="utf-8"
    )
    findings = review(root, config, use_cache=False).findings
    assert [f.line for f in findings] == [12, 13]
    (fresh,) = baseline.filter_new(baseline.read(saved), findings)
    assert fresh.line == 13
    assert baseline.filter_new(Counter(), findings) == findings


def test_baseline_fingerprint_uses_rule_path_and_first_line() -> None:
    sql, summary = _sample_findings()
    assert baseline.fingerprint(sql) == "SEC001|api.py|return db.execute(q)"
    assert baseline.fingerprint(summary) == "MNT004|pkg/x.py|"


@pytest.mark.parametrize(
    "content",
    ["{", '{"version": 1}', "[1, 2]", "null"],
    ids=["truncated", "no-findings", "list", "null"],
)
def test_unreadable_baseline_is_a_usage_error(tmp_path: Path, content: str) -> None:
    saved = tmp_path / "b.json"
    saved.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match="not a readable apismith baseline"):
        baseline.read(saved)


def test_missing_baseline_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.json: not a readable apismith baseline"):
        baseline.read(tmp_path / "nope.json")


# ---------------------------------------------------------------- loader


def test_relative_paths() -> None:
    root = Path("/project")
    assert relative(root, Path("/project/pkg/api.py")) == "pkg/api.py"
    assert relative(root, root) == "project"
    assert relative(root, Path("/elsewhere/api.py")) == "/elsewhere/api.py"


def test_module_outside_the_root_keeps_its_full_path(tree: Tree, tmp_path: Path) -> None:
    root = tree({"api.py": API})
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n", encoding="utf-8")
    loaded = build_project(root, [(outside, "x = 1\n")])
    (module,) = loaded.project.modules
    assert module.relpath == outside.as_posix()
    assert module.name == "outside"


def test_load_module_indexes_a_file(tree: Tree) -> None:
    root = tree({"pkg/__init__.py": "", "pkg/tests/test_api.py": API})
    path = root / "pkg" / "tests" / "test_api.py"
    module = load_module(root, path, path.read_text(encoding="utf-8"))
    assert module.relpath == "pkg/tests/test_api.py"
    assert module.is_test and not module.is_package
    assert "text" in module.imports


def test_deep_elif_chain_is_a_problem_not_a_crash(tree: Tree) -> None:
    chain = "if a:\n    pass\n" + "elif a:\n    pass\n" * 1500
    root = tree({"api.py": API})
    api = (root / "api.py").read_text(encoding="utf-8")
    loaded = build_project(root, [(root / "chain.py", chain), (root / "api.py", api)])
    assert loaded.problems == [FileProblem("chain.py", "cannot be parsed: RecursionError")]
    assert [m.relpath for m in loaded.project.modules] == ["api.py"]


def test_unreadable_files_are_problems_and_the_rest_is_read(tree: Tree) -> None:
    root = tree({"api.py": API, "util.py": "x = 1\n"})
    (root / "blob.py").write_bytes(b"\x00\x01")
    os.mkfifo(root / "pipe.py")
    sources, problems = read_files(root)
    assert [p.name for p, _ in sources] == ["api.py", "util.py"]
    assert problems == [
        FileProblem("blob.py", "binary file (contains NUL bytes)"),
        FileProblem("pipe.py", "not a regular file"),
    ]
    loaded = load_project(root)
    assert [p.path for p in loaded.problems] == ["blob.py", "pipe.py"]
    assert len(loaded.routes.routes) == 1


def test_load_project_of_a_single_file(tree: Tree) -> None:
    root = tree({"api.py": API, "other.py": API})
    loaded = load_project(root / "api.py")
    assert [m.relpath for m in loaded.project.modules] == ["api.py"]
    assert loaded.project.root == root


# ---------------------------------------------------------------- discovery


def names(root: Path, exclude: tuple[str, ...] = ()) -> list[str]:
    found = discover(root, exclude)
    assert found.problems == []
    return [path.relative_to(root).as_posix() for path in found.files]


def test_nested_gitignore_applies_below_its_folder(tree: Tree) -> None:
    root = tree(
        {
            ".gitignore": "*.gen.py\nbuild_out/\n",
            "a.py": "",
            "a.gen.py": "",
            "build_out/x.py": "",
            "pkg/.gitignore": "local.py\n/top_only.py\n",
            "pkg/local.py": "",
            "pkg/top_only.py": "",
            "pkg/other.gen.py": "",
            "pkg/sub/local.py": "",
            "pkg/sub/top_only.py": "",
            "pkg/sub/build_out/y.py": "",
            "local.py": "",
            "top_only.py": "",
        }
    )
    assert names(root) == ["a.py", "local.py", "pkg/sub/top_only.py", "top_only.py"]


def test_nested_gitignore_negation_re_includes(tree: Tree) -> None:
    root = tree(
        {
            ".gitignore": "*.gen.py\n",
            "pkg/.gitignore": "!keep.gen.py\n",
            "pkg/keep.gen.py": "",
            "pkg/other.gen.py": "",
            "lib/.gitignore": "local.py\n",
            "lib/local.py": "",
            "lib/shared.py": "",
        }
    )
    assert names(root) == ["lib/shared.py", "pkg/keep.gen.py"]


def test_nested_gitignore_cannot_re_include_inside_an_ignored_folder(tree: Tree) -> None:
    root = tree(
        {
            ".gitignore": "generated/\n",
            "generated/.gitignore": "!*.py\n",
            "generated/made.py": "",
            "app.py": "",
        }
    )
    assert names(root) == ["app.py"]


def test_excluded_globs_files_and_folders(tree: Tree) -> None:
    root = tree(
        {
            "app/api.py": "",
            "app/api_pb2.py": "",
            "migrations/0001.py": "",
            "app/migrations/0002.py": "",
            "vendor/lib.py": "",
            "notes.txt": "",
        }
    )
    assert names(root) == [
        "app/api.py",
        "app/api_pb2.py",
        "app/migrations/0002.py",
        "migrations/0001.py",
        "vendor/lib.py",
    ]
    assert names(root, ("*_pb2.py", "/migrations/", "vendor")) == [
        "app/api.py",
        "app/migrations/0002.py",
    ]
    assert names(root, ("migrations/",)) == ["app/api.py", "app/api_pb2.py", "vendor/lib.py"]


def test_tool_folders_are_skipped(tree: Tree) -> None:
    root = tree(
        {
            "app.py": "",
            ".venv/lib/x.py": "",
            "node_modules/x.py": "",
            "pkg.egg-info/x.py": "",
            "build/x.py": "",
            "src/build_tools/x.py": "",
        }
    )
    assert names(root) == ["app.py", "src/build_tools/x.py"]


def test_a_file_given_directly_is_discovered_even_if_ignored(tree: Tree) -> None:
    root = tree({".gitignore": "gen.py\n", "gen.py": "", "other.py": ""})
    found = discover(root / "gen.py", ("gen.py",))
    assert found.files == [root / "gen.py"] and found.problems == []
    assert names(root) == ["other.py"]


def test_a_missing_root_cannot_be_listed(tmp_path: Path) -> None:
    found = discover(tmp_path / "missing")
    assert found.files == []
    assert found.problems == [
        (tmp_path / "missing", "cannot list directory: No such file or directory")
    ]


def _make_too_deep(parent: Path) -> tuple[Path, list[Path]]:
    """Nest folders until the innermost path exceeds PATH_MAX, with a module in each listable one.

    Returns the innermost folder and the modules written.
    """
    limit = os.pathconf(parent, "PC_PATH_MAX")
    parent.mkdir()
    current, written = parent, []
    descriptor = os.open(parent, os.O_RDONLY)
    try:
        while len(str(current)) < limit:
            name = "d" * 200
            os.mkdir(name, dir_fd=descriptor)
            inner = os.open(name, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
            current = current / name
            module = current / "ok.py"
            if len(str(module)) < limit - 100:
                module.write_text("x = 1\n", encoding="utf-8")
                written.append(module)
    finally:
        os.close(descriptor)
    return current, written


def test_a_folder_that_cannot_be_listed_is_a_problem(tree: Tree) -> None:
    root = tree({"top.py": "x = 1\n"})
    deepest, written = _make_too_deep(root / "deep")
    try:
        found = discover(root)
        assert found.problems == [(deepest, "cannot list directory: File name too long")]
        assert found.files == sorted([*written, root / "top.py"])
        result = review(root, Config(), use_cache=False)
        assert result.files == len(found.files)
        assert [e.reason for e in result.errors] == ["cannot list directory: File name too long"]
    finally:
        shutil.rmtree(root / "deep")


def _folder_of_length(parent: Path, length: int) -> Path:
    """A folder under ``parent`` whose path is exactly ``length`` characters long."""
    parent.mkdir()
    current = parent
    descriptor = os.open(parent, os.O_RDONLY)
    try:
        while len(str(current)) < length:
            name = "d" * min(200, length - len(str(current)) - 1)
            os.mkdir(name, dir_fd=descriptor)
            inner = os.open(name, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
            current = current / name
    finally:
        os.close(descriptor)
    return current


def test_a_module_near_path_max_is_analysed_or_reported(tree: Tree) -> None:
    root = tree({"top.py": "x = 1\n"})
    limit = os.pathconf(root, "PC_PATH_MAX")
    folder = _folder_of_length(root / "deep", limit - len("/__init__.py"))
    (folder / "m.py").write_text("x = 1\n", encoding="utf-8")
    try:
        result = review(root, Config(), use_cache=False)
    finally:
        shutil.rmtree(root / "deep")
    assert result.files == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists any folder whatever its mode")
def test_a_folder_without_permission_is_a_problem(tree: Tree) -> None:
    root = tree({"ok.py": "", "locked/x.py": ""})
    (root / "locked").chmod(0)
    try:
        found = discover(root)
    finally:
        (root / "locked").chmod(0o755)
    assert found.files == [root / "ok.py"]
    assert found.problems == [(root / "locked", "cannot list directory: Permission denied")]
