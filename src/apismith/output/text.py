"""The human report: findings grouped by file, each with its code and its fix."""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import TYPE_CHECKING

from apismith.findings import Severity

if TYPE_CHECKING:  # rich loads only when a text report is printed
    from rich.console import Console

    from apismith.review.engine import ReviewResult

STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def render_text(result: ReviewResult, console: Console) -> None:
    """Print the review to ``console``."""
    from rich.markup import escape
    from rich.text import Text

    for path, group in groupby(result.findings, key=lambda f: f.path):
        console.print(Text(path, style="bold underline"))
        for finding in group:
            console.print(
                f"  [dim]{finding.line}:{finding.column}[/dim] "
                f"[{STYLES[finding.severity]}]{str(finding.severity).upper()}[/] "
                f"[bold]{finding.rule}[/bold] [dim]{finding.name}[/dim]  {escape(finding.message)}"
            )
            for number, line in enumerate(finding.excerpt.splitlines(), start=finding.line):
                console.print(Text(f"    {number:>5} │ {line.rstrip()}", style="dim"))
            if finding.fix is not None:
                console.print(f"    [green]fix:[/green] {escape(finding.fix.title)}")
        console.print()
    for error in result.errors:
        where = f"{error.path}:{error.line}" if error.line else error.path
        console.print(f"[red]error:[/red] {escape(where)}: {escape(error.reason)}")
    counts = Counter(f.severity for f in result.findings)
    parts = [f"{counts[s]} {s}" for s in reversed(Severity) if counts[s]]
    summary = ", ".join(parts) if parts else "no findings"
    cached = " (cached)" if result.cached else ""
    console.print(
        f"[bold]{len(result.findings)} finding(s)[/bold] in {result.files} file(s): {summary}; "
        f"{len(result.errors)} file(s) not analysed{cached}."
    )
