"""The profile checks, one module each; a module's docstring is the check's documentation."""

from __future__ import annotations

from apismith.dynamic.findings import DynamicRule
from apismith.profile.checks import loop_blocked, n_plus_one, slow_operation
from apismith.profile.findings import ProfileFinding
from apismith.profile.result import Options, ProfileResult

CHECKS: tuple[DynamicRule, ...] = (n_plus_one.CHECK, loop_blocked.CHECK, slow_operation.CHECK)


def run_checks(result: ProfileResult, options: Options) -> list[ProfileFinding]:
    """Every check's findings, most severe first."""
    found = [
        *n_plus_one.check(result),
        *loop_blocked.check(result),
        *slow_operation.check(result, options),
    ]
    return sorted(found, key=lambda finding: finding.sort_key)
