"""What a profile run produces: findings about operations, with evidence and a curl line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apismith.dynamic.findings import DynamicRule
from apismith.findings import Confidence, Severity


@dataclass(frozen=True, slots=True)
class ProfileFinding:
    """One behavioural defect of one operation (``path`` is the OpenAPI path template)."""

    check: DynamicRule
    method: str
    path: str
    message: str
    status: int
    excerpt: str
    reproduce: str
    confidence: Confidence = Confidence.HIGH
    source: str = ""
    severity: Severity | None = None

    @property
    def level(self) -> Severity:
        """The finding's severity: its own when set, else its check's."""
        return self.severity if self.severity is not None else self.check.severity

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        """Most severe first, then by path, method and rule."""
        return (-int(self.level), self.path, self.method, self.check.id)

    def to_dict(self) -> dict[str, Any]:
        """The finding as the JSON report writes it."""
        return {
            "rule": self.check.id,
            "name": self.check.name,
            "family": "performance",
            "severity": str(self.level),
            "confidence": str(self.confidence),
            "cwe": self.check.cwe,
            "method": self.method,
            "path": self.path,
            "message": self.message,
            "evidence": {"status": self.status, "excerpt": self.excerpt},
            "reproduce": self.reproduce,
            "source": self.source or None,
        }
