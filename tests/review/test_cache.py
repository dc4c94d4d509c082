"""Per-file caching: same answer with and without the cache, reuse only where it is sound."""

from __future__ import annotations

import ast
import inspect
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apismith.cli import app
from apismith.config import Config, load_config
from apismith.project.loader import build_project, load_project
from apismith.project.project import Project
from apismith.review import cache
from apismith.review.engine import ReviewResult, review
from apismith.review.imports import closure_digests, looked_up
from apismith.rules import all_rules
from apismith.rules.base import Rule

Tree = Callable[[dict[str, str]], Path]

TESTS = Path(__file__).parent.parent
SHOP = TESTS.parent / "examples" / "shop"
CORPUS = TESTS / "fixtures" / "corpus"
RULE_FIXTURES = TESTS / "fixtures" / "rules"
FILE_RULES = [rule for rule in all_rules() if rule.scope == "file"]
FILE_IDS = tuple(rule.id for rule in FILE_RULES)

# util.py re-exports md5; api.py calls it through util: weak hashing seen only via the import.
HASHING = {
    "util.py": "from hashlib import md5\n",
    "api.py": """
        from util import md5

        def session_key(session_id: str) -> str:
            return md5(session_id.encode()).hexdigest()
    """,
    "other.py": """
        import hashlib

        def make_reset_token(email: str) -> str:
            return hashlib.sha1(email.encode()).hexdigest()
    """,
}


def outcome(result: ReviewResult) -> tuple[object, ...]:
    """Everything a report shows, in order, except timing and the cached flag."""
    return (
        [f.to_dict() for f in result.findings],
        result.errors,
        result.suppressed,
        result.files,
    )


def projects() -> list[Path]:
    """The example shop, the corpus projects and the multi-file rule fixtures."""
    found = [SHOP, *sorted(p for p in CORPUS.iterdir() if p.is_dir())]
    found += sorted(p for p in RULE_FIXTURES.glob("*/*") if p.is_dir() and p.name[0] != "_")
    return found


def copy_of(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy" / source.name
    shutil.copytree(source, target)
    return target


# ---------------------------------------------------------------- scope declarations


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.id)
def test_every_rule_declares_a_known_scope(rule: Rule) -> None:
    assert rule.scope in {"file", "project"}
    if rule.scope == "file":
        assert type(rule).check_project is Rule.check_project, (
            f"{rule.id} looks at the whole project, so it cannot be file-scoped"
        )


FILE_SAFE = {"project", "classes", "config"}  # what a file-scoped rule may read of its Context


@pytest.mark.parametrize("rule", FILE_RULES, ids=lambda rule: rule.id)
def test_file_scoped_rules_read_nothing_project_wide(rule: Rule) -> None:
    tree = ast.parse(Path(inspect.getfile(type(rule))).read_text(encoding="utf-8"))
    read = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "context"
    }
    assert read <= FILE_SAFE, f"{rule.id} reads context.{sorted(read - FILE_SAFE)}"


def test_some_rules_are_file_scoped_and_the_route_rules_are_not() -> None:
    scopes = {rule.id: rule.scope for rule in all_rules()}
    assert {"SEC015", "SEC022", "SEC026"} <= set(FILE_IDS)
    assert scopes["SEC001"] == scopes["SEC010"] == scopes["TST001"] == "project"


# ---------------------------------------------------------------- misclassification


def file_findings(root: Path, relpath: str) -> list[tuple[int, int, str, str]]:
    result = review(root, Config(select=FILE_IDS), use_cache=False)
    assert not [f for f in result.findings if f.family == "error"]
    return [(f.line, f.column, f.rule, f.message) for f in result.findings if f.path == relpath]


def closure_of(project: Project, relpath: str) -> set[str]:
    """Relative paths of the modules name resolution can reach from ``relpath``."""
    by_path = {module.relpath: module for module in project.modules}
    seen = {relpath}
    todo = [by_path[relpath]]
    while todo:
        for name in looked_up(todo.pop()):
            found = project.by_name.get(name)
            if found is not None and found.relpath not in seen:
                seen.add(found.relpath)
                todo.append(found)
    return seen


def closure_only(root: Path, project: Project, relpath: str, tmp_path: Path) -> Path:
    """A copy of ``root`` with only ``relpath`` and what it imports (same folder name)."""
    target = tmp_path / "closure" / relpath.replace("/", "_") / root.name
    for member in closure_of(project, relpath):
        (target / member).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / member, target / member)
    return target


