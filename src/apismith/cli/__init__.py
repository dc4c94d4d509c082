"""The ``apismith`` command: one Typer app, one module per subcommand."""

from __future__ import annotations

import gc
import os
import sys
from typing import Annotated

import typer

from apismith import __version__
from apismith.cli import new, probe, profile, review, routes, rules
from apismith.cli.coercion import Command, Group
from apismith.cli.common import ExitCode

app = typer.Typer(
    name="apismith",
    cls=Group,
    help="A backend engineer in a box for FastAPI services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"apismith {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """A backend engineer in a box for FastAPI services."""


app.command("review", cls=Command)(review.review_command)
app.command("routes", cls=Command)(routes.routes_command)
app.command("rules", cls=Command)(rules.rules_command)
app.command("rule", cls=Command)(rules.rule_command)
app.command("probe", cls=Command)(probe.probe_command)
app.command("profile", cls=Command)(profile.profile_command)
app.add_typer(new.app, name="new")


def main() -> None:
    """Console-script entry point.

    A run builds millions of long-lived objects (the project model) that are never garbage: the
    cyclic collector runs rarely, and the process ends without tearing them down one by one,
    which would cost a review of a large project about a second.
    """
    gc.set_threshold(100_000, 50, 100)
    try:
        app()
    except SystemExit as done:
        code = done.code
    else:  # pragma: no cover - Typer's standalone mode always ends with SystemExit
        code = 0
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


__all__ = ["ExitCode", "app", "main"]
