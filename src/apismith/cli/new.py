"""``apismith new``: generate production-ready FastAPI projects, add resources, keep current."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from apismith import __version__
from apismith.cli.coercion import Command, Group
from apismith.cli.common import ExitCode, stderr, stdout, user_errors

if TYPE_CHECKING:  # the scaffolding (Jinja2, templates) loads only when a `new` command runs
    from apismith.scaffold.update import UpdateReport

app = typer.Typer(
    name="new",
    cls=Group,
    add_completion=False,
    help="Generate a FastAPI project, with its tests, from apismith's templates.",
    no_args_is_help=True,
)


@app.command("project", cls=Command)
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
        from apismith.scaffold.project import new_project

        result = new_project(name, directory, force=force)
        elapsed = time.perf_counter() - started
    typer.echo(f"created {result.root} ({result.files} files in {elapsed:.2f}s)")
    console = stderr()
    console.print(f"next: cd {result.root} && ./scripts/test && ./scripts/run")


ProjectOption = Annotated[
    Path | None,
    typer.Option(
        "--project", "-p", help="The generated project (default: the one holding the cwd)."
    ),
]


def _print_report(report: UpdateReport) -> None:
    """One line per file written, removed or left alone on purpose; conflicts last."""
    console = stdout()
    sections = (
        ("created", report.created, ""),
        ("updated", report.updated, ""),
        ("merged", report.merged, " (your edits kept)"),
        ("deleted", report.deleted, ""),
        ("kept", report.kept, " (you changed or removed it, so it is left as it is)"),
        ("conflict", report.conflicts, " (resolve the <<<<<<< yours / >>>>>>> apismith marks)"),
    )
    for label, paths, note in sections:
        for path in paths:
            console.print(f"{label:>9}  {path}{note}", markup=False)


def _finish(report: UpdateReport) -> None:
    """Exit 1 when conflicts are left for the user to resolve."""
    if report.conflicts:
        stderr().print(f"{len(report.conflicts)} file(s) with conflicts to resolve")
        raise typer.Exit(ExitCode.FINDINGS)


@app.command("resource", cls=Command)
def resource_command(
    name: Annotated[str, typer.Argument(help="Resource name, snake_case singular: invoice.")],
    fields: Annotated[
        list[str],
        typer.Argument(
            help="Fields as name:type, type one of str, text, int, float, bool, decimal,"
            " datetime, date, uuid, email, enum(a|b|c) or ref=Class; a ? suffix makes it"
            " optional (quote enum(...) and ? in the shell)."
        ),
    ],
    project: ProjectOption = None,
    idempotent: Annotated[
        bool,
        typer.Option(
            help="Honour an Idempotency-Key header on create: a repeat gets the same answer."
        ),
    ] = False,
    plural: Annotated[
        str,
        typer.Option(
            help="Plural naming its routes and table, when the English rules get it wrong"
            " (default: category -> categories, box -> boxes)."
        ),
    ] = "",
) -> None:
    """Add a resource (model, schemas, repository, service, CRUD router, migration, tests)."""
    with user_errors():
        started = time.perf_counter()
        from apismith.scaffold.resource import add_resource, find_project

        root = find_project(project or Path())
        spec, report = add_resource(root, name, fields, idempotent, plural)
        elapsed = time.perf_counter() - started
    _print_report(report)
    stderr().print(f"added resource {spec.name!r} to {root} in {elapsed:.2f}s")
    _finish(report)


@app.command("update", cls=Command)
def update_command(project: ProjectOption = None) -> None:
    """Re-render the project with this apismith and merge it into your files, three ways."""
    with user_errors():
        from apismith.scaffold.resource import find_project, update_project

        root = find_project(project or Path())
        made_with, report = update_project(root)
    _print_report(report)
    if report.changed:
        stderr().print(f"updated {root} from apismith {made_with} to {__version__}")
    else:
        stderr().print(f"{root} is up to date with apismith {__version__}")
    _finish(report)
