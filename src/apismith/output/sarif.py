"""SARIF 2.1.0, as code-scanning services read it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from apismith import __version__
from apismith.findings import Finding, Severity
from apismith.rules import all_rules
from apismith.rules.base import Rule

if TYPE_CHECKING:
    from apismith.review.engine import ReviewResult

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    what = rule.sections.get("What it does", rule.name)
    tags = [rule.family]
    if rule.cwe is not None:
        tags.append(f"external/cwe/cwe-{rule.cwe}")
    properties: dict[str, Any] = {"tags": tags, "precision": _precision(rule)}
    if rule.family == "security":
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.name.replace("-", " ")},
        "fullDescription": {"text": what},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties,
    }


def _precision(rule: Rule) -> str:
    return {1: "low", 2: "medium", 3: "high"}[int(rule.confidence)]


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    region: dict[str, Any] = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
        "endColumn": max(finding.end_column, 1),
    }
    if finding.excerpt:
        region["snippet"] = {"text": finding.excerpt}
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVELS[finding.severity],
        "message": {
            "text": finding.message + (f" Fix: {finding.fix.title}" if finding.fix else "")
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        "properties": {"severity": str(finding.severity), "confidence": str(finding.confidence)},
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    return result


def render_sarif(result: ReviewResult) -> str:
    """The review as a SARIF 2.1.0 log with one run."""
    rules = list(all_rules())
    index = {rule.id: position for position, rule in enumerate(rules)}
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{error.path}: {error.reason}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": error.path, "uriBaseId": "%SRCROOT%"}
                    }
                }
            ],
        }
        for error in result.errors
    ]
    return sarif_log(
        [_rule_descriptor(rule) for rule in rules],
        {
            "originalUriBaseIds": {"%SRCROOT%": {"uri": result.root.resolve().as_uri() + "/"}},
            "invocations": [
                {
                    "executionSuccessful": True,
                    "toolExecutionNotifications": notifications,
                }
            ],
            "results": [_result(finding, index) for finding in result.findings],
        },
    )


def sarif_log(descriptors: list[dict[str, Any]], run: dict[str, Any]) -> str:
    """A SARIF 2.1.0 log of one apismith run: the driver with its rules, then ``run``'s parts."""
    driver = {
        "name": "apismith",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": "https://pypi.org/project/apismith/",
        "rules": descriptors,
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [{"tool": {"driver": driver}, **run}]}
    return json.dumps(log, indent=2) + "\n"
