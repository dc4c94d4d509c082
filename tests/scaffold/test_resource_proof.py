"""The proof for ``apismith new resource`` and ``apismith new update``: a project with two
resources (one with every field type, a reference and an enum; one idempotent) passes its own
gate (ruff, mypy --strict, tests with >= 95% branch coverage), gets no finding from
``apismith review``, nothing above low from ``apismith probe`` and ``apismith profile`` run by two
signed-in users against its own server, and keeps a hand edit through ``apismith new update``.

The project's virtual environment is the one the ``new project`` proof caches.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_project_proof import NAME, installed, own_gate, serve, signed_in
from typer.testing import CliRunner

from apismith.cli import app
from apismith.scaffold.project import new_project
from apismith.scaffold.update import BASE_FILE

pytestmark = pytest.mark.slow

CUSTOMER = ["name:str", "email:email", "tier:enum(free|pro)", "--idempotent"]
INVOICE = [
    "title:str",
    "note:text?",
    "count:int",
    "ratio:float?",
    "paid:bool",
    "total:decimal",
    "due:datetime?",
    "issued:date",
    "ref_code:uuid?",
    "contact:email?",
    "status:enum(draft|sent|paid)",
    "customer:ref=Customer",
    "assignee:ref=User?",
    "owner:ref=User",
]
HAND_EDIT = '''

def invoice_label(number: int) -> str:
    """How finance names invoices."""
    return f"INV-{number:06d}"
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project with two resources, and its (cached) virtual environment."""
    parent = tmp_path_factory.mktemp("resources")
    started = time.perf_counter()
    root = new_project(NAME, parent).root
    for name, fields in (("customer", CUSTOMER), ("invoice", INVOICE)):
        added = CliRunner().invoke(app, ["new", "resource", name, *fields, "-p", str(root)])
        assert added.exit_code == 0, added.output
    print(f"generation with two resources: {time.perf_counter() - started:.2f}s")
    return installed(root)


def test_its_own_gate_passes_with_coverage(project: Path) -> None:
    output, coverage, elapsed = own_gate(project)
    missed = re.findall(r"^src/\S+/(?:\w+/)*(?:customer|invoice)\.py .*$", output, re.MULTILINE)
    assert missed == [], missed
    print(f"project gate with two resources: {elapsed:.1f}s, coverage {coverage}%")


def test_review_finds_nothing(project: Path) -> None:
    result = CliRunner().invoke(
        app, ["review", str(project), "--no-cache", "--fail-on", "info", "-f", "json"]
    )
    assert result.exit_code == 0, result.stdout[-3000:]
    assert json.loads(result.stdout)["findings"] == []


SEVERE = ("medium", "high", "critical")
RESOURCE = re.compile(r"^/api/v1/(?:customers|invoices)(?:/[0-9a-f-]{36})?$")
OBJECT_ID = re.compile(r"/[0-9a-f-]{36}$")
EXERCISED = (
    "POST /api/v1/customers",
    "GET /api/v1/customers",
    "GET /api/v1/customers/{id}",
    "PATCH /api/v1/customers/{id}",
    "GET /api/v1/invoices",
    "GET /api/v1/invoices/{id}",
    "PATCH /api/v1/invoices/{id}",
)


@pytest.fixture(scope="module")
def served(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The project under its own ``scripts/run``, two verified users who each own a customer
    and an invoice, and its OpenAPI schema (logout included: probe must not sign itself out)."""
    with serve(project) as (origin, log), httpx.Client(base_url=f"{origin}/api/v1") as client:
        tokens = [signed_in(client, log, f"{name}@example.com") for name in ("ada", "bob")]
        for token in tokens:
            headers = {"Authorization": f"Bearer {token}"}
            customer = {"name": "Acme", "email": "billing@acme.example", "tier": "pro"}
            made = client.post("/customers", json=customer, headers=headers)
            assert made.status_code == 201, made.text
            invoice = {
                "title": "Setup",
                "count": 1,
                "paid": False,
                "total": "120.00",
                "issued": "2026-01-31",
                "status": "draft",
                "customer_id": made.json()["id"],
            }
            billed = client.post("/invoices", json=invoice, headers=headers)
            assert billed.status_code == 201, billed.text
        schema = client.get(f"{origin}/openapi.json").json()
        path = tmp_path_factory.mktemp("schema") / "openapi.json"
        path.write_text(json.dumps(schema))
        yield {"origin": origin, "log": log, "tokens": tokens, "schema": path}


def _requests(lines: list[str]) -> Iterator[dict[str, Any]]:
    """The requests the project's JSON log records."""
    for line in lines:
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == "request":
                yield entry


def test_probe_finds_nothing_above_low(served: dict[str, Any]) -> None:
    log: Path = served["log"]
    before = len(log.read_text().splitlines())
    auth = [option for token in served["tokens"] for option in ("--auth", f"Bearer {token}")]
    started = time.perf_counter()
    result = CliRunner().invoke(
        app,
        [
            "probe",
            served["origin"],
            "--schema",
            str(served["schema"]),
            *auth,
            "--max-requests",
            "800",
            "--time-limit",
            "90",
            "--exit-zero",
            "-q",
            "-f",
            "json",
        ],
    )
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output[-3000:]
    report = json.loads(result.stdout)
    assert report["summary"]["identities"] == ["user1", "user2"]
    severe = [finding for finding in report["findings"] if finding["severity"] in SEVERE]
    assert severe == [], severe
    answered = Counter(
        f"{entry['method']} {OBJECT_ID.sub('/{id}', entry['path'])}"
        for entry in _requests(log.read_text().splitlines()[before:])
        if RESOURCE.match(entry["path"]) and entry["status"] < 300
    )
    assert set(EXERCISED) <= set(answered), answered
    print(f"probe: {report['summary']['requests']} requests in {elapsed:.1f}s; 2xx: {answered}")


def test_profile_finds_nothing_above_low(served: dict[str, Any]) -> None:
    started = time.perf_counter()
    result = CliRunner().invoke(
        app,
        [
            "profile",
            served["origin"],
            "--schema",
            str(served["schema"]),
            "--auth",
            f"Bearer {served['tokens'][1]}",
            "--fail-on",
            "medium",
            "-q",
            "-f",
            "json",
        ],
    )
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output[-3000:]
    report = json.loads(result.stdout)
    profiled = {f"{entry['method']} {entry['path']}" for entry in report["operations"]}
    assert {"GET /api/v1/customers", "GET /api/v1/invoices"} <= profiled, profiled
    print(f"profile: {report['summary']['requests']} requests in {elapsed:.1f}s")


def test_update_keeps_a_hand_edit(project: Path) -> None:
    service = project / f"src/{NAME}/services/invoice.py"
    edited = service.read_text() + HAND_EDIT
    service.write_text(edited)
    # As if an older apismith had rendered the customer router: the update brings it current.
    base = json.loads((project / BASE_FILE).read_text())
    router = f"src/{NAME}/api/v1/routes/customer.py"
    current = base[router]
    base[router] = current.replace('summary="Read a customer"', 'summary="Get a customer"')
    assert base[router] != current
    (project / BASE_FILE).write_text(json.dumps(base))
    (project / router).write_text(base[router])

    result = CliRunner().invoke(app, ["new", "update", "-p", str(project)])
    assert result.exit_code == 0, result.output
    assert service.read_text() == edited
    assert (project / router).read_text() == current
    checked = subprocess.run(
        [".venv/bin/ruff", "check", "."], cwd=project, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout
