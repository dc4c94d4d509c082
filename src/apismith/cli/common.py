"""What the subcommands share: exit codes, consoles, error reporting."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from apismith.errors import ApismithError


class ExitCode(enum.IntEnum):
    """0 clean, 1 findings at or above ``--fail-on``, 2 usage, configuration or internal error."""

    OK = 0
    FINDINGS = 1
    ERROR = 2


def stdout() -> Console:
    """Console for results; wide when piped, so tables are not cut to 80 columns."""
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = 160
    return console


def stderr() -> Console:
    """Console for progress, logs and errors."""
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
