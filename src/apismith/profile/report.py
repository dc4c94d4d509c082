"""The profile as text (a latency table, hotspots, findings), JSON and SARIF."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from apismith import __version__
from apismith.findings import Severity
from apismith.output.sarif import LEVELS, SCHEMA
from apismith.output.text import STYLES
from apismith.profile.checks import CHECKS
from apismith.profile.findings import ProfileFinding
from apismith.profile.result import ProfileResult

SCHEMA_VERSION = 1


def operation_rows(result: ProfileResult) -> list[dict[str, Any]]:
    """One row per timed operation, as the JSON report writes it."""
    return [
        {
            "method": t.call.operation.method,
            "path": t.call.operation.path,
            "url": t.call.url,
            "status": t.first.status,
            "requests": len(t.samples),
            "p50_ms": t.percentile(0.5),
            "p95_ms": t.percentile(0.95),
            "p99_ms": t.percentile(0.99),
            "statements_per_request": t.statements_per_request,
        }
        for t in result.timings
    ]


def render_text(result: ProfileResult, console: Console) -> None:
    """Print the latency table, the hotspots of the profiled operations and the findings."""
    table = Table(title=f"latency of {result.target}", title_justify="left")
    for column in ("method", "path", "status", "requests", "p50 ms", "p95 ms", "p99 ms", "SQL/req"):
        table.add_column(column, justify="left" if column in ("method", "path") else "right")
    for row in operation_rows(result):
        sql = row["statements_per_request"]
        table.add_row(
            row["method"],
            escape(row["path"]),
            str(row["status"]),
            str(row["requests"]),
            f"{row['p50_ms']:.1f}",
            f"{row['p95_ms']:.1f}",
            f"{row['p99_ms']:.1f}",
            "-" if sql is None else f"{sql:g}",
        )
    console.print(table)
    for label, skipped in result.skipped:
        console.print(f"[dim]skipped {escape(label)}: {escape(skipped)}[/dim]")
    for label, profile in result.profiles.items():
        console.print(
            f"\n[bold]hotspots of {escape(label)}[/bold] ({profile.seconds * 1000:.0f} ms)"
        )
        for spot in profile.hotspots:
            console.print(f"  {spot.share:6.1%}  {escape(spot.function)}  [dim]{spot.where}[/dim]")
        if not profile.hotspots:
            console.print(
                "  [dim]no time in the app's own code: it waits on I/O or a library[/dim]"
            )
    console.print()
    for finding in result.findings:
        _print_finding(finding, console)
    counts = Counter(f.level for f in result.findings)
    parts = [f"{counts[s]} {s}" for s in reversed(Severity) if counts[s]]
    console.print(
        f"[bold]{len(result.findings)} finding(s)[/bold]: {', '.join(parts) or 'none'}; "
        f"{len(result.timings)} operation(s), {result.requests} request(s) in {result.seconds:g} s."
    )


def _print_finding(finding: ProfileFinding, console: Console) -> None:
    console.print(
        f"[{STYLES[finding.level]}]{str(finding.level).upper()}[/] "
        f"[bold]{finding.check.id}[/bold] [dim]{finding.check.name}[/dim]  "
        f"{escape(finding.message)}"
    )
    for line in finding.excerpt.splitlines():
        console.print(f"    [dim]│ {escape(line)}[/dim]")
    console.print(f"    [green]reproduce:[/green] {escape(finding.reproduce)}\n")


def render_json(result: ProfileResult) -> str:
    """The whole profile as one JSON document."""
    counts = Counter(str(f.level) for f in result.findings)
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "apismith", "version": __version__},
        "target": result.target,
        "in_process": result.in_process,
        "summary": {
            "operations": len(result.timings),
            "requests": result.requests,
            "seconds": result.seconds,
            "findings": len(result.findings),
            "by_severity": {str(s): counts.get(str(s), 0) for s in reversed(Severity)},
        },
        "operations": operation_rows(result),
        "skipped": [{"operation": label, "reason": reason} for label, reason in result.skipped],
        "hotspots": {
            label: [
                {"function": s.function, "file": s.file, "line": s.line, "share": s.share}
                for s in profile.hotspots
            ]
            for label, profile in result.profiles.items()
        },
        "findings": [f.to_dict() for f in result.findings],
    }
    return json.dumps(document, indent=2) + "\n"


def render_sarif(result: ProfileResult) -> str:
    """The findings as a SARIF 2.1.0 log; each located by its source line when known."""
    index = {check.id: position for position, check in enumerate(CHECKS)}
    rules = [
        {
            "id": check.id,
            "name": check.name,
            "shortDescription": {"text": check.name.replace("-", " ")},
            "help": {"text": check.doc, "markdown": check.doc},
            "defaultConfiguration": {"level": LEVELS[check.severity]},
            "properties": {"tags": ["performance", f"external/cwe/cwe-{check.cwe}"]},
        }
        for check in CHECKS
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "apismith", "version": __version__, "rules": rules}},
                "results": [_sarif_result(f, index) for f in result.findings],
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _sarif_result(finding: ProfileFinding, index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [{"name": f"{finding.method} {finding.path}", "kind": "function"}]
    }
    if finding.source:
        file, _, line = finding.source.rpartition(":")
        location["physicalLocation"] = {
            "artifactLocation": {"uri": file},
            "region": {"startLine": int(line)},
        }
    return {
        "ruleId": finding.check.id,
        "ruleIndex": index[finding.check.id],
        "level": LEVELS[finding.level],
        "message": {"text": finding.message},
        "locations": [location],
        "properties": {
            "severity": str(finding.level),
            "confidence": str(finding.confidence),
            "reproduce": finding.reproduce,
        },
    }
