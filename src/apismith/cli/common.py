"""What the subcommands share: exit codes, consoles, error reporting."""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from apismith.errors import ApismithError

if TYPE_CHECKING:  # rich loads when a console is made: a quiet JSON review needs none
    from rich.console import Console


class ExitCode(enum.IntEnum):
    """0 clean, 1 findings at or above ``--fail-on``, 2 usage, configuration or internal error."""

    OK = 0
    FINDINGS = 1
    ERROR = 2


class Format(enum.StrEnum):
    """Report formats every finding-producing command offers."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


def emit(
    output_format: Format,
    output: Path | None,
    text: Callable[[Console], None],
    document: Callable[[Format], str],
    width: int = 120,
) -> None:
    """Write a report: ``text`` renders onto a console (stdout, or a plain one for a file);
    ``document`` returns the JSON or SARIF text."""
    if output_format is Format.TEXT:
        if output is None:
            text(stdout())
            return
        from rich.console import Console

        with output.open("w", encoding="utf-8") as stream:
            text(Console(file=stream, width=width, no_color=True))
        return
    rendered = document(output_format)
    if output is None:
        sys.stdout.write(rendered)
    else:
        output.write_text(rendered, encoding="utf-8")


def stdout() -> Console:
    """Console for results; wide when piped, so tables are not cut to 80 columns."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = 160
    return console


def stderr() -> Console:
    """Console for progress, logs and errors."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn apismith's own errors into a one-line message and exit code 2."""
    try:
        yield
    except ApismithError as error:
        stderr().print(f"[bold red]error:[/bold red] {error}")
        raise typer.Exit(ExitCode.ERROR) from None


def split_values(values: list[str] | None) -> tuple[str, ...] | None:
    """Repeated and comma-separated option values as one tuple (None when not given)."""
    if not values:
        return None
    return tuple(item.strip() for value in values for item in value.split(",") if item.strip())
