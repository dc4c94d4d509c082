"""``apismith profile TARGET``: latency, SQL per request, N+1, event-loop blocking, hotspots."""

from __future__ import annotations

import re
import tempfile
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from apismith.cli.common import ExitCode, Format, emit, stderr, user_errors
from apismith.config import parse_severity
from apismith.errors import ApismithError, UsageError
from apismith.findings import Severity

if TYPE_CHECKING:  # the profiler and rich load only when profile runs: review starts faster
    from rich.console import Console

    from apismith.profile.result import ProfileResult


def profile_command(
    target: Annotated[
        str, typer.Argument(help="An app to import (pkg.main:app) or a loopback base URL.")
    ],
    app_dir: Annotated[
        Path | None,
        typer.Option(help="Directory to import the app from (default: the working directory)."),
    ] = None,
    requests: Annotated[
        int, typer.Option("--requests", "-n", min=1, help="Requests per operation.")
    ] = 20,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, help="Requests in flight at once.")
    ] = 4,
    slow_ms: Annotated[
        float,
        typer.Option(min=1, help="Latency, alone and under load, that makes an operation slow."),
    ] = 100.0,
    block_ms: Annotated[
        float, typer.Option(min=5, help="Event-loop pause worth reporting.")
    ] = 50.0,
    seed: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Objects to add per list operation to find N+1 queries "
            "(default 3 in-process, 30 for a URL; 0: none).",
        ),
    ] = None,
    schema: Annotated[
        Path | None, typer.Option(help="OpenAPI JSON file, instead of /openapi.json.")
    ] = None,
    auth: Annotated[
        str | None, typer.Option(help="Authorization header value, like 'Bearer <token>'.")
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="Extra header 'Name: value'.")
    ] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for a response.")] = 30.0,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.TEXT,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to a file.")
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Write an HTML report with a chart.")] = None,
    profile_html: Annotated[
        Path | None, typer.Option(help="Where to save the slowest operation's call profile.")
    ] = None,
    fail_on: Annotated[
        str | None, typer.Option(help="Lowest severity that makes the exit code 1.")
    ] = None,
    exit_zero: Annotated[bool, typer.Option(help="Exit 0 even with findings.")] = False,
    allow_remote: Annotated[
        bool, typer.Option(help="Allow a URL target that is not on this machine.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks.")] = False,
) -> None:
    """Profile a running FastAPI app: where does the time of each endpoint go?"""
    from apismith.dynamic.target import load_target
    from apismith.profile.result import Options
    from apismith.profile.run import profile

    console = stderr()
    with user_errors():
        headers = _headers(header or [], auth)
        options = Options(
            requests=requests,
            concurrency=concurrency,
            slow_ms=slow_ms,
            block_ms=block_ms,
            timeout=timeout,
            headers=headers,
            **({} if seed is None else {"seed": seed, "url_seed": seed}),
        )
        threshold = parse_severity(fail_on, "--fail-on") if fail_on else Severity.LOW
        if schema is not None and not schema.is_file():
            raise UsageError(f"--schema {schema}: no such file")
        loaded = load_target(target, app_dir=app_dir, allow_remote=allow_remote)
        progress = (lambda _: None) if quiet else (lambda text: console.print(f"[dim]{text}[/dim]"))
        try:
            result = profile(loaded, options, schema, progress)
        except ApismithError:
            raise
        except Exception as error:
            if verbose:
                traceback.print_exc()
            raise UsageError(
                f"profiling {target} failed: {type(error).__name__}: {error}"
            ) from None
        _save(result, html, profile_html, console)
        _emit(result, output_format, output)
    failing = any(f.level >= threshold for f in result.findings)
    raise typer.Exit(ExitCode.FINDINGS if failing and not exit_zero else ExitCode.OK)


def _headers(values: list[str], auth: str | None) -> tuple[tuple[str, str], ...]:
    """``Name: value`` options, and ``--auth`` as the Authorization header."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        name, colon, content = value.partition(":")
        if not colon or not name.strip():
            raise UsageError(f"--header {value!r}: expected 'Name: value'")
        pairs.append((name.strip(), content.strip()))
    if auth is not None:
        pairs.append(("Authorization", auth))
    return tuple(pairs)


def _save(
    result: ProfileResult, html: Path | None, profile_html: Path | None, console: Console
) -> None:
    from apismith.profile.html import render_html

    try:
        if html is not None:
            html.write_text(render_html(result), encoding="utf-8")
            console.print(f"wrote the HTML report to {html}")
        if result.profiles:
            label, slowest = next(iter(result.profiles.items()))
            slug = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower()
            path = profile_html or Path(tempfile.gettempdir()) / f"apismith-profile-{slug}.html"
            slowest.save(path)
            console.print(f"wrote the call profile of {label} to {path}")
    except OSError as error:
        raise UsageError(f"cannot write {error.filename}: {error.strerror}") from None


def _emit(result: ProfileResult, output_format: Format, output: Path | None) -> None:
    from apismith.profile.report import render_json, render_sarif, render_text

    def document(chosen: Format) -> str:
        return render_json(result) if chosen is Format.JSON else render_sarif(result)

    emit(output_format, output, lambda console: render_text(result, console), document, 160)
