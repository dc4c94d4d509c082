"""Compare ``apismith probe`` with schemathesis on the planted notes app and its correct twin.

Each tool runs against a fresh uvicorn server on 127.0.0.1 (tests/probe/apps), with the same two
users signed up beforehand: apismith gets both tokens (``--auth`` twice), schemathesis the first
(it takes one set of headers). For every run the script records the wall time, the requests
sent, which planted defects the report names, and on the twin what it reports that is not a
defect. Run it with the repository's interpreter:

    .venv/bin/python bench/probe_vs_schemathesis.py --st /work/scratch/schemathesis-venv/bin/st
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "tests" / "probe" / "apps"
APISMITH = Path(sys.executable).parent / "apismith"

Found = set[tuple[str, str, str]]  # (rule or check code/type, method, path)

# Each planted defect, and how a report of each tool shows it.
DEFECTS: dict[str, tuple[Callable[[Found], bool], Callable[[Found], bool]]] = {}


def defect(name: str, apismith: Callable[[Found], bool], st: Callable[[Found], bool]) -> None:
    DEFECTS[name] = (apismith, st)


def has(rule: str, method: str = "", path: str = "") -> Callable[[Found], bool]:
    return lambda found: any(
        r.startswith(rule) and (not method or m == method) and (not path or p == path)
        for r, m, p in found
    )


def never(found: Found) -> bool:
    return False


NOTE = "/notes/{note_id}"
defect("500 on GET /ratio", has("PRB001", "GET", "/ratio"), has("ST101", "GET", "/ratio"))
defect("schema violation on GET /me", has("PRB002", "GET", "/me"), has("ST108", "GET", "/me"))
defect("undeclared 202 on PUT", has("PRB003", "PUT", NOTE), has("ST103", "PUT", NOTE))
defect("no auth on DELETE", has("PRB004", "DELETE", NOTE), has("IgnoredAuth", "DELETE", NOTE))
defect("IDOR on GET note", has("PRB006", "GET", NOTE), has("ObjectLevel", "GET", NOTE))
defect("IDOR on DELETE note", has("PRB006", "DELETE", NOTE), has("ObjectLevel", "DELETE", NOTE))
defect("forgeable tokens (tutorial key)", has("PRB005"), never)
defect("SQL error leaked by /search", has("PRB009", "GET", "/search"), never)
defect("CORS any origin + credentials", has("PRB008"), never)
defect("no security headers", has("PRB007"), never)
defect("session cookie flags", has("PRB010", "POST", "/login"), never)
defect("no rate limit on /login", has("PRB013", "POST", "/login"), never)
defect("no rate limit on /register", has("PRB013", "POST", "/register"), never)


@dataclass
class Run:
    """One tool on one app: cost and what it reported."""

    seconds: float
    requests: int
    found: Found = field(default_factory=set)
    noise: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def served(app: str) -> Iterator[tuple[str, list[str]]]:
    """A fresh server for ``app`` and the bearer tokens of two users signed up on it."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", f"{app}:app", "--app-dir", str(APPS)]
    command += ["--port", str(port), "--log-level", "error", "--no-access-log"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.get(base + "/health", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            tokens = []
            for user in ("alice", "bob"):
                body = {"username": user, "password": "a-long-passphrase"}
                httpx.post(base + "/register", json=body)
                tokens.append(httpx.post(base + "/login", json=body).json()["access_token"])
            yield base, tokens
        finally:
            process.terminate()
            process.wait(timeout=10)


def run_apismith(base: str, tokens: list[str], planted: bool) -> Run:
    command = [str(APISMITH), "probe", base, "-f", "json", "-q", "--exit-zero"]
    for token in tokens:
        command += ["--auth", f"Bearer {token}"]
    started = time.monotonic()
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    seconds = time.monotonic() - started
    report = json.loads(output)
    findings = report["findings"]
    found = {(f["rule"], f["method"], f["path"]) for f in findings}
    noise = [
        f"{f['rule']} {f['method']} {f['path']}"
        for f in findings
        if f["severity"] not in ("low", "info") and not planted
    ]
    return Run(seconds, report["summary"]["requests"], found, noise)


def run_schemathesis(st: str, base: str, tokens: list[str], planted: bool) -> Run:
    with tempfile.TemporaryDirectory() as reports:
        command = [st, "run", base + "/openapi.json", "-H", f"Authorization: Bearer {tokens[0]}"]
        command += ["--checks", "all", "--report", "json,har", "--report-dir", reports]
        command += ["--no-color", "--generation-deterministic"]
        started = time.monotonic()
        # schemathesis keeps a cache in its working directory: keep it out of the repository.
        subprocess.run(command, capture_output=True, text=True, check=False, cwd=reports)
        seconds = time.monotonic() - started
        report = json.loads(next(Path(reports).glob("json-*.json")).read_text())
        har = json.loads(next(Path(reports).glob("har-*.json")).read_text())
    found: Found = set()
    for failure in report["failures"]:
        for operation in failure["operations"]:
            method, _, path = operation.partition(" ")
            for label in (failure["code"], failure["type"]):
                found.add((label, method, path))
    noise = [] if planted else sorted({f"{c} {m} {p}" for c, m, p in found if c.startswith("ST")})
    return Run(seconds, len(har["log"]["entries"]), found, noise)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--st", default="/work/scratch/schemathesis-venv/bin/st")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    results: dict[tuple[str, str], list[Run]] = {}
    for app in ("planted", "correct"):
        for tool in ("apismith", "schemathesis"):
            for _ in range(args.runs):
                with served(app) as (base, tokens):
                    if tool == "apismith":
                        run = run_apismith(base, tokens, app == "planted")
                    else:
                        run = run_schemathesis(args.st, base, tokens, app == "planted")
                results.setdefault((app, tool), []).append(run)
    print(report(results))


def report(results: dict[tuple[str, str], list[Run]]) -> str:
    lines = ["| app | tool | median wall s | requests | planted defects found | noise above low |"]
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for (app, tool), runs in results.items():
        index = 0 if tool == "apismith" else 1
        found = {name for name, checks in DEFECTS.items() if checks[index](runs[0].found)}
        score = f"{len(found)}/{len(DEFECTS)}" if app == "planted" else "-"
        noise = str(len(runs[0].noise)) if app == "correct" else "-"
        wall = statistics.median(run.seconds for run in runs)
        lines.append(f"| {app} | {tool} | {wall:.1f} | {runs[0].requests} | {score} | {noise} |")
    lines.append("")
    for (app, tool), runs in results.items():
        index = 0 if tool == "apismith" else 1
        if app == "planted":
            missed = [name for name, checks in DEFECTS.items() if not checks[index](runs[0].found)]
            lines.append(f"- {tool} missed on the planted app: {', '.join(missed) or 'nothing'}")
        else:
            lines.append(f"- {tool} on the correct twin: {', '.join(runs[0].noise) or 'nothing'}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
