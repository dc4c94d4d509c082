"""``apismith new``: generate production-ready FastAPI projects."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from apismith.cli.common import stderr, user_errors
from apismith.scaffold.project import new_project

app = typer.Typer(
    name="new",
    help="Generate a FastAPI project, with its tests, from apismith's templates.",
    no_args_is_help=True,
)


@app.command("project")
def project_command(
    name: Annotated[str, typer.Argument(help="Project and package name, such as billing_api.")],
    directory: Annotated[
        Path, typer.Option("--directory", "-d", help="Where to create the project directory.")
    ] = Path(),
    force: Annotated[
        bool, typer.Option("--force", help="Write into a non-empty directory.")
    ] = False,
) -> None:
    """Generate ./NAME: a layered FastAPI service with accounts, hardening and tests."""
    with user_errors():
        started = time.perf_counter()
        result = new_project(name, directory, force=force)
        elapsed = time.perf_counter() - started
    typer.echo(f"created {result.root} ({result.files} files in {elapsed:.2f}s)")
    console = stderr()
    console.print(f"next: cd {result.root} && ./scripts/test && ./scripts/run")
