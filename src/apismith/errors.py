"""Errors apismith raises at its boundaries.

ApismithError
├── ConfigError      a [tool.apismith] table or CLI option is invalid
├── UsageError       a request that cannot be carried out (missing path, unknown rule)
├── SourceError      one file cannot be read or parsed; the run goes on without it
├── TargetError      a dynamic target cannot be imported, reached or is not allowed
└── SchemaError      a dynamic target's OpenAPI schema is missing or not valid OpenAPI 3
"""

from __future__ import annotations


class ApismithError(Exception):
    """Root of every error apismith raises on purpose."""


class ConfigError(ApismithError):
    """Invalid configuration: an unknown key, a bad value, an unknown rule selector."""


class UsageError(ApismithError):
    """A request that cannot be carried out, such as reviewing a path that does not exist."""


class SourceError(ApismithError):
    """A file that cannot be analysed; ``reason`` is shown to the user next to its path."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


class TargetError(ApismithError):
    """A target of ``probe``/``profile`` that cannot be imported or reached, or is not allowed."""


class SchemaError(ApismithError):
    """An OpenAPI schema that cannot be fetched or is not a valid OpenAPI 3 document."""
