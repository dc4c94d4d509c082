"""The ``apismith`` command: one Typer app, one module per subcommand."""

from __future__ import annotations

from typing import Annotated

import typer

from apismith import __version__
from apismith.cli import new, review, routes, rules
from apismith.cli.common import ExitCode

app = typer.Typer(
    name="apismith",
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


app.command("review")(review.review_command)
app.command("routes")(routes.routes_command)
app.command("rules")(rules.rules_command)
app.command("rule")(rules.rule_command)
app.add_typer(new.app, name="new")


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["ExitCode", "app", "main"]
