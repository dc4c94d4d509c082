"""What a probe check is: a rule documented by its module docstring, and a function to run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apismith.dynamic.findings import DynamicRule
from apismith.findings import Confidence, Severity
from apismith.probe.context import ProbeContext

FAMILY = "probe"


@dataclass(frozen=True, slots=True)
class Check:
    """One check: its rule and the function that runs it over a probe context."""

    rule: DynamicRule
    run: Callable[[ProbeContext], None]


def define(
    doc: str | None, id: str, name: str, severity: Severity, confidence: Confidence, cwe: int | None
) -> DynamicRule:
    """A probe rule whose documentation is ``doc`` (the check module's docstring)."""
    return DynamicRule(
        id=id,
        name=name,
        family=FAMILY,
        severity=severity,
        confidence=confidence,
        cwe=cwe,
        doc=(doc or "").strip(),
    )
