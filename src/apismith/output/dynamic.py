"""Text, JSON and SARIF reports of findings about a running app (probe, profile)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from rich.console import Console
from rich.markup import escape

from apismith import __version__
from apismith.dynamic.findings import DynamicFinding, DynamicRule
from apismith.findings import Severity
from apismith.output.sarif import LEVELS, SECURITY_SEVERITY, sarif_log
from apismith.output.text import STYLES

SCHEMA_VERSION = 1


def severity_counts(findings: Sequence[DynamicFinding]) -> dict[str, int]:
    """``{"critical": n, ..., "info": n}``, most severe first."""
    counts = Counter(f.severity for f in findings)
    return {str(s): counts[s] for s in reversed(Severity)}


def render_dynamic_text(
    findings: Sequence[DynamicFinding], console: Console, *, summary: str = ""
) -> None:
    """Print findings grouped by operation, each with its evidence and reproducing request."""
    ordered = sorted(findings, key=lambda f: (f.path, f.method, -int(f.severity), f.rule))
    for (path, method), group in groupby(ordered, key=lambda f: (f.path, f.method)):
        console.print(f"[bold underline]{escape(method)} {escape(path)}[/]")
        for finding in group:
            console.print(
                f"  [{STYLES[finding.severity]}]{str(finding.severity).upper()}[/] "
                f"[bold]{finding.rule}[/bold] [dim]{finding.name}[/dim]  "
                f"{escape(finding.message)}"
            )
            if finding.evidence_status is not None or finding.evidence_excerpt:
                status = finding.evidence_status if finding.evidence_status is not None else "-"
                excerpt = finding.evidence_excerpt.replace("\n", " ")
                console.print(f"    [dim]evidence: {status} {escape(excerpt)}[/dim]")
            if finding.reproduce:
                console.print(f"    [green]reproduce:[/green] {escape(finding.reproduce)}")
        console.print()
    counts = severity_counts(findings)
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    console.print(
        f"[bold]{len(findings)} finding(s)[/bold]: {', '.join(parts) if parts else 'none'}"
        + (f"; {summary}" if summary else "")
    )


def render_dynamic_json(
    findings: Sequence[DynamicFinding],
    *,
    command: str,
    target: str,
    summary: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """One JSON document: tool, target, summary, ``extra`` top-level keys, findings."""
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "apismith", "version": __version__, "command": command},
        "target": target,
        "summary": {
            "findings": len(findings),
            "by_severity": severity_counts(findings),
            **(summary or {}),
        },
        **(extra or {}),
        "findings": [f.to_dict() for f in sorted(findings, key=lambda f: f.sort_key)],
    }
    return json.dumps(document, indent=2) + "\n"


def render_dynamic_sarif(
    findings: Sequence[DynamicFinding], rules: Sequence[DynamicRule], *, target: str
) -> str:
    """A SARIF 2.1.0 log; each result is located at its operation (a logical location)."""
    index = {rule.id: position for position, rule in enumerate(rules)}
    results = [_result(f, index, target) for f in sorted(findings, key=lambda f: f.sort_key)]
    return sarif_log(
        [_descriptor(rule) for rule in rules],
        {
            "invocations": [{"executionSuccessful": True, "commandLine": target}],
            "results": results,
        },
    )


def _descriptor(rule: DynamicRule) -> dict[str, Any]:
    tags = [rule.family]
    if rule.cwe is not None:
        tags.append(f"external/cwe/cwe-{rule.cwe}")
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.name.replace("-", " ")},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": tags,
            "precision": str(rule.confidence),
            "security-severity": SECURITY_SEVERITY[rule.severity],
        },
    }


def _result(finding: DynamicFinding, index: dict[str, int], target: str) -> dict[str, Any]:
    text = finding.message
    if finding.reproduce:
        text += f" Reproduce: {finding.reproduce}"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [
            {
                "logicalLocations": [
                    {
                        "name": f"{finding.method} {finding.path}",
                        "fullyQualifiedName": f"{target} {finding.method} {finding.path}",
                        "kind": "function",
                    }
                ]
            }
        ],
        "properties": {
            "severity": str(finding.severity),
            "confidence": str(finding.confidence),
            "method": finding.method,
            "path": finding.path,
            "evidence": {"status": finding.evidence_status, "excerpt": finding.evidence_excerpt},
            "reproduce": finding.reproduce,
        },
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    return result
