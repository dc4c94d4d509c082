"""Serve an app with a real uvicorn on 127.0.0.1 for the duration of a test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

STARTUP_TIMEOUT = 20.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(app_import: str, app_dir: Path) -> Iterator[str]:
    """Run ``python -m uvicorn APP`` on a free port; yield its base URL; always stop it."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "uvicorn", app_import, "--app-dir", str(app_dir)),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        "--no-access-log",
    ]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    base_url = f"http://127.0.0.1:{port}"
    # The server's log goes to a file: a pipe nobody reads fills up and blocks the server.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=env)
        try:
            _wait_ready(process, base_url, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            errors = log.read().decode(errors="replace")
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{errors}")
        try:
            httpx.get(base_url + "/", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        return
    raise RuntimeError(f"uvicorn did not answer on {base_url} within {STARTUP_TIMEOUT:g} s")
