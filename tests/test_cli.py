"""The real Typer app on temporary projects: exit codes, formats, options, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apismith.cli import app

Tree = Callable[[dict[str, str]], Path]

VULNERABLE = {
    "api.py": """
        from fastapi import FastAPI
        from sqlalchemy import text

        app = FastAPI()


        @app.get("/search")
        def search(q: str, db=None):
            return db.execute(text(f"SELECT * FROM t WHERE name = '{q}'"))
    """,
}
CLEAN = {
    "api.py": """
        from fastapi import FastAPI

        app = FastAPI()
    """,
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_findings_exit_1_and_name_the_line(runner: CliRunner, tree: Tree) -> None:
    root = tree(VULNERABLE)
    code, out, _ = invoke(runner, "review", str(root), "--no-cache", "--select", "SEC001")
    assert code == 1
    assert "api.py" in out and "SEC001" in out and "9:" in out


def test_clean_project_exits_0(runner: CliRunner, tree: Tree) -> None:
    code, out, _ = invoke(runner, "review", str(tree(CLEAN)), "--no-cache")
    assert code == 0
    assert "no findings" in out


def test_exit_zero_and_fail_on(runner: CliRunner, tree: Tree) -> None:
    root = str(tree(VULNERABLE))
    assert invoke(runner, "review", root, "--no-cache", "--select", "SEC001", "--exit-zero")[0] == 0
    code = invoke(
        runner, "review", root, "--no-cache", "--select", "SEC001", "--fail-on", "critical"
    )
    assert code[0] == 1
    assert (
        invoke(runner, "review", root, "--no-cache", "--select", "SEC001", "--ignore", "SEC")[0]
        == 0
    )


def test_json_report_is_documented_shape(runner: CliRunner, tree: Tree) -> None:
    root = tree(VULNERABLE)
    code, out, _ = invoke(
        runner, "review", str(root), "--no-cache", "-f", "json", "--select", "SEC001"
    )
    assert code == 1
    document = json.loads(out)
    (finding,) = document["findings"]
    assert finding["rule"] == "SEC001" and finding["cwe"] == 89 and finding["path"] == "api.py"
    assert finding["line"] == 9 and finding["severity"] == "critical"
    for key in ("name", "family", "confidence", "column", "end_line", "message", "fix"):
        assert key in finding
    assert document["errors"] == []
    assert document["summary"]["findings"] == 1


def test_sarif_report_lists_rules_and_results(runner: CliRunner, tree: Tree) -> None:
    code, out, _ = invoke(
        runner, "review", str(tree(VULNERABLE)), "--no-cache", "-f", "sarif", "--select", "SEC001"
    )
    log = json.loads(out)
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and code == 1
    assert run["results"][0]["ruleId"] == "SEC001"
    assert any(rule["id"] == "SEC001" for rule in run["tool"]["driver"]["rules"])


def test_output_file_and_text_to_file(runner: CliRunner, tree: Tree, tmp_path: Path) -> None:
    root = str(tree(VULNERABLE))
    target = tmp_path / "report.json"
    invoke(
        runner, "review", root, "--no-cache", "-f", "json", "-o", str(target), "--select", "SEC001"
    )
    assert json.loads(target.read_text())["summary"]["findings"] == 1
    text_file = tmp_path / "report.txt"
    invoke(runner, "review", root, "--no-cache", "-o", str(text_file), "--select", "SEC001")
    assert "SEC001" in text_file.read_text()


def test_missing_path_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = invoke(runner, "review", str(tmp_path / "nowhere"))
    assert code == 2
    assert "no such file or directory" in err


def test_unknown_selector_is_a_usage_error(runner: CliRunner, tree: Tree) -> None:
    code, _, err = invoke(runner, "review", str(tree(CLEAN)), "--select", "NOPE999")
    assert code == 2 and "unknown rule selector" in err


def test_bad_config_is_reported(runner: CliRunner, tree: Tree) -> None:
    root = tree({**CLEAN, "pyproject.toml": "[tool.apismith]\nbogus = 1\n"})
    code, _, err = invoke(runner, "review", str(root))
    assert code == 2 and "bogus" in err


def test_baseline_hides_known_findings(runner: CliRunner, tree: Tree, tmp_path: Path) -> None:
    root = str(tree(VULNERABLE))
    baseline = tmp_path / "baseline.json"
    args = ("review", root, "--no-cache", "--select", "SEC001")
    assert invoke(runner, *args, "--write-baseline", str(baseline))[0] == 1
    assert invoke(runner, *args, "--baseline", str(baseline))[0] == 0


def test_bad_baseline_is_a_usage_error(runner: CliRunner, tree: Tree, tmp_path: Path) -> None:
    broken = tmp_path / "b.json"
    broken.write_text("{", encoding="utf-8")
    code, _, err = invoke(runner, "review", str(tree(CLEAN)), "--baseline", str(broken))
    assert code == 2 and "baseline" in err


def test_cache_gives_the_same_answer(
    runner: CliRunner, tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APISMITH_CACHE_DIR", str(tmp_path / "cache"))
    root = str(tree(VULNERABLE))
    first = json.loads(invoke(runner, "review", root, "-f", "json", "--select", "SEC001")[1])
    second = json.loads(invoke(runner, "review", root, "-f", "json", "--select", "SEC001")[1])
    assert not first["summary"]["cached"] and second["summary"]["cached"]
    assert first["findings"] == second["findings"]


def test_suppression_comment_needs_the_rule_id(runner: CliRunner, tree: Tree) -> None:
    source = VULNERABLE["api.py"].replace("'{q}'\"))", "'{q}'\"))  # apismith: ignore[SEC001]")
    root = str(tree({"api.py": source}))
    assert invoke(runner, "review", root, "--no-cache", "--select", "SEC001")[0] == 0
    other = source.replace("ignore[SEC001]", "ignore[SEC002]")
    root2 = tree({"api.py": other})
    assert invoke(runner, "review", str(root2), "--no-cache", "--select", "SEC001")[0] == 1


def test_routes_table_and_json(runner: CliRunner, tree: Tree) -> None:
    root = str(tree(VULNERABLE))
    code, out, _ = invoke(runner, "routes", root, "--format", "json")
    assert code == 0
    (route,) = json.loads(out)
    assert route == {
        "method": "GET",
        "path": "/search",
        "auth": False,
        "auth_via": None,
        "file": "api.py",
        "line": 7,
        "handler": "search",
        "response_model": None,
        "tested": False,
    }
    code, out, _ = invoke(runner, "routes", root)
    assert code == 0 and "/search" in out


def test_routes_rejects_unknown_format(runner: CliRunner, tree: Tree) -> None:
    assert invoke(runner, "routes", str(tree(CLEAN)), "--format", "xml")[0] == 2


def test_rules_and_rule(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "rules")
    assert code == 0 and "SEC001" in out
    code, out, _ = invoke(runner, "rules", "--format", "json")
    families = {row["id"]: row["family"] for row in json.loads(out)}
    assert families["SEC001"] == "security"
    assert families["PRB006"] == "probe" and families["PRF001"] == "profile"
    code, out, _ = invoke(runner, "rule", "sql-injection")
    assert code == 0 and "What it does" in out and "SEC001" in out
    code, out, _ = invoke(runner, "rule", "prf002")
    assert code == 0 and "event-loop-blocked" in out
    assert invoke(runner, "rule", "XYZ")[0] == 2


def test_version(runner: CliRunner) -> None:
    code, out, _ = invoke(runner, "--version")
    assert code == 0 and out.startswith("apismith ")
