"""Findings about a running app: one operation, the response that shows it, the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apismith.findings import Confidence, Severity
from apismith.rules.base import split_sections

EXCERPT_LIMIT = 300


@dataclass(frozen=True, slots=True)
class DynamicRule:
    """The fixed metadata of a dynamic check; ``doc`` is its user documentation."""

    id: str
    name: str
    family: str
    severity: Severity
    confidence: Confidence
    cwe: int | None
    doc: str

    @property
    def summary(self) -> str:
        """The documentation's "What it does" section, or its first paragraph."""
        text = split_sections(self.doc).get("What it does") or self.doc.strip()
        return text.split("\n\n")[0].replace("\n", " ")


@dataclass(frozen=True, slots=True)
class DynamicFinding:
    """One defect seen in the behaviour of one operation (``path`` is its OpenAPI template)."""

    rule: str
    name: str
    family: str
    severity: Severity
    confidence: Confidence
    cwe: int | None
    method: str
    path: str
    message: str
    evidence_status: int | None = None
    evidence_excerpt: str = ""
    reproduce: str = ""

    @classmethod
    def of(
        cls,
        rule: DynamicRule,
        method: str,
        path: str,
        message: str,
        *,
        status: int | None = None,
        excerpt: str = "",
        reproduce: str = "",
        severity: Severity | None = None,
    ) -> DynamicFinding:
        """A finding of ``rule``; ``severity`` overrides the rule's default."""
        return cls(
            rule=rule.id,
            name=rule.name,
            family=rule.family,
            severity=rule.severity if severity is None else severity,
            confidence=rule.confidence,
            cwe=rule.cwe,
            method=method,
            path=path,
            message=message,
            evidence_status=status,
            evidence_excerpt=shorten(excerpt),
            reproduce=reproduce,
        )

    @property
    def sort_key(self) -> tuple[int, str, str, str, str]:
        """Most severe first, then by operation and rule."""
        return (-int(self.severity), self.path, self.method, self.rule, self.message)

    def to_dict(self) -> dict[str, Any]:
        """The finding as the JSON report writes it."""
        return {
            "rule": self.rule,
            "name": self.name,
            "family": self.family,
            "severity": str(self.severity),
            "confidence": str(self.confidence),
            "cwe": self.cwe,
            "method": self.method,
            "path": self.path,
            "message": self.message,
            "evidence": {"status": self.evidence_status, "excerpt": self.evidence_excerpt},
            "reproduce": self.reproduce,
        }


def shorten(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """``text`` on at most ``limit`` characters, marked when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
