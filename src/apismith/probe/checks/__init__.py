"""The probe checks, in the order they run: active ones first, then those reading the record."""

from __future__ import annotations

from apismith.dynamic.findings import DynamicRule
from apismith.probe.checks import (
    cookie_without_httponly,
    cookie_without_samesite,
    cookie_without_secure,
    cors_any_origin,
    error_details_leaked,
    forged_credentials,
    insecure_direct_object_reference,
    missing_authentication,
    missing_security_headers,
    no_rate_limit,
    response_schema_violation,
    server_error,
    undocumented_success_status,
)
from apismith.probe.checks.base import Check

CHECKS: tuple[Check, ...] = (
    missing_authentication.CHECK,
    forged_credentials.CHECK,
    insecure_direct_object_reference.CHECK,
    server_error.CHECK,
    cors_any_origin.CHECK,
    no_rate_limit.CHECK,
    response_schema_violation.CHECK,
    undocumented_success_status.CHECK,
    error_details_leaked.CHECK,
    missing_security_headers.CHECK,
    cookie_without_httponly.CHECK,
    cookie_without_secure.CHECK,
    cookie_without_samesite.CHECK,
)


def probe_rules() -> list[DynamicRule]:
    """Every probe rule, ordered by id."""
    return sorted((check.rule for check in CHECKS), key=lambda rule: rule.id)


__all__ = ["CHECKS", "Check", "probe_rules"]
