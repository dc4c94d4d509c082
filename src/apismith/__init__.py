"""apismith: a backend engineer in a box for FastAPI services."""

from __future__ import annotations

from apismith.findings import Applicability, Confidence, Finding, Fix, Severity

__all__ = ["Applicability", "Confidence", "Finding", "Fix", "Severity", "__version__"]

__version__ = "0.1.0"
