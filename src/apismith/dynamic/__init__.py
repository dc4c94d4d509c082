"""What the dynamic capabilities (probe, profile) share: targets, schemas, findings."""

from __future__ import annotations

from apismith.dynamic.findings import DynamicFinding, DynamicRule
from apismith.dynamic.schema import OpenAPI, Operation, Parameter, load_schema
from apismith.dynamic.target import Target, curl_line, load_target

__all__ = [
    "DynamicFinding",
    "DynamicRule",
    "OpenAPI",
    "Operation",
    "Parameter",
    "Target",
    "curl_line",
    "load_schema",
    "load_target",
]