@pytest.mark.parametrize("root", projects(), ids=lambda p: p.name)
def test_file_scoped_findings_need_only_the_file_and_its_imports(
    root: Path, tmp_path: Path
) -> None:
    whole = review(root, Config(select=FILE_IDS), use_cache=False)
    project = load_project(root).project
    for module in project.modules:
        alone = closure_only(root, project, module.relpath, tmp_path)
        assert file_findings(alone, module.relpath) == [
            (f.line, f.column, f.rule, f.message)
            for f in whole.findings
            if f.path == module.relpath
        ], module.relpath


def test_the_closure_check_tells_a_project_scoped_rule(tree: Tree, tmp_path: Path) -> None:
    root = tree(
        {
            "deps.py": """
                from fastapi import Header, HTTPException

                def verify_key(x_api_key: str = Header()) -> str:
                    if x_api_key != "k":
                        return HTTPException(status_code=401)
                    return x_api_key
            """,
            "main.py": """
                from fastapi import Depends, FastAPI

                from deps import verify_key

                app = FastAPI()

                @app.get("/items")
                def items(key: str = Depends(verify_key)) -> list[int]:
                    return []
            """,
        }
    )
    config = Config(select=("COR008",))
    alone = closure_only(root, load_project(root).project, "deps.py", tmp_path)
    assert [f.path for f in review(root, config, use_cache=False).findings] == ["deps.py"]
    assert review(alone, config, use_cache=False).findings == [], "no route uses it there"


def fixture_cases() -> list[object]:
    cases: list[object] = []
    for rule in FILE_RULES:
        for path in sorted(RULE_FIXTURES.glob(f"*/{rule.id}*")):
            cases.append(pytest.param(rule.id, path, id=path.name))
    return cases


@pytest.mark.parametrize(("rule_id", "fixture"), fixture_cases())
def test_file_scoped_fixture_findings_are_the_same_inside_a_project(
    rule_id: str, fixture: Path, tmp_path: Path
) -> None:
    config = Config(select=(rule_id,))
    alone = review(fixture, config, use_cache=False).findings
    assert alone, f"{fixture.name} triggers {rule_id}"
    # The shop, with the fixture added, in a folder named as the fixture's own root, so that
    # module names (which some messages quote) are the same.
    root = fixture if fixture.is_dir() else fixture.parent
    project = tmp_path / root.name
    shutil.copytree(SHOP, project)
    if fixture.is_dir():
        shutil.copytree(fixture, project, dirs_exist_ok=True)
    else:
        shutil.copyfile(fixture, project / fixture.name)
    mine = {path.relative_to(root).as_posix() for path in root.rglob("*.py")}
    if fixture.is_file():
        mine = {fixture.name}
    there = [f for f in review(project, config, use_cache=False).findings if f.path in mine]
    assert [f.to_dict() for f in there] == [f.to_dict() for f in alone]


# ---------------------------------------------------------------- same answer


@pytest.mark.parametrize(
    "source", [SHOP, *sorted(p for p in CORPUS.iterdir() if p.is_dir())], ids=lambda p: p.name
)
def test_cached_results_are_identical_to_uncached_ones(source: Path, tmp_path: Path) -> None:
    root = copy_of(source, tmp_path)
    config = load_config(root)
    directory = tmp_path / "cache"
    plain = review(root, config, use_cache=False)
    cold = review(root, config, cache_dir=directory)
    warm = review(root, config, cache_dir=directory)
    assert not cold.cached and warm.cached
    assert outcome(cold) == outcome(warm) == outcome(plain)
    for edited in sorted(root.rglob("*.py"))[:4]:
        with edited.open("a", encoding="utf-8") as stream:
            stream.write("# edited\n")
        again = review(root, config, cache_dir=directory)
        assert not again.cached
        assert outcome(again) == outcome(review(root, config, use_cache=False)), edited


def test_an_edit_reruns_file_rules_on_that_file_and_its_importers_only(
    tree: Tree, tmp_path: Path
) -> None:
    root = tree(HASHING)
    config = Config(select=FILE_IDS)
    directory = tmp_path / "cache"
    first = review(root, config, cache_dir=directory)
    assert {(f.path, f.rule) for f in first.findings} == {
        ("api.py", "SEC015"),
        ("other.py", "SEC015"),
    }
    (entry,) = directory.glob("*.json")
    data = json.loads(entry.read_text(encoding="utf-8"))
    for table in data["files"].values():
        for item in table["findings"]:
            item["message"] = "served from the cache"
    entry.write_text(json.dumps(data), encoding="utf-8")
    (root / "util.py").write_text("from hashlib import md5  # edited\n", encoding="utf-8")
    second = review(root, config, cache_dir=directory)
    messages = {f.path: f.message for f in second.findings}
    assert messages["other.py"] == "served from the cache", "an unrelated file is not rerun"
    assert messages["api.py"] != "served from the cache", "a file importing the edit is rerun"


