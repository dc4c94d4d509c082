"""``apismith probe``: exercise a running app through its OpenAPI schema and report defects."""

from __future__ import annotations

from apismith.probe.checks import probe_rules
from apismith.probe.identities import Identity, parse_auth
from apismith.probe.runner import ProbeOptions, ProbeResult, run_probe

__all__ = ["Identity", "ProbeOptions", "ProbeResult", "parse_auth", "probe_rules", "run_probe"]
