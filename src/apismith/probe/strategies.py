"""Hypothesis strategies from JSON schemas: values that conform, and values that do not."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st

from apismith.probe.values import JSONSchema, merge_all_of, schema_type

T = TypeVar("T")
MAX_DEPTH = 4
MAX_ITEMS = 4
MAX_TEXT = 40
# Integers that break careless arithmetic and storage: zero, signs, 32/64-bit limits.
EDGE_INTEGERS = (0, -1, 1, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**20)
EDGE_STRINGS = ("", " ", "0", "'", '"', "%", "\\", "\x00", "🙂", "a" * 300, "null", "-1")
SEARCH = settings(
    database=None,
    derandomize=True,
    max_examples=50,
    deadline=None,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
Text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=MAX_TEXT)
Printable = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)


def first_value(strategy: st.SearchStrategy[T]) -> T:
    """The simplest value ``strategy`` produces, the same on every run."""
    return find(strategy, lambda _: True, settings=SEARCH)


def valid(schema: JSONSchema, *, printable: bool = False, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that conform to ``schema``, with edge values drawn often."""
    if depth > MAX_DEPTH:
        return st.none()
    if "const" in schema:
        return st.just(schema["const"])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        options = [s for s in schema.get(key, []) if isinstance(s, dict)]
        if options:
            return st.one_of([valid(o, printable=printable, depth=depth + 1) for o in options])
    if isinstance(schema.get("allOf"), list):
        return valid(merge_all_of(schema), printable=printable, depth=depth + 1)
    kinds = schema.get("type")
    if isinstance(kinds, list) and len(kinds) > 1:
        return st.one_of(
            [valid({**schema, "type": k}, printable=printable, depth=depth) for k in kinds]
        )
    typed = any(key in schema for key in ("type", "properties", "items"))
    kind = schema_type(schema) if typed else "any"
    if kind == "object":
        return _object(schema, depth)
    if kind == "array":
        items = schema["items"] if isinstance(schema.get("items"), dict) else {}
        low = int(schema.get("minItems", 0))
        high = min(int(schema.get("maxItems", low + MAX_ITEMS)), low + MAX_ITEMS)
        element = valid(items, printable=printable, depth=depth + 1)
        if schema.get("uniqueItems"):
            return st.lists(element, min_size=low, max_size=high, unique_by=_canonical)
        return st.lists(element, min_size=low, max_size=high)
    if kind == "integer":
        return _integers(schema)
    if kind == "number":
        return _numbers(schema)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string":
        return _strings(schema, printable)
    return st.one_of(st.none(), st.booleans(), st.integers(), Text)


