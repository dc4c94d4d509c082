"""``apismith rules`` and ``apismith rule ID``: the rule catalogue and each rule's docs."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.table import Table

from apismith.cli.common import stdout, user_errors
from apismith.errors import UsageError
from apismith.rules import all_rules, get_rule


def rules_command(
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
) -> None:
    """List every rule with its family, severity, confidence and CWE."""
    rules = all_rules()
    if output_format == "json":
        rows = [
            {
                "id": r.id,
                "name": r.name,
                "family": r.family,
                "severity": str(r.severity),
                "confidence": str(r.confidence),
                "cwe": r.cwe,
                "fix": r.fix_title,
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"{len(rules)} rules")
    for column in ("id", "name", "family", "severity", "confidence", "cwe"):
        table.add_column(column)
    for rule in rules:
        cwe = f"CWE-{rule.cwe}" if rule.cwe else "-"
        table.add_row(
            rule.id, rule.name, rule.family, str(rule.severity), str(rule.confidence), cwe
        )
    stdout().print(table)


def rule_command(
    identifier: Annotated[str, typer.Argument(help="Rule id (SEC001) or name.")],
) -> None:
    """Print a rule's documentation."""
    with user_errors():
        rule = get_rule(identifier)
        if rule is None:
            raise UsageError(f"no rule {identifier!r} (see `apismith rules`)")
        cwe = f", CWE-{rule.cwe}" if rule.cwe else ""
        header = (
            f"# {rule.id} {rule.name}\n\n*{rule.family}, severity {rule.severity}, "
            f"confidence {rule.confidence}{cwe}*\n\n"
        )
        stdout().print(Markdown(header + rule.doc))
