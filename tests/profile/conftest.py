"""Fixtures: the profile's test apps, copied to a temporary directory, run by uvicorn."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

APPS = Path(__file__).parent / "apps"


@pytest.fixture(scope="session")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a copy of the test apps; their SQLite files are made there."""
    directory = tmp_path_factory.mktemp("apps")
    for source in APPS.glob("*.py"):
        shutil.copy(source, directory / source.name)
    return directory


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
