"""``apismith rules`` and ``apismith rule ID``: the rule catalogue and each rule's docs."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Annotated

import typer

from apismith.cli.common import stdout, user_errors
from apismith.errors import UsageError
from apismith.findings import Confidence, Severity


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the catalogue: a review rule or a probe/profile check."""

    id: str
    name: str
    family: str
    severity: Severity
    confidence: Confidence
    cwe: int | None
    fix: str | None
    doc: str


def catalogue() -> list[Entry]:
    """Review rules, then probe's and profile's checks."""
    from apismith.probe import probe_rules
    from apismith.profile.checks import CHECKS
    from apismith.rules import all_rules

    entries = [
        Entry(r.id, r.name, r.family, r.severity, r.confidence, r.cwe, r.fix_title, r.doc)
        for r in all_rules()
    ]
    entries += [
        Entry(r.id, r.name, r.family, r.severity, r.confidence, r.cwe, None, r.doc)
        for r in (*probe_rules(), *CHECKS)
    ]
    return entries


def rules_command(
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
) -> None:
    """List every rule and check with its family, severity, confidence and CWE."""
    rules = catalogue()
    if output_format == "json":
        rows = [
            {
                "id": r.id,
                "name": r.name,
                "family": r.family,
                "severity": str(r.severity),
                "confidence": str(r.confidence),
                "cwe": r.cwe,
                "fix": r.fix,
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    from rich.table import Table

    table = Table(title=f"{len(rules)} rules and checks")
    for column in ("id", "name", "family", "severity", "confidence", "cwe"):
        table.add_column(column)
    for rule in rules:
        cwe = f"CWE-{rule.cwe}" if rule.cwe else "-"
        table.add_row(
            rule.id, rule.name, rule.family, str(rule.severity), str(rule.confidence), cwe
        )
    stdout().print(table)


def rule_command(
    identifier: Annotated[str, typer.Argument(help="Rule id (SEC001, PRB001) or name.")],
) -> None:
    """Print a rule's documentation."""
    with user_errors():
        wanted = identifier.strip()
        rule = next(
            (e for e in catalogue() if wanted.upper() == e.id or wanted.lower() == e.name), None
        )
        if rule is None:
            raise UsageError(f"no rule {identifier!r} (see `apismith rules`)")
        cwe = f", CWE-{rule.cwe}" if rule.cwe else ""
        header = (
            f"# {rule.id} {rule.name}\n\n*{rule.family}, severity {rule.severity}, "
            f"confidence {rule.confidence}{cwe}*\n\n"
        )
        from rich.markdown import Markdown  # 25 ms to import: only for `apismith rule ID`

        stdout().print(Markdown(header + rule.doc))
