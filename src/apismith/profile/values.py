"""Valid example values from JSON schemas, for path parameters, queries and create bodies."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping
from typing import Any

_FORMATS = {
    "email": "user{n}{salt}@example.com",
    "date-time": "2024-01-0{d}T12:00:00Z",
    "date": "2024-01-0{d}",
    "uuid": "00000000-0000-4000-8000-{n:012d}",
    "uri": "https://example.com/{n}",
    "url": "https://example.com/{n}",
    "ipv4": "127.0.0.{d}",
}


class Values:
    """Makes values for one schema document; a counter keeps generated strings unique, and a
    salt (random by default) keeps them unique across runs against the same database."""

    def __init__(
        self,
        document: Mapping[str, Any],
        ids: dict[str, object] | None = None,
        salt: str | None = None,
    ) -> None:
        self.document = document
        self.ids = ids or {}
        self.salt = secrets.token_hex(3) if salt is None else salt
        self._counter = itertools.count(1)

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow local ``$ref`` pointers (``#/components/schemas/Item``)."""
        seen = 0
        while "$ref" in schema and seen < 32:
            node: Any = self.document
            for part in str(schema["$ref"]).lstrip("#/").split("/"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            schema = node if isinstance(node, dict) else {}
            seen += 1
        return schema

    def example(self, schema: dict[str, Any], name: str = "", depth: int = 0) -> object:
        """A value the schema accepts: its example or default when given, else a made-up one."""
        schema = self.resolve(schema)
        for key in ("example", "default"):
            if key in schema and schema[key] is not None:
                return schema[key]
        if schema.get("examples"):
            return schema["examples"][0]
        if schema.get("enum"):
            return schema["enum"][0]
        if "const" in schema:
            return schema["const"]
        for key in ("anyOf", "oneOf", "allOf"):
            options = [self.resolve(o) for o in schema.get(key, [])]
            typed = [o for o in options if o.get("type") != "null"]
            if typed:
                return self.example(typed[0], name, depth)
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return [] if depth > 3 else [self.example(schema.get("items", {}), name, depth + 1)]
        if kind in ("integer", "number"):
            return self._number(schema, name, kind)
        if kind == "boolean":
            return True
        return self._string(schema)

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, object]:
        if depth > 3:
            return {}
        properties: dict[str, Any] = schema.get("properties", {})
        return {
            key: self.example(properties.get(key, {}), key, depth + 1)
            for key in schema.get("required", [])
        }

    def _number(self, schema: dict[str, Any], name: str, kind: str) -> object:
        if name in self.ids:
            return self.ids[name]
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(1, int(low) + (1 if "exclusiveMinimum" in schema else 0))
        high = schema.get("maximum")
        if high is not None:
            value = min(value, int(high))
        return value if kind == "integer" else float(value)

    def _string(self, schema: dict[str, Any]) -> str:
        number = next(self._counter)
        template = _FORMATS.get(str(schema.get("format", "")))
        if template is not None:
            return template.format(n=number, d=number % 9 + 1, salt=self.salt)
        text = f"sample{number}{self.salt}"
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        text = text.ljust(low, "x")
        return text[: int(high)] if high is not None and int(high) >= low else text
