"""``apismith routes PATH``: the route model, as FastAPI would register it."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from apismith.cli.common import split_values, stdout, user_errors
from apismith.errors import UsageError

if TYPE_CHECKING:  # the project model, the test map and rich load only when routes runs
    from apismith.project.routes import Route


def response_model(route: Route) -> str | None:
    """The declared response model, else the handler's return annotation, as written."""
    declared = route.keyword("response_model")
    if declared is not None:
        return (
            None
            if isinstance(declared, ast.Constant) and declared.value is None
            else ast.unparse(declared)
        )
    returns = route.handler.returns
    return ast.unparse(returns) if returns is not None else None


def route_dict(route: Route, tested: bool) -> dict[str, Any]:
    """One route as a JSON object."""
    return {
        "method": route.method,
        "path": route.path,
        "auth": route.auth,
        "auth_via": route.auth_via,
        "file": route.module.relpath,
        "line": route.line,
        "handler": route.handler.name,
        "response_model": response_model(route),
        "tested": tested,
    }


def routes_command(
    path: Annotated[Path, typer.Argument(help="Project directory or file.")] = Path(),
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    exclude: Annotated[list[str] | None, typer.Option(help="Globs of paths to skip.")] = None,
) -> None:
    """List every path operation: method, full path, handler, authentication, response model,
    and whether a test calls it."""
    with user_errors():
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
        if output_format not in {"table", "json"}:
            raise UsageError(f"--format must be table or json, not {output_format!r}")
        from apismith.project.loader import load_project
        from apismith.testing_map import tested_routes

        loaded = load_project(path, split_values(exclude) or ())
        routes = sorted(loaded.routes.routes, key=lambda r: (r.path, r.method))
        tested = tested_routes(loaded.project, routes)
        if output_format == "json":
            rows = [route_dict(r, id(r) in tested) for r in routes]
            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=f"{len(routes)} route(s)")
        for column in ("method", "path", "handler", "auth", "response model", "tested"):
            table.add_column(column)
        for route in routes:
            table.add_row(
                route.method,
                route.path,
                f"{route.module.relpath}:{route.line}",
                f"yes ({route.auth_via})" if route.auth else "[red]no[/red]",
                escape(response_model(route) or "-"),
                "yes" if id(route) in tested else "[yellow]no[/yellow]",
            )
        stdout().print(table)