def test_a_change_in_an_imported_module_reaches_the_importer(tree: Tree, tmp_path: Path) -> None:
    root = tree(HASHING)
    config = Config(select=("SEC015",))
    directory = tmp_path / "cache"
    assert "api.py" in {f.path for f in review(root, config, cache_dir=directory).findings}
    (root / "util.py").write_text("from hashlib import sha256 as md5\n", encoding="utf-8")
    after = review(root, config, cache_dir=directory)
    assert {f.path for f in after.findings} == {"other.py"}
    assert outcome(after) == outcome(review(root, config, use_cache=False))


def test_per_file_entries_follow_the_configuration(tree: Tree, tmp_path: Path) -> None:
    root = tree(HASHING)
    directory = tmp_path / "cache"
    review(root, Config(select=("SEC015",)), cache_dir=directory)
    (entry,) = directory.glob("*.json")
    data = json.loads(entry.read_text(encoding="utf-8"))
    for table in data["files"].values():
        table["findings"] = []
    entry.write_text(json.dumps(data), encoding="utf-8")
    other = review(root, Config(select=("SEC015", "SEC017")), cache_dir=directory)
    assert {f.path for f in other.findings} == {"api.py", "other.py"}


def test_suppressed_findings_are_counted_the_same_from_the_cache(
    tree: Tree, tmp_path: Path
) -> None:
    files = dict(HASHING)
    files["other.py"] = files["other.py"].replace(
        ".hexdigest()\n", ".hexdigest()  # apismith: ignore[SEC015]\n"
    )
    root = tree(files)
    config = Config(select=("SEC015",))
    directory = tmp_path / "cache"
    plain = review(root, config, use_cache=False)
    assert plain.suppressed == 1
    assert review(root, config, cache_dir=directory).suppressed == 1
    assert review(root, config, cache_dir=directory).suppressed == 1
    (root / "api.py").write_text("x = 1\n", encoding="utf-8")
    partial = review(root, config, cache_dir=directory)
    assert not partial.cached and partial.suppressed == 1 and partial.findings == []


# ---------------------------------------------------------------- import closures


def digests(files: dict[str, str], tmp_path: Path) -> dict[str, str]:
    sources = [(tmp_path / name, source) for name, source in files.items()]
    return closure_digests(build_project(tmp_path, sources).project)


CHAIN = {
    "a.py": "from b import x\n",
    "b.py": "from c import x\n",
    "c.py": "x = 1\n",
    "d.py": "import os\n",
    "pkg/__init__.py": "from pkg.sub import y\n",
    "pkg/sub.py": "import pkg\ny = 2\n",
    "pkg/leaf.py": "from pkg import y\n",
}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {path for path in before if before[path] != after.get(path)}


def test_closure_digests_change_with_what_a_module_reaches(tmp_path: Path) -> None:
    base = digests(CHAIN, tmp_path)
    assert len(set(base.values())) == len(CHAIN)
    assert digests(CHAIN, tmp_path) == base
    assert changed(base, digests({**CHAIN, "c.py": "x = 2\n"}, tmp_path)) == {
        "a.py",
        "b.py",
        "c.py",
    }
    cycle = changed(base, digests({**CHAIN, "pkg/sub.py": "import pkg\ny = 3\n"}, tmp_path))
    assert cycle == {"pkg/__init__.py", "pkg/sub.py", "pkg/leaf.py"}
    assert changed(base, digests({**CHAIN, "d.py": "import sys\n"}, tmp_path)) == {"d.py"}


def test_a_new_module_an_import_names_changes_the_importer(tmp_path: Path) -> None:
    base = digests(CHAIN, tmp_path)
    assert changed(base, digests({**CHAIN, "os.py": "x = 1\n"}, tmp_path)) == {"d.py"}


def test_long_import_chains_do_not_hit_the_recursion_limit(tmp_path: Path) -> None:
    count = sys.getrecursionlimit() + 100
    files = {f"m{n}.py": f"from m{n + 1} import x\n" for n in range(count)}
    files[f"m{count}.py"] = "x = 1\n"
    first = digests(files, tmp_path)
    files[f"m{count}.py"] = "x = 2\n"
    assert changed(first, digests(files, tmp_path)) == set(files)


