"""The result types every capability produces: findings, their fixes and their rating."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Severity(enum.IntEnum):
    """How much harm the defect can do; ordered so ``>=`` compares with ``--fail-on``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self) -> str:
        return self.name.lower()


class Confidence(enum.IntEnum):
    """How sure the rule is that the finding is a real defect."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    def __str__(self) -> str:
        return self.name.lower()


class Applicability(enum.Enum):
    """Whether ``apismith fix`` may apply a fix on its own (as ruff defines the levels)."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY = "display"


@dataclass(frozen=True, slots=True)
class Fix:
    """The remedy for a finding: a title always, a mechanical edit when one is known."""

    title: str
    applicability: Applicability = Applicability.DISPLAY


@dataclass(frozen=True, slots=True)
class Finding:
    """One defect at one place. ``path`` is relative to the reviewed root, ``/``-separated."""

    rule: str
    name: str
    family: str
    severity: Severity
    confidence: Confidence
    cwe: int | None
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fix: Fix | None = None
    excerpt: str = ""

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Deterministic report order: file, position, rule, message."""
        return (self.path, self.line, self.column, self.rule, self.message)

    def to_dict(self) -> dict[str, Any]:
        """The finding as the JSON report writes it (docs/json-format.md)."""
        return {
            "rule": self.rule,
            "name": self.name,
            "family": self.family,
            "severity": str(self.severity),
            "confidence": str(self.confidence),
            "cwe": self.cwe,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "fix": self.fix.title if self.fix else None,
            "fix_applicability": self.fix.applicability.value if self.fix else None,
            "excerpt": self.excerpt,
        }

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> Finding:
        """The inverse of :meth:`to_dict`; raises ``KeyError``/``ValueError`` on bad input."""
        fix = item["fix"]
        return cls(
            rule=str(item["rule"]),
            name=str(item["name"]),
            family=str(item["family"]),
            severity=Severity[str(item["severity"]).upper()],
            confidence=Confidence[str(item["confidence"]).upper()],
            cwe=item["cwe"] if isinstance(item["cwe"], int) else None,
            path=str(item["path"]),
            line=int(item["line"]),
            column=int(item["column"]),
            end_line=int(item["end_line"]),
            end_column=int(item["end_column"]),
            message=str(item["message"]),
            fix=Fix(str(fix), Applicability(item["fix_applicability"])) if fix else None,
            excerpt=str(item["excerpt"]),
        )
