"""What a command imports: the fixed cost of a run is mostly imports, so the review and
--help paths must not load what only other commands use."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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
)


def imported(args: list[str], cache: Path) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The modules ``apismith ARGS`` imports (from ``-X importtime``), and the finished run."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from apismith.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "APISMITH_CACHE_DIR": str(cache)},
        check=False,
    )
    names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", done.stderr, re.M))
    return names, done


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
