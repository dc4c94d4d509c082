"""What a command loads: the fixed cost of a run is mostly imports, so the review and --help
paths must not load what only other commands use."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apismith.cli import COMMANDS, app
from apismith.config import load_config
from apismith.rules import select_rules

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "shop"
NEVER_ON_REVIEW = (
    "pydantic",
    "libcst",
    "httpx",
    "uvicorn",
    "jinja2",
    "hypothesis",
    "jsonschema",
    "pyinstrument",
    "rich",
    "apismith.scaffold",
    "apismith.probe",
    "apismith.profile",
    "apismith.dynamic",
    "apismith.cli.probe",
    "apismith.cli.profile",
    "apismith.cli.new",
    "apismith.cli.routes",
    "apismith.cli.rules",
)


# Runs the console entry point and, as it exits, lists every module then loaded.
ENTRY = """
import os, sys
from apismith.cli import main
exit_now = os._exit
def listing(code):
    sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n")
    sys.stderr.flush()
    exit_now(code)
os._exit = listing
main()
"""


def imported(args: list[str], cache: Path) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The modules loaded by the end of ``apismith ARGS``, and the finished run."""
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "APISMITH_CACHE_DIR": str(cache)},
        check=False,
    )
    listing = re.search(r"^MODULES (.*)$", done.stderr, re.M)
    assert listing is not None, done.stderr[-2000:]
    return set(listing.group(1).split()), done


def loaded(names: set[str], package: str) -> list[str]:
    return sorted(name for name in names if name == package or name.startswith(package + "."))


@pytest.mark.parametrize("cached", [False, True], ids=["cold", "warm"])
def test_quiet_json_review_loads_only_the_review(tmp_path: Path, cached: bool) -> None:
    args = ["review", "--format", "json", "--exit-zero", "--quiet", str(SHOP)]
    if cached:
        imported(args, tmp_path)
    else:
        args.append("--no-cache")
    names, done = imported(args, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"findings"' in done.stdout
    assert "apismith.review.engine" in names  # the measurement itself works
    for package in NEVER_ON_REVIEW:
        assert not loaded(names, package), package
    summary = json.loads(done.stdout)["summary"]
    assert summary["cached"] is cached
    config = load_config(SHOP, None)
    assert summary["rules"] == len(select_rules(config.select, config.ignore, config.extend_select))
    # a cached tree is answered without loading the rules or the analyses they import
    for package in ("apismith.analysis", "apismith.rules.security", "apismith.rules.context"):
        assert bool(loaded(names, package)) is not cached, package


def test_help_loads_no_engine(tmp_path: Path) -> None:
    names, done = imported(["--help"], tmp_path)
    assert done.returncode == 0
    assert "review" in done.stdout
    assert "typer" in names
    for package in ("apismith.review", "apismith.project", "apismith.analysis", "pydantic"):
        assert not loaded(names, package), package


def test_help_lists_every_command_in_order(tmp_path: Path) -> None:
    names, done = imported(["--help"], tmp_path)
    listed = re.findall(r"^│ (\w+) ", done.stdout, re.M)
    assert listed == list(COMMANDS)
    assert {f"apismith.cli.{name}" for name in ("review", "probe", "new")} <= names


def test_a_mistyped_command_gets_a_suggestion() -> None:
    done = CliRunner().invoke(app, ["revie"])
    assert done.exit_code == 2
    assert "No such command 'revie'. Did you mean 'review'?" in done.output


def test_a_terminal_sees_the_review_progress(tmp_path: Path) -> None:
    env = {"TTY_COMPATIBLE": "1", "APISMITH_CACHE_DIR": str(tmp_path)}
    args = ["review", str(SHOP), "--format", "json", "--exit-zero"]
    done = CliRunner().invoke(app, args, env=env)
    assert done.exit_code == 0
    assert json.loads(done.stdout)["summary"]["files"] > 0
    assert "reviewing" in done.stderr
