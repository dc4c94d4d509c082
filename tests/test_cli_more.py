"""More of the real Typer app: entry point, ``routes`` table, ``review`` text report and config."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from apismith import __version__
from apismith.cli import app, main
from apismith.config import Config
from apismith.findings import Confidence, Finding, Fix, Severity
from apismith.output import render_text
from apismith.project.loader import FileProblem
from apismith.review.engine import ReviewResult

Tree = Callable[[dict[str, str]], Path]

WIDE = {"COLUMNS": "200"}

# Line 11: SEC001 (critical). Lines 9 and 14: MNT002 (low) and MNT004 (info). Line 16: SEC017.
API = """
    import random

    from fastapi import FastAPI
    from sqlalchemy import text

    app = FastAPI()


    @app.get("/search")
    def search(q: str, db=None):
        return db.execute(text(f"SELECT * FROM t WHERE name = '{q}'"))


    @app.get("/token")
    def token():
        return {"token": random.random()}
"""

ROUTES = {
    "api.py": """
        from fastapi import Depends, FastAPI
        from pydantic import BaseModel

        app = FastAPI()


        class Item(BaseModel):
            name: str


        def get_current_user() -> str:
            return "alice"


        @app.get("/items/{item_id}", response_model=Item)
        def read_item(item_id: int, user: str = Depends(get_current_user)) -> Item:
            return Item(name="x")


        @app.post("/items", response_model=None)
        def create_item(item: Item) -> Item:
            return item


        @app.get("/health")
        def health():
            return {"status": "ok"}


        @app.get("/version")
        def version() -> str:
            return "1"
    """,
    "legacy.py": """
        from fastapi import APIRouter

        router = APIRouter()


        @router.get("/old")
        def old() -> int:
            return 1
    """,
    "tests/test_api.py": """
        from fastapi.testclient import TestClient

        from api import app

        client = TestClient(app)


        def test_health() -> None:
            assert client.get("/health").status_code == 200
    """,
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every run's cache inside the test's own directory."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("APISMITH_CACHE_DIR", str(cache))
    return cache


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=WIDE)
    return result.exit_code, result.stdout, result.stderr


def table_rows(out: str) -> dict[str, list[str]]:
    """Rich table body rows keyed by their path cell."""
    rows: dict[str, list[str]] = {}
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) == 6:
            rows[cells[1]] = cells
    return rows


# ---------------------------------------------------------------- entry point


def test_version_flag_prints_the_package_version(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "--version")
    assert code == 0
    assert out == f"apismith {__version__}\n"


def test_version_is_eager_and_skips_the_subcommand(runner: CliRunner, tmp_path: Path) -> None:
    code, out, err = invoke(runner, "--version", "review", str(tmp_path / "missing"))
    assert code == 0 and out.startswith("apismith ") and "no such file" not in err


def test_no_arguments_prints_help_listing_every_command(runner: CliRunner) -> None:
    result = runner.invoke(app, [], env=WIDE)
    assert result.exit_code == 2
    assert "Usage:" in result.output
    for command in ("review", "routes", "rules", "rule"):
        assert command in result.output


def test_unknown_command_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["reveiw"], env=WIDE)
    assert result.exit_code == 2
    assert "reveiw" in result.output


class _Exited(Exception):
    """Raised in place of ending the test process."""


def _exits(monkeypatch: pytest.MonkeyPatch) -> None:
    def leave(code: int) -> None:
        raise _Exited(code)

    monkeypatch.setattr(os, "_exit", leave)


def test_console_entry_point_exits_with_the_command_code(
    tree: Tree, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _exits(monkeypatch)
    monkeypatch.setattr(sys, "argv", ["apismith", "--version"])
    with pytest.raises(_Exited) as version:
        main()
    assert version.value.args == (0,)
    assert capsys.readouterr().out == f"apismith {__version__}\n"

    root = tree({"api.py": API})
    argv = ["apismith", "review", str(root), "--no-cache", "-q", "--select", "SEC001"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(_Exited) as review:
        main()
    assert review.value.args == (1,)
    assert "SEC001" in capsys.readouterr().out


def test_console_entry_point_reports_a_message_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _exits(monkeypatch)

    def stop() -> None:
        raise SystemExit("cannot go on")

    monkeypatch.setattr("apismith.cli.app", stop)
    with pytest.raises(_Exited) as ended:
        main()
    assert ended.value.args == (1,)
    assert capsys.readouterr().err == "cannot go on\n"


def test_console_process_flushes_its_report_before_it_ends(tree: Tree) -> None:
    root = tree({"api.py": API})
    entry = "from apismith.cli import main; main()"
    command = [sys.executable, "-c", entry, "review", str(root), "--no-cache", "-f", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert any(f["rule"] == "SEC001" for f in json.loads(done.stdout)["findings"])


# ---------------------------------------------------------------- routes


def test_routes_table_shows_auth_response_model_and_tests(runner: CliRunner, tree: Tree) -> None:
    code, out, _ = invoke(runner, "routes", str(tree(ROUTES)))
    assert code == 0
    assert "5 route(s)" in out
    rows = table_rows(out)
    assert rows["/items/{item_id}"] == [
        "GET",
        "/items/{item_id}",
        "api.py:15",
        "yes (get_current_user)",
        "Item",
        "no",
    ]
    assert rows["/items"] == ["POST", "/items", "api.py:20", "no", "-", "no"]
    assert rows["/health"] == ["GET", "/health", "api.py:25", "no", "-", "yes"]
    assert rows["/version"][4] == "str", "the return annotation stands in for response_model"
    assert list(rows) == sorted(rows), "rows are sorted by path"


def test_routes_table_prints_generic_annotations_verbatim(runner: CliRunner, tree: Tree) -> None:
    root = tree(
        {
            "api.py": """
                from fastapi import FastAPI

                app = FastAPI()


                @app.get("/health")
                def health() -> dict[str, str]:
                    return {"status": "ok"}
            """
        }
    )
    code, out, _ = invoke(runner, "routes", str(root))
    assert code == 0
    assert table_rows(out)["/health"][4] == "dict[str, str]"


def test_routes_json_matches_the_table(runner: CliRunner, tree: Tree) -> None:
    code, out, _ = invoke(runner, "routes", str(tree(ROUTES)), "-f", "json")
    assert code == 0
    by_path = {(row["method"], row["path"]): row for row in json.loads(out)}
    assert by_path["GET", "/items/{item_id}"]["auth_via"] == "get_current_user"
    assert by_path["GET", "/items/{item_id}"]["response_model"] == "Item"
    assert by_path["POST", "/items"]["response_model"] is None
    assert by_path["GET", "/version"]["response_model"] == "str"
    assert by_path["GET", "/health"]["tested"] is True


def test_routes_exclude_drops_files(runner: CliRunner, tree: Tree) -> None:
    root = str(tree(ROUTES))
    every = {row["path"] for row in json.loads(invoke(runner, "routes", root, "-f", "json")[1])}
    assert "/old" in every
    code, out, _ = invoke(runner, "routes", root, "-f", "json", "--exclude", "legacy.py")
    assert code == 0
    assert {row["path"] for row in json.loads(out)} == every - {"/old"}
    code, out, _ = invoke(runner, "routes", root, "--exclude", "legacy.py,tests/")
    assert code == 0 and "/old" not in out
    assert table_rows(out)["/health"][5] == "no", "the excluded test no longer counts"


def test_routes_of_a_missing_path_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    code, out, err = invoke(runner, "routes", str(tmp_path / "nowhere"))
    assert code == 2 and out == ""
    assert "nowhere: no such file or directory" in err


def test_routes_rejects_an_unknown_format_before_loading(runner: CliRunner, tree: Tree) -> None:
    code, out, err = invoke(runner, "routes", str(tree({"api.py": API})), "-f", "yaml")
    assert code == 2 and out == ""
    assert "--format must be table or json, not 'yaml'" in err


def test_routes_of_a_project_without_routes(runner: CliRunner, tree: Tree) -> None:
    code, out, _ = invoke(runner, "routes", str(tree({"util.py": "x = 1\n"})))
    assert code == 0 and "0 route(s)" in out
    assert json.loads(invoke(runner, "routes", str(tree({})), "-f", "json")[1]) == []


# ---------------------------------------------------------------- review, text report


def test_review_text_lists_files_that_could_not_be_analysed(runner: CliRunner, tree: Tree) -> None:
    root = tree({"api.py": API, "broken.py": "def broken(:\n    pass\n"})
    (root / "blob.py").write_bytes(b"\x00\x01binary")
    code, out, _ = invoke(runner, "review", str(root), "--no-cache", "--select", "SEC001")
    assert code == 1
    assert "error: blob.py: binary file (contains NUL bytes)" in out
    assert "error: broken.py:1: syntax error" in out
    assert "E001 syntax-error" in out
    assert out.endswith(
        "\n2 finding(s) in 2 file(s): 1 critical, 1 high; 2 file(s) not analysed.\n"
    ), "files counts what was read; the syntax error is a HIGH E001 finding"


def test_review_text_escapes_markup_in_paths_and_reasons(runner: CliRunner, tree: Tree) -> None:
    root = tree({"ok.py": "x = 1\n"})
    (root / "[bold]oops.py").write_bytes(b"\x00")
    code, out, _ = invoke(runner, "review", str(root), "--no-cache")
    assert code == 0
    assert "error: [bold]oops.py: binary file" in out


def test_review_text_shows_position_severity_excerpt_and_fix(runner: CliRunner, tree: Tree) -> None:
    code, out, _ = invoke(runner, "review", str(tree({"api.py": API})), "--no-cache")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "api.py"
    sql = next(i for i, line in enumerate(lines) if "SEC001" in line)
    assert lines[sql].startswith("  11:23 CRITICAL SEC001 sql-injection  SQL statement built")
    assert lines[sql + 1].split("│")[0].strip() == "11"
    assert "db.execute(text(" in lines[sql + 1]
    assert lines[sql + 2].startswith("    fix: Use bound parameters")
    assert lines[-1] == (
        "6 finding(s) in 1 file(s): 1 critical, 1 medium, 2 low, 2 info; 0 file(s) not analysed."
    )


def test_second_run_is_cached_and_says_so(
    runner: CliRunner, tree: Tree, private_cache: Path
) -> None:
    root = str(tree({"api.py": API}))
    first = invoke(runner, "review", root, "--select", "SEC001")
    second = invoke(runner, "review", root, "--select", "SEC001")
    assert first[0] == second[0] == 1
    assert "(cached)" not in first[1]
    assert second[1].endswith("0 file(s) not analysed (cached).\n")
    assert first[1].splitlines()[:-1] == second[1].splitlines()[:-1], "same findings"
    assert any(private_cache.rglob("*.json"))
    uncached = invoke(runner, "review", root, "--select", "SEC001", "--no-cache")
    assert "(cached)" not in uncached[1]


def test_per_file_ignores_from_pyproject(runner: CliRunner, tree: Tree) -> None:
    root = tree(
        {
            "pyproject.toml": """
                [tool.apismith]
                select = ["SEC001"]

                [tool.apismith.per-file-ignores]
                "legacy/*" = ["SEC001"]
                "scripts/*" = ["security"]
            """,
            "api.py": API,
            "legacy/api.py": API,
            "scripts/api.py": API,
        }
    )
    code, out, _ = invoke(runner, "review", str(root), "--no-cache", "-f", "json")
    assert code == 1
    assert {f["path"] for f in json.loads(out)["findings"]} == {"api.py"}


def test_min_severity_from_pyproject_hides_lower_findings(runner: CliRunner, tree: Tree) -> None:
    root = tree({"pyproject.toml": '[tool.apismith]\nmin-severity = "medium"\n', "api.py": API})
    code, out, _ = invoke(runner, "review", str(root), "--no-cache", "-f", "json")
    assert code == 1
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert rules == {"SEC001", "SEC017"}


def test_extend_select_adds_to_the_configured_selection(runner: CliRunner, tree: Tree) -> None:
    root = tree({"pyproject.toml": '[tool.apismith]\nselect = ["SEC001"]\n', "api.py": API})
    path = str(root)

    def rules(*extra: str) -> list[str]:
        out = invoke(runner, "review", path, "--no-cache", "-f", "json", *extra)[1]
        return sorted(f["rule"] for f in json.loads(out)["findings"])

    assert rules() == ["SEC001"]
    assert rules("--extend-select", "MNT004") == ["MNT004", "MNT004", "SEC001"]
    assert rules("--extend-select", "MNT004,MNT002") == [
        "MNT002",
        "MNT002",
        "MNT004",
        "MNT004",
        "SEC001",
    ]
    assert rules("--select", "SEC017", "--extend-select", "MNT004") == [
        "MNT004",
        "MNT004",
        "SEC017",
    ]


def test_explicit_config_file_is_used(runner: CliRunner, tree: Tree, tmp_path: Path) -> None:
    root = tree({"pyproject.toml": '[tool.apismith]\nselect = ["SEC001"]\n', "api.py": API})
    other = tmp_path / "other.toml"
    other.write_text('[tool.apismith]\nselect = ["SEC017"]\nfail-on = "high"\n', encoding="utf-8")
    code, out, _ = invoke(runner, "review", str(root), "--no-cache", "--config", str(other))
    assert code == 0, "SEC017 is medium, below fail-on = high"
    assert "SEC017" in out and "SEC001" not in out


def test_review_of_a_missing_path_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    code, out, err = invoke(runner, "review", str(tmp_path / "gone.py"))
    assert code == 2 and out == ""
    assert "gone.py: no such file or directory" in err


def test_config_errors_exit_2(runner: CliRunner, tree: Tree) -> None:
    root = tree({"pyproject.toml": "[tool.apismith]\nselect = 'SEC'\n", "api.py": API})
    code, out, err = invoke(runner, "review", str(root))
    assert code == 2 and out == ""
    assert "error:" in err and "select: expected a list of strings" in err


def test_invalid_fail_on_exits_2(runner: CliRunner, tree: Tree) -> None:
    code, _, err = invoke(runner, "review", str(tree({"api.py": API})), "--fail-on", "sever")
    assert code == 2
    assert "--fail-on: expected one of info, low, medium, high, critical" in err


def test_fail_on_from_the_command_line_beats_pyproject(runner: CliRunner, tree: Tree) -> None:
    root = str(tree({"pyproject.toml": '[tool.apismith]\nfail-on = "critical"\n', "api.py": API}))
    args = ("review", root, "--no-cache", "--select", "SEC017")
    assert invoke(runner, *args)[0] == 0
    assert invoke(runner, *args, "--fail-on", "MEDIUM")[0] == 1


def test_review_of_a_single_file(runner: CliRunner, tree: Tree) -> None:
    root = tree({"api.py": API, "other.py": API})
    code, out, _ = invoke(runner, "review", str(root / "api.py"), "--no-cache", "-f", "json")
    document = json.loads(out)
    assert code == 1
    assert {f["path"] for f in document["findings"]} == {"api.py"}
    assert document["summary"]["files"] == 1


def test_baseline_then_only_new_findings(runner: CliRunner, tree: Tree, tmp_path: Path) -> None:
    root = tree({"api.py": API})
    saved = tmp_path / "baseline.json"
    args = ("review", str(root), "--no-cache", "--select", "SEC001,SEC017")
    code, _, err = invoke(runner, *args, "--write-baseline", str(saved))
    assert code == 1 and f"wrote 2 finding(s) to {saved}" in err
    assert json.loads(saved.read_text(encoding="utf-8"))["version"] == 1
    source = (root / "api.py").read_text(encoding="utf-8")
    copy = '\n\n@app.get("/lottery")\ndef lottery():\n    return {"token": random.random()}\n'
    (root / "api.py").write_text("# moved down\n\n" + source + copy, encoding="utf-8")
    code, out, _ = invoke(runner, *args, "--baseline", str(saved), "-f", "json")
    assert code == 1
    # Both findings moved two lines down and are still known; the copied line is new.
    (fresh,) = json.loads(out)["findings"]
    assert fresh["rule"] == "SEC017" and fresh["line"] == 23
    assert invoke(runner, *args, "--baseline", str(saved), "--fail-on", "high")[0] == 0


def test_sarif_and_json_written_to_files(runner: CliRunner, tree: Tree, tmp_path: Path) -> None:
    root = str(tree({"api.py": API}))
    sarif = tmp_path / "out.sarif"
    code, out, _ = invoke(runner, "review", root, "--no-cache", "-f", "sarif", "-o", str(sarif))
    assert code == 1 and out == ""
    results = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert len(results) == 6
    text = tmp_path / "out.txt"
    assert invoke(runner, "review", root, "--no-cache", "-o", str(text), "--exit-zero")[:2] == (
        0,
        "",
    )
    report = text.read_text(encoding="utf-8")
    assert "\x1b[" not in report, "a report file has no colour codes"
    assert report.splitlines()[-1].startswith("6 finding(s) in 1 file(s)")


# ---------------------------------------------------------------- render_text on its own


def _finding(path: str, line: int, severity: Severity, fix: Fix | None) -> Finding:
    return Finding(
        rule="SEC001",
        name="sql-injection",
        family="security",
        severity=severity,
        confidence=Confidence.HIGH,
        cwe=89,
        path=path,
        line=line,
        column=5,
        end_line=line + 1,
        end_column=9,
        message="built from [bold]input[/bold]",
        fix=fix,
        excerpt="first = [x]\nsecond\n",
    )


def test_render_text_groups_by_file_and_omits_missing_fixes(tmp_path: Path) -> None:
    findings = [
        _finding("a.py", 3, Severity.HIGH, None),
        _finding("a.py", 9, Severity.LOW, Fix("Bind [parameters].")),
        _finding("b.py", 1, Severity.HIGH, None),
    ]
    errors = [FileProblem("c.py", "syntax error: bad", 4, 2), FileProblem("d.py", "too large")]
    result = ReviewResult(tmp_path, findings, errors, files=4, rules=[])
    stream = io.StringIO()
    render_text(result, Console(file=stream, width=200))
    lines = stream.getvalue().splitlines()
    assert lines == [
        "a.py",
        "  3:5 HIGH SEC001 sql-injection  built from [bold]input[/bold]",
        "        3 │ first = [x]",
        "        4 │ second",
        "  9:5 LOW SEC001 sql-injection  built from [bold]input[/bold]",
        "        9 │ first = [x]",
        "       10 │ second",
        "    fix: Bind [parameters].",
        "",
        "b.py",
        "  1:5 HIGH SEC001 sql-injection  built from [bold]input[/bold]",
        "        1 │ first = [x]",
        "        2 │ second",
        "",
        "error: c.py:4: syntax error: bad",
        "error: d.py: too large",
        "3 finding(s) in 4 file(s): 2 high, 1 low; 2 file(s) not analysed.",
    ]


def test_render_text_of_nothing(tmp_path: Path) -> None:
    result = ReviewResult(tmp_path, [], [], files=0, rules=[], cached=True)
    stream = io.StringIO()
    render_text(result, Console(file=stream, width=200))
    assert stream.getvalue() == (
        "0 finding(s) in 0 file(s): no findings; 0 file(s) not analysed (cached).\n"
    )


def test_config_default_matches_cli_default(runner: CliRunner, tree: Tree) -> None:
    """Without a pyproject the CLI fails on low findings, as ``Config()`` says."""
    assert Config().fail_on is Severity.LOW
    root = str(tree({"api.py": API}))
    assert invoke(runner, "review", root, "--no-cache", "--select", "MNT002")[0] == 1
    assert invoke(runner, "review", root, "--no-cache", "--select", "MNT004")[0] == 0