def invalid(schema: JSONSchema, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that most likely break ``schema``: wrong types, out of range, missing fields."""
    kind = schema_type(schema)
    wrong: st.SearchStrategy[Any] = {
        "object": st.sampled_from(["text", 1, [], None]),
        "array": st.sampled_from(["text", 1, {}, None]),
        "integer": st.sampled_from(["abc", 1.5, "", None, [], "9" * 40]),
        "number": st.sampled_from(["abc", "", None, [], "1e999"]),
        "boolean": st.sampled_from(["maybe", 2, None, []]),
        "string": st.sampled_from([123, None, [], {}, True]),
    }.get(kind, st.nothing())
    options = [wrong]
    if kind in ("integer", "number"):
        for bound, delta in (("minimum", -1), ("maximum", 1)):
            if isinstance(schema.get(bound), int | float):
                options.append(st.just(schema[bound] + delta))
    if kind == "string" and isinstance(schema.get("maxLength"), int):
        options.append(st.just("x" * (schema["maxLength"] + 1)))
    if kind == "string" and int(schema.get("minLength", 0)) > 0:
        options.append(st.just(""))
    if kind == "object" and depth < MAX_DEPTH:
        options.append(_broken_object(schema, depth))
    return st.one_of(options)


def _object(schema: JSONSchema, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return st.dictionaries(Printable, st.one_of(st.integers(), Text), max_size=2)
    required = set(schema.get("required", []))
    parts = {
        str(k): valid(v if isinstance(v, dict) else {}, depth=depth + 1)
        for k, v in properties.items()
    }
    return st.fixed_dictionaries(
        {k: s for k, s in parts.items() if k in required},
        optional={k: s for k, s in parts.items() if k not in required},
    )


def _broken_object(schema: JSONSchema, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """A valid object with one property replaced by an invalid value, or a required one gone."""
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return st.nothing()
    base = _object(schema, depth)
    names = sorted(properties)
    required = sorted(set(schema.get("required", [])) & set(names))

    def spoil(obj: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
        return {**obj, name: value}

    spoiled = st.sampled_from(names).flatmap(
        lambda name: st.builds(
            spoil,
            base,
            st.just(name),
            invalid(properties[name] if isinstance(properties[name], dict) else {}, depth + 1),
        )
    )
    if not required:
        return spoiled
    dropped = st.tuples(base, st.sampled_from(required)).map(
        lambda pair: {k: v for k, v in pair[0].items() if k != pair[1]}
    )
    return st.one_of(spoiled, dropped)


def _integers(schema: JSONSchema) -> st.SearchStrategy[int]:
    low, high = _bounds(schema)
    lo = None if low is None else int(low) + (1 if "exclusiveMinimum" in schema else 0)
    hi = None if high is None else int(high) - (1 if "exclusiveMaximum" in schema else 0)
    edges = [e for e in EDGE_INTEGERS if (lo is None or e >= lo) and (hi is None or e <= hi)]
    values = st.integers(lo, hi)
    step = schema.get("multipleOf")
    if isinstance(step, int) and step > 1:
        return values.map(lambda v: v - v % step).filter(
            lambda v: (lo is None or v >= lo) and (hi is None or v <= hi)
        )
    return st.one_of(st.sampled_from(edges), values) if edges else values


def _numbers(schema: JSONSchema) -> st.SearchStrategy[float]:
    low, high = _bounds(schema)
    return st.floats(
        low,
        high,
        allow_nan=False,
        allow_infinity=False,
        exclude_min="exclusiveMinimum" in schema and low is not None,
        exclude_max="exclusiveMaximum" in schema and high is not None,
    )


def _bounds(schema: JSONSchema) -> tuple[float | None, float | None]:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    return (
        low if isinstance(low, int | float) and not isinstance(low, bool) else None,
        high if isinstance(high, int | float) and not isinstance(high, bool) else None,
    )


def _strings(schema: JSONSchema, printable: bool) -> st.SearchStrategy[str]:
    fmt = schema.get("format")
    if fmt == "uuid":
        return st.uuids().map(str)
    if fmt == "date":
        return st.dates().map(lambda d: d.isoformat())
    if fmt == "date-time":
        return st.datetimes().map(lambda d: d.isoformat() + "Z")
    if fmt in ("email", "idn-email"):
        return st.from_regex(r"[a-z][a-z0-9]{0,10}@example\.com", fullmatch=True)
    if fmt in ("uri", "url"):
        return st.from_regex(r"https://example\.com/[a-z0-9]{0,10}", fullmatch=True)
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    top = int(high) if isinstance(high, int) else max(low, MAX_TEXT)
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            return st.from_regex(pattern, fullmatch=True).filter(lambda s: low <= len(s) <= top)
        except Exception:  # a regex Python cannot compile: fall back to plain text
            pass
    alphabet = (
        st.characters(min_codepoint=0x20, max_codepoint=0x7E)
        if printable
        else st.characters(codec="utf-8", exclude_categories=["Cs"])
    )
    text = st.text(alphabet, min_size=low, max_size=min(top, low + MAX_TEXT))
    edges = [e for e in EDGE_STRINGS if low <= len(e) <= top and (not printable or e.isprintable())]
    return st.one_of(st.sampled_from(edges), text) if edges else text


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
