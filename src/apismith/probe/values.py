"""One plausible, valid value per JSON schema: what a careful client would send.

Used where a request must succeed (baselines, sign-up, object discovery), so strings follow
their format and the field's name (an ``email`` gets an address, a ``password`` a strong one).
"""

from __future__ import annotations

import re
from typing import Any

JSONSchema = dict[str, Any]

PASSWORD = "Probe-Passw0rd!2024"
_FORMATS = {
    "email": "probe{n}@example.com",
    "idn-email": "probe{n}@example.com",
    "uuid": "00000000-0000-4000-8000-{n:012d}",
    "date": "2024-01-0{d}",
    "date-time": "2024-01-0{d}T12:00:00Z",
    "time": "12:00:00",
    "uri": "https://example.com/{n}",
    "url": "https://example.com/{n}",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "password": PASSWORD,
    "binary": "probe",
}
_NAMED = (
    (re.compile(r"e-?mail"), "email"),
    (re.compile(r"password|passwd|secret"), "password"),
    (re.compile(r"(^|_)(url|uri|link|website|homepage)s?$"), "uri"),
    (re.compile(r"uuid|guid"), "uuid"),
    (re.compile(r"(^|_)(date|birthday|dob)$"), "date"),
    (re.compile(r"phone"), "phone"),
)


def example(schema: JSONSchema, name: str = "", n: int = 1) -> Any:
    """A valid value for ``schema``; ``name`` is the property it fills, ``n`` varies it."""
    for key in ("const", "default", "example"):
        if key in schema and schema[key] is not None:
            return schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        options = [s for s in schema.get(key, []) if isinstance(s, dict)]
        usable = [s for s in options if s.get("type") != "null"] or options
        if usable:
            return example(usable[0], name, n)
    if isinstance(schema.get("allOf"), list):
        return example(merge_all_of(schema), name, n)
    kind = schema_type(schema)
    if kind == "object":
        return _object(schema, n)
    if kind == "array":
        items = schema["items"] if isinstance(schema.get("items"), dict) else {}
        count = max(1, int(schema.get("minItems", 1)))
        return [example(items, name, n + i) for i in range(count)]
    if kind == "integer":
        return int(_number(schema, n))
    if kind == "number":
        return float(_number(schema, n))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, name, n)


def schema_type(schema: JSONSchema) -> str:
    """The schema's main type (the first non-null one of a list), guessed when absent."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return str(kinds[0]) if kinds else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def merge_all_of(schema: JSONSchema) -> JSONSchema:
    """``allOf`` parts merged into one schema (properties and required lists joined)."""
    merged: JSONSchema = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf", []):
        if not isinstance(part, dict):
            continue
        part = merge_all_of(part) if "allOf" in part else part
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = sorted({*merged.get("required", []), *value})
            else:
                merged.setdefault(key, value)
    return merged


def _object(schema: JSONSchema, n: int) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    return {
        str(key): example(value if isinstance(value, dict) else {}, str(key), n)
        for key, value in properties.items()
        if not (isinstance(value, dict) and value.get("readOnly"))
    }


def _number(schema: JSONSchema, n: int) -> float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value = float(n)
    if isinstance(low, int | float):
        value = max(value, float(low) + (1 if "exclusiveMinimum" in schema else 0))
    if isinstance(high, int | float):
        value = min(value, float(high) - (1 if "exclusiveMaximum" in schema else 0))
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = step * max(1, round(value / step))
    return value


def _string(schema: JSONSchema, name: str, n: int) -> str:
    fmt = str(schema.get("format", ""))
    lowered = name.lower()
    if fmt not in _FORMATS:
        fmt = next((kind for pattern, kind in _NAMED if pattern.search(lowered)), fmt)
    if fmt == "phone":
        text = f"+1555555{n:04d}"
    elif fmt in _FORMATS:
        text = _FORMATS[fmt].format(n=n, d=1 + n % 9)
    elif lowered in ("username", "login", "user", "handle", "nickname"):
        text = f"probe_user_{n}"
    else:
        text = f"{lowered or 'probe'}_{n}" if lowered else f"probe{n}"
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    if len(text) < low:
        text += "x" * (low - len(text))
    if isinstance(high, int) and len(text) > high:
        text = text[: max(high, low)]
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not _matches(pattern, text):
        text = _from_pattern(pattern, text)
    return text


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True


def _from_pattern(pattern: str, fallback: str) -> str:
    """A deterministic string matching ``pattern``, or ``fallback`` when none is found."""
    from hypothesis import strategies as st

    from apismith.probe.strategies import first_value

    try:
        value = first_value(st.from_regex(pattern, fullmatch=True))
    except Exception:  # an unsupported regex: keep the plain value
        return fallback
    return value if isinstance(value, str) else fallback
