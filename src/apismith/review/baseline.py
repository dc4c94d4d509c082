"""Baselines: accept today's findings so that only new ones are reported.

A finding is identified by rule, file and the text of its line (not the line number), so
unrelated edits that move code do not make old findings look new.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from apismith.errors import UsageError
from apismith.findings import Finding


def fingerprint(finding: Finding) -> str:
    """Identity of a finding that survives moving lines."""
    first = finding.excerpt.splitlines()[0].strip() if finding.excerpt else ""
    return f"{finding.rule}|{finding.path}|{first}"


def write(path: Path, findings: list[Finding]) -> None:
    """Save the fingerprints of ``findings`` to ``path``."""
    entries = sorted(fingerprint(f) for f in findings)
    path.write_text(json.dumps({"version": 1, "findings": entries}, indent=2) + "\n", "utf-8")


def read(path: Path) -> Counter[str]:
    """Fingerprints saved in a baseline file, with their multiplicity."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["findings"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{path}: not a readable apismith baseline ({error})") from error
    return Counter(str(entry) for entry in entries)


def filter_new(known: Counter[str], findings: list[Finding]) -> list[Finding]:
    """Findings not accounted for by the baseline."""
    remaining = Counter(known)
    fresh: list[Finding] = []
    for finding in findings:
        key = fingerprint(finding)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            fresh.append(finding)
    return fresh
