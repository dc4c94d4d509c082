"""The profile's test apps, copied to a temporary directory, run in-process or by uvicorn."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from apismith.cli import app

APPS = Path(__file__).parent / "apps"
FAST = ("-n", "5", "-c", "2", "--slow-ms", "200")


@pytest.fixture(scope="session")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a copy of the test apps; their SQLite files are made there."""
    directory = tmp_path_factory.mktemp("apps")
    for source in APPS.glob("*.py"):
        shutil.copy(source, directory / source.name)
    return directory


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run ``apismith`` in-process; exit code, stdout and stderr."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def profile_json(*args: str) -> tuple[int, dict[str, Any], str]:
    """Run ``apismith profile ... -f json``; exit code, the parsed report and stderr."""
    code, out, err = run_cli("profile", *args, "-f", "json")
    assert out, err
    return code, json.loads(out), err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(app_import: str, app_dir: Path) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", app_import, "--app-dir", str(app_dir)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn did not start {app_import}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def planted_url(apps: Path) -> Iterator[str]:
    """The planted app served by a real uvicorn on 127.0.0.1."""
    yield from _serve("planted_shop:app", apps)


@pytest.fixture(scope="session")
def correct_url(apps: Path) -> Iterator[str]:
    """The correct twin served by a real uvicorn on 127.0.0.1."""
    yield from _serve("correct_shop:app", apps)
