"""``apismith review PATH``: static review of a FastAPI project."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from apismith.cli.common import ExitCode, Format, emit, split_values, stderr, user_errors
from apismith.config import Config, load_config, parse_severity
from apismith.errors import UsageError
from apismith.findings import Severity

if TYPE_CHECKING:  # the engine loads when a review runs: --help and other commands skip it
    from rich.console import Console

    from apismith.review.engine import ReviewResult


def review_command(
    path: Annotated[Path, typer.Argument(help="Project directory or file.")] = Path(),
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.TEXT,
    select: Annotated[
        list[str] | None, typer.Option(help="Rules to run: ids, prefixes, families or ALL.")
    ] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="Rules to skip.")] = None,
    extend_select: Annotated[list[str] | None, typer.Option(help="Rules to add.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Globs of paths to skip.")] = None,
    fail_on: Annotated[
        str | None, typer.Option(help="Lowest severity that makes the exit code 1.")
    ] = None,
    exit_zero: Annotated[bool, typer.Option(help="Exit 0 even with findings.")] = False,
    baseline_file: Annotated[
        Path | None, typer.Option("--baseline", help="Report only findings not in this file.")
    ] = None,
    write_baseline: Annotated[
        Path | None, typer.Option(help="Write the findings to this baseline file.")
    ] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="The pyproject.toml to read.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Analyse afresh.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to a file.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks.")] = False,
) -> None:
    """Review a FastAPI project: security, performance, correctness, maintainability, tests."""
    with user_errors():
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
        config = load_config(path.resolve(), config_file).with_overrides(
            select=split_values(select),
            ignore=split_values(ignore),
            extend_select=split_values(extend_select),
            exclude=split_values(exclude),
            fail_on=parse_severity(fail_on, "--fail-on") if fail_on else None,
        )
        result = _run(path, config, not no_cache, quiet, verbose)
        from apismith.review import baseline

        if write_baseline is not None:
            baseline.write(write_baseline, result.findings)
            stderr().print(f"wrote {len(result.findings)} finding(s) to {write_baseline}")
        if baseline_file is not None:
            result.findings = baseline.filter_new(baseline.read(baseline_file), result.findings)
        _emit(result, output_format, output)
    raise typer.Exit(exit_code(result, config.fail_on, exit_zero))


def _run(path: Path, config: Config, use_cache: bool, quiet: bool, verbose: bool) -> ReviewResult:
    """The review, with a spinner on stderr when it is a terminal (no console at all if quiet)."""
    from apismith.review.engine import review

    console = None if quiet else stderr()
    if console is None or not console.is_terminal:
        return review(path, config, use_cache=use_cache, verbose=verbose)
    with console.status("reviewing…") as spinner:
        return review(
            path,
            config,
            use_cache=use_cache,
            progress=lambda text: spinner.update(f"reviewing… {text}"),
            verbose=verbose,
        )


def _emit(result: ReviewResult, output_format: Format, output: Path | None) -> None:
    """Render the report; each format's renderer loads only when it is the one asked for."""

    def text(console: Console) -> None:
        from apismith.output.text import render_text

        render_text(result, console)

    def document(chosen: Format) -> str:
        if chosen is Format.JSON:
            from apismith.output.json import render_json

            return render_json(result)
        from apismith.output.sarif import render_sarif

        return render_sarif(result)

    emit(output_format, output, text, document)


def exit_code(result: ReviewResult, fail_on: Severity, exit_zero: bool) -> ExitCode:
    """1 when a finding is at or above ``fail_on`` (unless ``exit_zero``), else 0."""
    failing = any(finding.severity >= fail_on for finding in result.findings)
    return ExitCode.FINDINGS if failing and not exit_zero else ExitCode.OK
