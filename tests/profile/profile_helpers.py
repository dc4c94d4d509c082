"""Helpers of the profile tests: run the real CLI, read its JSON report."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from apismith.cli import app

FAST = ("-n", "5", "-c", "2", "--slow-ms", "200")


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run ``apismith`` in-process; exit code, stdout and stderr."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def profile_json(*args: str) -> tuple[int, dict[str, Any], str]:
    """Run ``apismith profile ... -f json``; exit code, the parsed report and stderr."""
    code, out, err = run_cli("profile", *args, "-f", "json")
    assert out, err
    return code, json.loads(out), err
