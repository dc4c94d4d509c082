"""The ``apismith`` command: one Typer app, one module per subcommand."""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from apismith import __version__
from apismith.cli.coercion import Command, Group
from apismith.cli.common import ExitCode

if TYPE_CHECKING:
    from typer._click import Command as ClickCommand
    from typer._click import Context

# Each subcommand: the module and the name of its function (or of its Typer app, for groups).
COMMANDS = {
    "review": ("apismith.cli.review", "review_command"),
    "routes": ("apismith.cli.routes", "routes_command"),
    "rules": ("apismith.cli.rules", "rules_command"),
    "rule": ("apismith.cli.rules", "rule_command"),
    "probe": ("apismith.cli.probe", "probe_command"),
    "profile": ("apismith.cli.profile", "profile_command"),
    "new": ("apismith.cli.new", "app"),
}


class Commands(Group):
    """The top-level group. A subcommand's module is imported, and its parameters built, when
    it is run or listed (--help): building every command costs 20 ms a run, one command 3."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> ClickCommand | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = load(cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, ClickCommand | None, list[str]]:
        if args and args[0] not in COMMANDS:  # Typer suggests a near name from those built
            for name in COMMANDS:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


def load(name: str) -> ClickCommand:
    """The click command of subcommand ``name``, built by Typer from its function or app."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        return typer.main.get_command(target)
    single = typer.Typer(add_completion=False)
    single.command(name, cls=Command)(target)
    return typer.main.get_command(single)


app = typer.Typer(
    name="apismith",
    cls=Commands,
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
