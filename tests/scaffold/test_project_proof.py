"""The proof for ``apismith new project``: a generated project installs with its own scripts,
passes its own gate (ruff, mypy --strict, tests with >= 95% branch coverage), gets no finding
from ``apismith review``, and its account flows work over real HTTP under uvicorn.

The project's virtual environment is cached between runs, keyed by its pyproject.toml, under
``$APISMITH_CACHE_DIR`` (default ``~/.cache/apismith``) in ``scaffold-venv/``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from apismith.cli import app
from apismith.scaffold.project import new_project

pytestmark = pytest.mark.slow

NAME = "demo_service"
PASSWORD = "a long enough passphrase"
TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")


def _cache_root() -> Path:
    configured = os.environ.get("APISMITH_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "apismith"


def _link_cached_venv(root: Path) -> None:
    """Point ``root/.venv`` at a virtual environment shared by every run with this pyproject;
    the project's own ``scripts/setup`` fills it the first time."""
    key = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()[:16]
    venv = _cache_root() / "scaffold-venv" / key
    if not (venv / "bin" / "python").exists():
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    _repoint_scripts(venv)
    (root / ".venv").symlink_to(venv, target_is_directory=True)


def _repoint_scripts(venv: Path) -> None:
    """Installed console scripts name the interpreter by the path pip ran through, a ``.venv``
    link of an earlier (since deleted) project: point them at the shared interpreter itself."""
    python = f"#!{venv / 'bin' / 'python'}\n".encode()
    for script in (venv / "bin").iterdir():
        if not script.is_file() or script.is_symlink():
            continue
        content = script.read_bytes()
        first, newline, rest = content.partition(b"\n")
        if first.startswith(b"#!") and first.endswith(b"/.venv/bin/python") and newline:
            script.write_bytes(python + rest)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly generated project with its (cached) virtual environment."""
    parent = tmp_path_factory.mktemp("generated")
    started = time.perf_counter()
    root = new_project(NAME, parent).root
    print(f"generation: {time.perf_counter() - started:.2f}s")
    return installed(root)


def installed(root: Path) -> Path:
    """``root`` with its (cached) virtual environment set up by its own script."""
    _link_cached_venv(root)
    setup = subprocess.run(
        ["./scripts/setup", "dev"], cwd=root, capture_output=True, text=True, timeout=1800
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    return root


def own_gate(project: Path) -> tuple[str, str, float]:
    """Run the project's ``./scripts/test``; its output, coverage and time once it passed
    lint, types and a coverage of 95% or more."""
    started = time.perf_counter()
    result = subprocess.run(
        ["./scripts/test", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.perf_counter() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "All checks passed!" in output
    assert "Success: no issues found" in output
    coverage = re.search(r"Total coverage: ([\d.]+)%", output)
    assert coverage is not None and float(coverage.group(1)) >= 95
    return output, coverage.group(1), elapsed


def test_its_own_gate_passes_with_coverage(project: Path) -> None:
    _, coverage, elapsed = own_gate(project)
    print(f"project gate: {elapsed:.1f}s, coverage {coverage}%")


def test_review_finds_nothing(project: Path) -> None:
    result = CliRunner().invoke(
        app, ["review", str(project), "--no-cache", "--fail-on", "info", "-f", "json"]
    )
    assert result.exit_code == 0, result.stdout[-3000:]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(
    project: Path, settings: Mapping[str, str] | None = None, log_name: str = "server.log"
) -> Iterator[tuple[str, Path]]:
    """The project served by its own ``scripts/run`` on 127.0.0.1, with extra ``settings`` in
    its environment: its origin and log file."""
    port = _free_port()
    log = project / log_name
    env = {**os.environ, **(settings or {}), "PORT": str(port), "HOST": "127.0.0.1"}
    with log.open("w") as stream:
        process = subprocess.Popen(
            ["./scripts/run"], cwd=project, env=env, stdout=stream, stderr=subprocess.STDOUT
        )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{origin}/api/v1/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield origin, log
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[tuple[str, Path]]:
    """The project's API base URL under its own ``scripts/run``, and its log file."""
    with serve(project) as (origin, log):
        yield f"{origin}/api/v1", log


def signed_in(client: httpx.Client, log: Path, email: str) -> str:
    """An access token of a new, verified user, signed up as a person would."""
    registered = client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 202, registered.text
    verified = client.post("/auth/verify", json={"token": mailed_token(log, email, 1)})
    assert verified.status_code == 200, verified.text
    login = client.post("/auth/login", data={"username": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return str(login.json()["access_token"])


def mailed_token(log: Path, address: str, number: int) -> str:
    """The ``number``-th distinct token mailed to ``address``, read from the console email
    log as a user would copy it; waits for the email to be sent."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lines = [line for line in log.read_text().splitlines() if "email.console" in line]
        found = [token for line in lines if address in line for token in TOKEN.findall(line)]
        tokens = list(dict.fromkeys(found))
        if len(tokens) >= number:
            return tokens[number - 1]
        time.sleep(0.1)
    raise AssertionError(f"no email number {number} to {address} in the log")


def test_account_flows_over_http(server: tuple[str, Path]) -> None:
    base, log = server
    email = "walker@example.com"
    with httpx.Client(base_url=base, timeout=30) as client:
        registered = client.post("/auth/register", json={"email": email, "password": PASSWORD})
        assert registered.status_code == 202
        again = client.post("/auth/register", json={"email": email, "password": PASSWORD})
        assert (again.status_code, again.json()) == (registered.status_code, registered.json())
        credentials = {"username": email, "password": PASSWORD}
        assert client.post("/auth/login", data=credentials).status_code == 403
        verified = client.post("/auth/verify", json={"token": mailed_token(log, email, 2)})
        assert verified.status_code == 200
        login = client.post("/auth/login", data=credentials)
        assert login.status_code == 200
        pair = login.json()
        assert pair["token_type"] == "bearer"
        me = client.get("/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
        assert me.status_code == 200 and me.json()["email"] == email
        assert "hashed_password" not in me.text
        rotated = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert rotated.status_code == 200
        reused = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert reused.status_code == 401
        assert reused.headers["content-type"] == "application/problem+json"
        header, payload, signature = pair["access_token"].split(".")
        flipped = "A" if signature[0] != "A" else "B"
        tampered = f"{header}.{payload}.{flipped}{signature[1:]}"
        refused = client.get("/users/me", headers={"Authorization": f"Bearer {tampered}"})
        assert refused.status_code == 401
        reset = client.post("/auth/password-reset/request", json={"email": email})
        assert reset.status_code == 202
        new_password = "another long passphrase"
        confirm = {"token": mailed_token(log, email, 3), "new_password": new_password}
        assert client.post("/auth/password-reset/confirm", json=confirm).status_code == 200
        assert client.post("/auth/password-reset/confirm", json=confirm).status_code == 400
        assert client.post("/auth/login", data=credentials).status_code == 401
        relogin = client.post("/auth/login", data={"username": email, "password": new_password})
        assert relogin.status_code == 200
        statuses = [
            client.post("/auth/login", data={"username": email, "password": f"guess {n}"})
            for n in range(10)
        ]
        assert statuses[-1].status_code == 429
        assert int(statuses[-1].headers["retry-after"]) >= 1
        assert {response.status_code for response in statuses} == {401, 429}
        health = client.get("/health")
        assert health.headers["x-content-type-options"] == "nosniff"
        assert health.headers["x-request-id"]
