"""Examples and hypothesis strategies built from JSON schemas conform (or not) as promised."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apismith.probe.strategies import first_value, invalid, valid
from apismith.probe.values import PASSWORD, example, merge_all_of, schema_type

SCHEMAS: list[dict[str, Any]] = [
    {"type": "integer", "minimum": 3, "maximum": 9},
    {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 5},
    {"type": "integer", "minimum": 0, "multipleOf": 5},
    {"type": "integer", "minimum": 1000, "maximum": 1010},
    {"type": "number", "minimum": 0.5, "maximum": 2.5},
    {"type": "number", "exclusiveMinimum": 0},
    {"type": "boolean"},
    {"type": "null"},
    {"type": ["string", "null"]},
    {"type": "string", "minLength": 3, "maxLength": 5},
    {"type": "string", "pattern": "^[a-z]{2}[0-9]$"},
    {"type": "string", "format": "uuid"},
    {"type": "string", "format": "date"},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "email"},
    {"type": "string", "format": "uri"},
    {"enum": ["a", "b"]},
    {"const": 7},
    {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    {"oneOf": [{"type": "string", "maxLength": 2}]},
    {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}]},
    {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3},
    {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "nested": {"type": "object", "properties": {"x": {"type": "number"}}},
        },
        "required": ["name"],
    },
    {"type": "object"},
    {},
    {"title": "Anything"},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(i) for i in range(len(SCHEMAS))])
def test_examples_conform(schema: dict[str, Any]) -> None:
    jsonschema.validate(example(schema, "", 1), schema)


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(i) for i in range(len(SCHEMAS))])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_values_conform(schema: dict[str, Any], data: st.DataObject) -> None:
    jsonschema.validate(data.draw(valid(schema)), schema)


BREAKABLE = [
    s
    for s in SCHEMAS
    if (
        s.get("type") in ("integer", "number", "boolean", "string", "object", "array")
        and "properties" in s
    )
    or s.get("type") in ("integer", "number", "boolean", "array")
    or (s.get("type") == "string" and "format" not in s and "pattern" not in s)
]


@pytest.mark.parametrize("schema", BREAKABLE, ids=[str(i) for i in range(len(BREAKABLE))])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_invalid_values_break_the_schema(schema: dict[str, Any], data: st.DataObject) -> None:
    value = data.draw(invalid(schema))
    assert not jsonschema.Draft202012Validator(schema).is_valid(value), value


def test_invalid_of_untyped_object_and_unknown_type() -> None:
    assert first_value(invalid({"type": "object"})) in ("text", 1, [], None)
    with pytest.raises(Exception, match="empty strategy"):
        first_value(invalid({"type": "whatever"}))


def test_deep_nesting_stops_at_null() -> None:
    schema: dict[str, Any] = {"type": "integer"}
    for _ in range(8):
        schema = {"type": "array", "items": schema, "minItems": 1}
    value = first_value(valid(schema))
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    assert value is None and depth <= 6


def test_examples_follow_field_names_and_formats() -> None:
    assert example({"type": "string"}, "email", 3) == "probe3@example.com"
    assert example({"type": "string"}, "password") == PASSWORD
    assert example({"type": "string"}, "username", 2) == "probe_user_2"
    assert example({"type": "string"}, "website") == "https://example.com/1"
    assert example({"type": "string"}, "phone_number", 4) == "+15555550004"
    assert example({"type": "string"}, "birthday") == "2024-01-02"
    assert example({"type": "string"}, "title", 5) == "title_5"
    assert example({"type": "string"}) == "probe1"
    assert example({"type": "string", "maxLength": 3}, "title") == "tit"
    assert example({"type": "string", "minLength": 10}) == "probe1xxxx"
    assert example({"type": "string", "pattern": "^[A-Z]{3}$"}) == "AAA"
    assert example({"type": "string", "pattern": "("}) == "probe1"
    assert example({"type": "string", "pattern": "^x"}, "xray") == "xray_1"
    assert example({"examples": ["given"]}) == "given"
    assert example({"example": "shown"}) == "shown"
    assert example({"default": 4, "type": "integer"}) == 4
    assert example({"type": "object", "properties": {"id": {"readOnly": True}, "n": {}}}) == {
        "n": "n_1"
    }
    assert example({"type": "object", "properties": "broken"}) == {}
    assert example({"type": "integer", "multipleOf": 4}) == 4
    assert re.fullmatch(r"00000000-0000-4000-8000-0+7", example({"format": "uuid"}, "", 7))


def test_schema_types_and_all_of() -> None:
    assert schema_type({"type": ["null", "integer"]}) == "integer"
    assert schema_type({"type": ["null"]}) == "null"
    assert schema_type({"items": {}}) == "array"
    assert schema_type({"properties": {}}) == "object"
    merged = merge_all_of(
        {
            "allOf": [
                {"properties": {"a": {}}, "required": ["a"]},
                {"allOf": [{"properties": {"b": {}}, "required": ["b"], "title": "B"}]},
                "not a schema",
            ]
        }
    )
    assert merged == {"properties": {"a": {}, "b": {}}, "required": ["a", "b"], "title": "B"}
