"""The field spec parser: what it accepts, what it refuses and why, and the views it derives."""

from __future__ import annotations

import keyword
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apismith.scaffold.spec import (
    SIMPLE_TYPES,
    FieldSpec,
    ResourceSpec,
    SpecError,
    parse_field,
    parse_resource,
    plural,
    resources_from_json,
)
from apismith.scaffold.views import ResourceView, resource_views

identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,12}[a-z0-9]", fullmatch=True).filter(
    lambda name: not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
)
kinds = st.one_of(
    st.sampled_from(SIMPLE_TYPES).map(lambda kind: (kind, (), "")),
    st.lists(identifiers, min_size=1, max_size=4, unique=True).map(
        lambda choices: ("enum", tuple(choices), "")
    ),
    st.from_regex(r"[A-Z][A-Za-z0-9]{0,10}", fullmatch=True).map(lambda ref: ("ref", (), ref)),
)
field_specs = st.builds(
    lambda name, kind, optional: FieldSpec(name, kind[0], optional, kind[1], kind[2]),
    identifiers,
    kinds,
    st.booleans(),
)


@given(field_specs)
def test_a_field_spec_survives_its_text_form(field: FieldSpec) -> None:
    assert parse_field(str(field)) == field
    assert str(parse_field(str(field))) == str(field)


@given(st.text())
def test_arbitrary_text_is_a_field_or_a_spec_error(text: str) -> None:
    try:
        field = parse_field(text)
    except SpecError as error:
        assert str(error)
    else:
        assert str(field) == text


@given(st.lists(st.text(max_size=20), max_size=4), st.text(max_size=12))
def test_arbitrary_resources_are_specs_or_spec_errors(fields: list[str], name: str) -> None:
    try:
        spec = parse_resource(name, fields)
    except SpecError as error:
        assert str(error)
    else:
        assert [str(field) for field in spec.fields] == fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title:str", FieldSpec("title", "str")),
        ("note:text?", FieldSpec("note", "text", optional=True)),
        (
            "status:enum(draft|sent|paid)",
            FieldSpec("status", "enum", choices=("draft", "sent", "paid")),
        ),
        ("customer:ref=Customer?", FieldSpec("customer", "ref", optional=True, ref="Customer")),
    ],
)
def test_parses_each_form(text: str, expected: FieldSpec) -> None:
    assert parse_field(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title", "expected name:type"),
        ("title:string", "unknown type 'string'"),
        ("Title:str", "invalid field name 'Title'"),
        ("2fa:str", "invalid field name '2fa'"),
        ("class:str", "Python keyword"),
        ("match:str", "Python keyword"),
        ("title_:str", "must not end with an underscore"),
        ("status:enum()", "invalid enum value of 'status' ''"),
        ("status:enum(a|a)", "enum values must be distinct"),
        ("status:enum(In-Progress)", "invalid enum value"),
        ("owner:ref=user", "a reference names a class"),
        ("title:str??", "unknown type 'str?'"),
    ],
)
def test_refuses_bad_fields_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_field(text)


def test_resource_checks() -> None:
    customer = parse_resource("customer", ["name:str"])
    with pytest.raises(SpecError, match="already exists"):
        parse_resource("customer", ["name:str"], existing=[customer])
    with pytest.raises(SpecError, match="already uses it"):
        parse_resource("user", ["name:str"])
    with pytest.raises(SpecError, match="invalid resource name"):
        parse_resource("Invoice", ["name:str"])
    with pytest.raises(SpecError, match="at least one field"):
        parse_resource("invoice", [])
    with pytest.raises(SpecError, match="at least one field"):
        parse_resource("invoice", ["owner:ref=User"])
    with pytest.raises(SpecError, match="'id' is reserved"):
        parse_resource("invoice", ["id:uuid"])
    with pytest.raises(SpecError, match="'owner' is reserved"):
        parse_resource("invoice", ["owner:str"])
    with pytest.raises(SpecError, match="'model_name' is reserved"):
        parse_resource("invoice", ["model_name:str"])
    with pytest.raises(SpecError, match="duplicate field 'total'"):
        parse_resource("invoice", ["total:int", "total:decimal"])
    with pytest.raises(SpecError, match="duplicate field 'customer'"):
        parse_resource("invoice", ["customer_id:uuid", "customer:ref=User"])
    with pytest.raises(SpecError, match="duplicate field 'owner'"):
        parse_resource("invoice", ["a:int", "owner:ref=User", "owner:ref=User"])
    with pytest.raises(SpecError, match=r"unknown class 'Order'.*Customer, User"):
        parse_resource("invoice", ["order:ref=Order"], existing=[customer])


def test_clash_between_plural_and_singular_names() -> None:
    box = parse_resource("box", ["size:int"])
    with pytest.raises(SpecError, match="clash"):
        parse_resource("boxe", ["size:int"], existing=[box])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("invoice", "invoices"),
        ("category", "categories"),
        ("day", "days"),
        ("box", "boxes"),
        ("batch", "batches"),
        ("status", "statuses"),
    ],
)
def test_plural(name: str, expected: str) -> None:
    assert plural(name) == expected


