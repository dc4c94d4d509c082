"""The documented, stable JSON report (see docs/json-format.md)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

from apismith import __version__
from apismith.findings import Severity

if TYPE_CHECKING:
    from apismith.review.engine import ReviewResult

SCHEMA_VERSION = 1


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
        "findings": [f.to_dict() for f in result.findings],
        "errors": [
            {"path": e.path, "reason": e.reason, "line": e.line, "column": e.column}
            for e in result.errors
        ],
    }
    return json.dumps(document, indent=2) + "\n"
