"""apismith's commands convert common values without pydantic, to exactly what Typer gives."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer._click import Context
from typer.core import _TyperParameter
from typer.main import get_command
from typer.models import ParameterInfo
from typer.testing import CliRunner

from apismith.cli.coercion import UNSURE, Command, Group, Quick, certain


class Colour(enum.StrEnum):
    RED = "red"
    DARK_BLUE = "dark-blue"


def show(
    path: Annotated[Path, typer.Argument()] = Path(),
    colour: Annotated[Colour, typer.Option("--colour", "-c")] = Colour.RED,
    name: Annotated[str | None, typer.Option()] = None,
    tag: Annotated[list[str] | None, typer.Option()] = None,
    out: Annotated[Path | None, typer.Option()] = None,
    count: Annotated[int, typer.Option(min=1)] = 3,
    existing: Annotated[Path | None, typer.Option(exists=True)] = None,
    loud: Annotated[bool, typer.Option()] = False,
    mode: Annotated[Colour, typer.Option(case_sensitive=False)] = Colour.RED,
    code: Annotated[str | None, typer.Option(parser=str.upper)] = None,
) -> None:
    """Print what the command received, with each value's type."""
    values = {
        "path": path,
        "colour": colour,
        "name": name,
        "tag": tag,
        "out": out,
        "count": count,
        "existing": existing,
        "loud": loud,
        "mode": mode,
        "code": code,
    }
    typer.echo(json.dumps({key: [type(v).__name__, str(v)] for key, v in values.items()}))


def build(quick: bool) -> typer.Typer:
    app = typer.Typer(cls=Group if quick else None, add_completion=False)
    app.command("show", cls=Command if quick else None)(show)
    app.command("other")(lambda: None)
    return app


CASES = [
    [],
    ["."],
    ["some/where", "-c", "dark-blue", "--name", "x", "--tag", "a", "--tag", "b,c"],
    ["--out", "report.json", "--loud", "--count", "5", "--colour", "red"],
    ["--existing", "."],
    ["--tag", ""],
    ["--name", ""],
    [""],
    ["-c", "DARK-BLUE"],
    ["-c", "blue"],
    ["--count", "0"],
    ["--count", "many"],
    ["--existing", "no/such/place"],
    ["--name"],
    ["--mode", "DARK-BLUE", "--code", "ab"],
    ["--mode", "blue"],
    ["--help"],
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(case) or "none" for case in CASES])
def test_same_values_and_errors_as_typer(args: list[str]) -> None:
    runner = CliRunner()
    theirs = runner.invoke(build(quick=False), ["show", *args])
    ours = runner.invoke(build(quick=True), ["show", *args])
    assert (ours.exit_code, ours.output) == (theirs.exit_code, theirs.output)
    assert theirs.exception is None or isinstance(theirs.exception, SystemExit)


def converters(command: typer.core.TyperCommand, args: list[str]) -> dict[str, str]:
    """Run ``command`` on ``args`` and name the converter each parameter ended with."""
    command.main(args, standalone_mode=False)
    return {
        param.name or "": type(param._runtime_param).__name__
        for param in command.params
        if isinstance(param, _TyperParameter)
    }


def test_common_values_never_reach_typers_conversion(capsys: pytest.CaptureFixture[str]) -> None:
    command = get_command(build(quick=True)).commands["show"]  # type: ignore[attr-defined]
    args = ["src", "-c", "dark-blue", "--name", "x", "--tag", "a", "--out", "o.json", "--loud"]
    used = converters(command, args)
    assert used.pop("count") == "AdapterRuntimeParam"  # numbers are Typer's to convert
    assert used == dict.fromkeys(
        ["path", "colour", "name", "tag", "out", "existing", "loud", "mode", "code"], Quick.__name__
    )
    assert json.loads(capsys.readouterr().out)["colour"] == ["Colour", "dark-blue"]
    assert converters(command, ["--name", "y"])["name"] == Quick.__name__, "kept for a rerun"


def test_values_typer_might_refuse_are_left_to_typer() -> None:
    command = get_command(build(quick=True)).commands["show"]  # type: ignore[attr-defined]
    used = converters(command, ["--existing", ".", "--name", "x", "--code", "ab"])
    assert (used["existing"], used["name"]) == ("AdapterRuntimeParam", Quick.__name__)
    assert used["code"] == "AdapterRuntimeParam", "a parser of the command's own is Typer's to run"
    command = get_command(build(quick=True)).commands["show"]  # type: ignore[attr-defined]
    assert converters(command, ["--mode", "dark-blue"])["mode"] == "AdapterRuntimeParam"
    command = get_command(build(quick=True)).commands["show"]  # type: ignore[attr-defined]
    with pytest.raises(typer.BadParameter, match="'DARK-BLUE' is not one of 'red'"):
        converters(command, ["-c", "DARK-BLUE"])


@pytest.mark.parametrize(
    ("annotation", "value"),
    [(list[str], ["a", 1]), (list[str], "a"), (list[int], ["1"]), (str, 1), (Path, ""), (int, 1)],
)
def test_unusual_values_are_unsure(annotation: object, value: object) -> None:
    ctx = Context(Command("show"))
    assert certain(annotation, ParameterInfo(), value, ctx) is UNSURE