def test_views_chain_revisions_and_resolve_references() -> None:
    resources = resources_from_json(
        [
            {"name": "customer", "fields": ["name:str", "owner:ref=User"]},
            {
                "name": "line_item",
                "fields": ["customer:ref=Customer?", "state:enum(open|done)", "price:decimal"],
                "idempotent": True,
            },
        ]
    )
    customer, item = resource_views(resources)
    assert (customer.down_revision, item.down_revision) == ("0001", customer.revision)
    assert customer.revision != item.revision
    assert [field.name for field in customer.fields] == ["name"]
    assert (item.class_name, item.plural, item.table, item.idempotent) == (
        "LineItem",
        "line_items",
        "line_items",
        True,
    )
    ref, state, price = item.fields
    assert (ref.column, ref.ref_table, ref.ref_module, ref.optional) == (
        "customer_id",
        "customers",
        "customer",
        True,
    )
    assert state.enum_class == "LineItemState"
    assert (state.sample, state.other_sample) == ('"open"', '"done"')
    assert price.python_type == "Decimal"
    assert item.enums == (state,)
    assert item.refs == (ref,)
    assert item.python_types == {"ref", "enum", "decimal"}
    assert resource_views(resources) == (customer, item)


def test_user_references_point_at_the_users_table() -> None:
    (view,) = resource_views([parse_resource("task", ["assignee:ref=User"])])
    assert (view.fields[0].ref_table, view.fields[0].column) == ("users", "assignee_id")


def test_answers_round_trip() -> None:
    spec = parse_resource("invoice", ["total:decimal", "paid:bool?"], idempotent=True)
    assert spec.to_json() == {
        "name": "invoice",
        "fields": ["total:decimal", "paid:bool?"],
        "idempotent": True,
    }
    assert resources_from_json([spec.to_json()]) == (spec,)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ([], "not an object"),
        ({"fields": []}, "lacks a name"),
        ({"name": "a", "idempotent": "yes"}, "lacks a name"),
        ({"name": "a", "fields": "x:int"}, "no list of field specs"),
        ({"name": "a", "fields": [1]}, "no list of field specs"),
    ],
)
def test_bad_answers_are_spec_errors(item: object, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        resources_from_json([item])


def test_resource_spec_is_a_value() -> None:
    assert ResourceSpec("a", (FieldSpec("b", "int"),)) == parse_resource("a", ["b:int"])


def test_names_have_a_length_limit() -> None:
    with pytest.raises(SpecError, match="at most 20 characters"):
        parse_resource("a" * 21, ["title:str"])
    with pytest.raises(SpecError, match="at most 28 characters"):
        parse_field("a" * 29 + ":str")


def test_titles_take_the_right_article() -> None:
    invoice, line_item = resource_views(
        [parse_resource("invoice", ["a:int"]), parse_resource("line_item", ["a:int"])]
    )
    assert (invoice.title, line_item.title) == ("an invoice", "a line item")


def test_imports_are_split_only_when_too_long() -> None:
    assert ResourceView.import_from("demo.models", "A", "B") == "from demo.models import A, B"
    module = "demo." + "x" * 90
    assert (
        ResourceView.import_from(module, "A", "B") == f"from {module} import (\n    A,\n    B,\n)"
    )


@pytest.mark.parametrize(
    ("resource", "field", "layout"),
    [
        ("invoice", "status:enum(a|b)", "flat"),
        ("abcdefghijabcdefghij", "abcdefghijabcdefghijabcdefgh:enum(a|b)", "wrapped"),
        ("abcdefghijabcdefghij", "abcdefghijabcdefghijabcdefgh:enum(a|b)?", "split"),
    ],
)
def test_column_layout_follows_the_line_length(resource: str, field: str, layout: str) -> None:
    (view,) = resource_views([parse_resource(resource, [field])])
    assert ResourceView.column_layout(view.fields[0]) == layout


def test_what_the_templates_import() -> None:
    customer = parse_resource("customer", ["name:str", "tier:enum(a|b)"])
    order = parse_resource(
        "order",
        ["customer:ref=Customer?", "total:decimal", "note:text", "by:ref=User"],
        idempotent=True,
        existing=[customer],
    )
    first, second = resource_views([customer, order])
    assert first.aliases == (("ShortText", "Annotated[str, Field(max_length=200)]"),)
    assert [name for name, _ in second.aliases] == ["LongText", "Money"]
    assert first.service_models == (("customer", ("Customer",)), ("user", ("User",)))
    assert second.service_models == (
        ("base", ("utcnow",)),
        ("customer", ("Customer",)),
        ("order", ("Order", "OrderIdempotencyKey")),
        ("user", ("User",)),
    )
    assert first.sa_names == ("Enum", "ForeignKey", "String", "Uuid")
    assert second.sa_names == (
        "ForeignKey",
        "Index",
        "Integer",
        "Numeric",
        "String",
        "Text",
        "UniqueConstraint",
        "Uuid",
    )
    assert [field.name for field in second.required] == ["total", "note", "by"]
    reference = second.fields[0]
    assert 'ondelete="SET NULL"' in reference.sa_column
    assert 'ondelete="CASCADE"' in second.fields[3].migration_type
    assert first.fields[1].migration_type == (
        'sa.Enum("a", "b", name="customertier", native_enum=False, length=50)'
    )
    assert (first.requires, second.requires) == ((), ("customer",))
