"""``apismith probe TARGET``: dynamic checks of a running app through its OpenAPI schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from apismith.cli.common import ExitCode, Format, emit, stderr, user_errors
from apismith.config import parse_severity
from apismith.errors import UsageError

if TYPE_CHECKING:  # the probe machinery and rich load only when probe runs: review starts faster
    from rich.console import Console

    from apismith.probe import ProbeResult
    from apismith.probe.runner import Progress as ProgressCallback


def probe_command(
    target: Annotated[
        str, typer.Argument(help="Import string 'pkg.main:app' or a base URL on this machine.")
    ],
    app_dir: Annotated[
        Path | None, typer.Option(help="Directory to import the app from (as uvicorn's).")
    ] = None,
    schema_file: Annotated[
        Path | None, typer.Option("--schema", help="Read the OpenAPI schema from this file.")
    ] = None,
    auth: Annotated[
        list[str] | None,
        typer.Option(help="Credentials: 'Bearer TOKEN' or 'Header: value'; twice for two users."),
    ] = None,
    max_requests: Annotated[int, typer.Option(min=1, help="Most requests to send.")] = 3000,
    time_limit: Annotated[float, typer.Option(min=1, help="Most seconds to run.")] = 300.0,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds before a request counts as a hang.")
    ] = 5.0,
    allow_remote: Annotated[
        bool, typer.Option(help="Allow a target that is not on this machine.")
    ] = False,
    sign_up: Annotated[
        bool, typer.Option(help="Create users through the API when fewer than two are given.")
    ] = True,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.TEXT,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to a file.")
    ] = None,
    fail_on: Annotated[
        str, typer.Option(help="Lowest severity that makes the exit code 1.")
    ] = "low",
    exit_zero: Annotated[bool, typer.Option(help="Exit 0 even with findings.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks.")] = False,
) -> None:
    """Probe a running FastAPI app: server errors, contract, authentication, hardening."""
    from apismith.dynamic import load_schema, load_target
    from apismith.probe import ProbeOptions, parse_auth, run_probe

    with user_errors(), _internal_errors(verbose):
        threshold = parse_severity(fail_on, "--fail-on")
        identities = tuple(parse_auth(value, index) for index, value in enumerate(auth or []))
        loaded = load_target(target, app_dir=app_dir, allow_remote=allow_remote)
        schema = load_schema(loaded, schema_file)
        if not schema.operations:
            raise UsageError(f"{target}: the OpenAPI schema lists no operations to probe")
        options = ProbeOptions(
            identities=identities,
            max_requests=max_requests,
            time_limit=time_limit,
            timeout=timeout,
            sign_up=sign_up,
        )
        with _progress(max_requests, quiet) as progress:
            result = run_probe(loaded, schema, options, progress)
        for error in result.errors:
            stderr().print(f"[yellow]warning:[/yellow] a check failed: {error}")
        _emit(result, target, output_format, output)
    failing = any(finding.severity >= threshold for finding in result.findings)
    raise typer.Exit(ExitCode.FINDINGS if failing and not exit_zero else ExitCode.OK)


@contextmanager
def _internal_errors(verbose: bool) -> Iterator[None]:
    """An unexpected error: one line and exit 2, or the traceback with ``--verbose``."""
    try:
        yield
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as error:
        if verbose:
            raise
        stderr().print(
            f"[bold red]error:[/bold red] {type(error).__name__}: {error} (--verbose shows more)"
        )
        raise typer.Exit(ExitCode.ERROR) from None


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[ProgressCallback | None]:
    console = stderr()
    if quiet or not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("probing [cyan]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=total)

        def update(sent: int, step: str) -> None:
            bar.update(task, completed=sent, description=step)

        yield update


def _summary(result: ProbeResult) -> str:
    who = ", ".join(result.identities) if result.identities else "no identity"
    budget = " (budget used up)" if result.budget_exhausted else ""
    return (
        f"{result.operations} operation(s), {result.requests} request(s){budget} "
        f"in {result.seconds:.1f} s as {who}"
    )


def _emit(result: ProbeResult, target: str, output_format: Format, output: Path | None) -> None:
    from apismith.output.dynamic import (
        render_dynamic_json,
        render_dynamic_sarif,
        render_dynamic_text,
    )
    from apismith.probe import probe_rules

    def text(console: Console) -> None:
        render_dynamic_text(result.findings, console, summary=_summary(result))

    def document(chosen: Format) -> str:
        if chosen is Format.SARIF:
            return render_dynamic_sarif(result.findings, probe_rules(), target=target)
        summary = {
            "operations": result.operations,
            "requests": result.requests,
            "seconds": round(result.seconds, 2),
            "identities": result.identities,
            "budget_exhausted": result.budget_exhausted,
            "errors": result.errors,
        }
        return render_dynamic_json(result.findings, command="probe", target=target, summary=summary)

    emit(output_format, output, text, document)