# ---------------------------------------------------------------- storage


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    empty = cache.TreeResult([], [], 0, {})
    for number in range(cache.KEEP + 3):
        cache.store(directory, f"k{number}", empty)
        os.utime(directory / f"k{number}.json", (number, number))
    cache.load(directory, "k3")  # a hit counts as recent use
    cache.store(directory, "last", empty)
    kept = sorted(path.stem for path in directory.glob("*.json"))
    assert len(kept) == cache.KEEP and "k3" in kept and "last" in kept and "k0" not in kept


def test_temporary_files_left_by_a_killed_run_are_removed(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    old, recent = directory / "old.tmp", directory / "recent.tmp"
    old.write_text("{", encoding="utf-8")
    recent.write_text("{", encoding="utf-8")
    long_ago = time.time() - 2 * cache.STALE_TEMPORARY
    os.utime(old, (long_ago, long_ago))
    cache.store(directory, "k", cache.TreeResult([], [], 0, {}))
    assert not old.exists() and recent.exists(), "a concurrent run may still be writing"


@pytest.mark.parametrize(
    "content",
    [
        '{"format": 2, "files": []}',
        '{"format": 2, "files": {"k": {"findings": [{"rule": 1}], "suppressed": 0}}}',
        '{"format": 2, "files": {"k": {"findings": []}}}',
        '{"format": 2}',
        "[1]",
    ],
    ids=["list", "bad-finding", "no-count", "no-files", "not-an-object"],
)
def test_damaged_per_file_tables_are_ignored(tmp_path: Path, content: str) -> None:
    directory = tmp_path / "cache"
    cache.store(directory, "good", cache.TreeResult([], [], 0, {"g": cache.FileResult([], 1)}))
    (directory / "bad.json").write_text(content, encoding="utf-8")
    (directory / "folder.json").mkdir()
    assert cache.load_files(directory, {"g", "k"}) == {"g": cache.FileResult([], 1)}


def test_a_missing_cache_dir_holds_no_per_file_results(tmp_path: Path) -> None:
    assert cache.load_files(tmp_path / "absent", {"k"}) == {}


def test_concurrent_runs_leave_a_readable_cache(
    tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(HASHING)
    monkeypatch.setenv("APISMITH_CACHE_DIR", str(tmp_path / "cache"))
    command = [str(Path(sys.executable).parent / "apismith"), "review", str(root), "-f", "json"]
    for number in range(3):
        (root / "api.py").write_text(HASHING["api.py"] + f"# run {number}\n", encoding="utf-8")
        (root / f"variant{number}.py").write_text(f"x = {number}\n", encoding="utf-8")
        runs = [subprocess.Popen(command, stdout=subprocess.DEVNULL) for _ in range(3)]
        assert all(run.wait(timeout=120) == 1 for run in runs)
    directory = cache.default_dir(root)
    for entry in directory.iterdir():
        assert entry.suffix == ".json", entry.name
        assert json.loads(entry.read_text(encoding="utf-8"))["format"] == cache.FORMAT
    config = load_config(root)
    final = review(root, config, cache_dir=directory)
    assert final.cached
    assert outcome(final) == outcome(review(root, config, use_cache=False))


def test_two_workers_give_the_same_answer_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APISMITH_WORKERS", "2")
    root = copy_of(SHOP, tmp_path)
    config = load_config(root)
    directory = tmp_path / "cache"
    review(root, config, cache_dir=directory)
    with (root / "shop" / "routers" / "orders.py").open("a", encoding="utf-8") as stream:
        stream.write("# edited\n")
    partial = review(root, config, cache_dir=directory)
    monkeypatch.setenv("APISMITH_WORKERS", "1")
    assert not partial.cached
    assert outcome(partial) == outcome(review(root, config, use_cache=False))


def test_the_documented_command_sequence(
    tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/caching.md: first run, unchanged, one file edited, then --no-cache."""
    monkeypatch.setenv("APISMITH_CACHE_DIR", str(tmp_path / "cache"))
    root = tree(HASHING)
    runner = CliRunner()

    def run(*extra: str) -> dict[str, object]:
        result = runner.invoke(app, ["review", str(root), "-f", "json", *extra])
        assert result.exit_code == 1, result.output
        summary: dict[str, object] = json.loads(result.stdout)["summary"]
        return summary

    assert run()["cached"] is False
    assert run()["cached"] is True
    with (root / "api.py").open("a", encoding="utf-8") as stream:
        stream.write("# note\n")
    entries = set(cache.default_dir(root).iterdir())
    edited = run()
    assert edited["cached"] is False and edited["findings"] == 2
    after = set(cache.default_dir(root).iterdir())
    assert len(after - entries) == 1, "the edited tree's result is stored"
    assert run("--no-cache")["cached"] is False
    assert set(cache.default_dir(root).iterdir()) == after, "--no-cache writes nothing"
