"""The documented, stable JSON report (see docs/json-format.md)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from apismith import __version__
from apismith.findings import Finding, Severity
from apismith.review.engine import ReviewResult

SCHEMA_VERSION = 1


def finding_dict(finding: Finding) -> dict[str, Any]:
    """One finding as a plain JSON object."""
    return {
        "rule": finding.rule,
        "name": finding.name,
        "family": finding.family,
        "severity": str(finding.severity),
        "confidence": str(finding.confidence),
        "cwe": finding.cwe,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "message": finding.message,
        "fix": finding.fix.title if finding.fix else None,
        "fix_applicability": finding.fix.applicability.value if finding.fix else None,
        "excerpt": finding.excerpt,
    }


def render_json(result: ReviewResult) -> str:
    """The whole review as one JSON document."""
    counts = Counter(str(f.severity) for f in result.findings)
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "apismith", "version": __version__},
        "root": str(result.root),
        "summary": {
            "files": result.files,
            "rules": len(result.rules),
            "findings": len(result.findings),
            "by_severity": {str(s): counts.get(str(s), 0) for s in reversed(Severity)},
            "errors": len(result.errors),
            "suppressed": result.suppressed,
            "cached": result.cached,
        },
        "findings": [finding_dict(f) for f in result.findings],
        "errors": [
            {"path": e.path, "reason": e.reason, "line": e.line, "column": e.column}
            for e in result.errors
        ],
    }
    return json.dumps(document, indent=2) + "\n"
