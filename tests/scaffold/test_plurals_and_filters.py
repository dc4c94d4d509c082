"""Resource plurals (derived or given with ``--plural``) and the list endpoint's filters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apismith.cli import app
from apismith.scaffold.project import new_project
from apismith.scaffold.render import Answers, render_project
from apismith.scaffold.spec import (
    FILTERS_BY_KIND,
    SIMPLE_TYPES,
    SpecError,
    filters,
    parse_field,
    parse_resource,
    plural,
    resources_from_json,
)
from apismith.scaffold.views import resource_views


@pytest.mark.parametrize(
    ("name", "expected"),
    [("person", "people"), ("sales_person", "sales_people"), ("child", "children")],
)
def test_irregular_plurals(name: str, expected: str) -> None:
    assert plural(name) == expected


def test_a_given_plural_names_routes_tables_and_references() -> None:
    box = parse_resource("box", ["label:str"], plural_name="boxen")
    assert box.plural_name == "boxen"
    assert box.to_json()["plural"] == "boxen"
    assert "plural" not in parse_resource("crate", ["label:str"]).to_json()
    item = parse_resource("item", ["box:ref=Box"], existing=[box])
    stored = resources_from_json([box.to_json(), item.to_json()])
    assert stored == (box, item)
    box_view, item_view = resource_views(stored)
    assert (box_view.plural, box_view.table) == ("boxen", "boxen")
    assert item_view.fields[0].ref_table == "boxen"
    files = render_project(Answers("shop", "0", resource_views(stored)))
    assert f"migrations/versions/{box_view.revision}_create_boxen.py" in files
    assert 'prefix="/boxen"' in files["src/shop/api/v1/router.py"]
    assert 'ForeignKey("boxen.id"' in files["src/shop/models/item.py"]


@pytest.mark.parametrize(
    ("name", "given", "existing", "message"),
    [
        ("account", "users", [], "plural 'users' of resource 'account' is the project's own"),
        ("probe", "health", [], "the project's own"),
        ("box", "Boxes", [], "invalid plural 'Boxes'"),
        ("box", "b" * 23, [], "at most 22 characters"),
        ("carton", "boxes", ["box"], "clashes with resource 'box' \\(plural 'boxes'\\)"),
        ("carton", "box", ["box"], "clashes with resource 'box'"),
        ("boxes", "", ["box"], "clashes with resource 'box'"),
        ("boxe", "", ["box"], "plural 'boxes' of resource 'boxe' clashes"),
    ],
)
def test_plural_clashes_are_refused(
    name: str, given: str, existing: list[str], message: str
) -> None:
    before = [parse_resource(other, ["size:int"]) for other in existing]
    with pytest.raises(SpecError, match=message):
        parse_resource(name, ["size:int"], existing=before, plural_name=given)


def test_a_resource_named_like_an_existing_plural_or_class_is_refused() -> None:
    person = parse_resource("person", ["name:str"])
    with pytest.raises(SpecError, match="clashes with resource 'person'"):
        parse_resource("people", ["name:str"], existing=[person])
    with pytest.raises(SpecError, match="existing resource's class name"):
        parse_resource(
            "line__item", ["name:str"], existing=[parse_resource("line_item", ["a:int"])]
        )


def test_a_plural_in_the_answers_file_must_be_text() -> None:
    with pytest.raises(SpecError, match="plural that is not text"):
        resources_from_json([{"name": "box", "fields": ["a:int"], "plural": 3}])


def test_every_type_has_filters_named_after_its_column() -> None:
    assert set(FILTERS_BY_KIND) == {*SIMPLE_TYPES, "enum", "ref"}
    assert filters(parse_field("title:str")) == (
        ("title", "eq"),
        ("title_contains", "contains"),
    )
    assert filters(parse_field("note:text?")) == (("note_contains", "contains"),)
    assert filters(parse_field("count:int")) == (
        ("count", "eq"),
        ("count_min", "min"),
        ("count_max", "max"),
    )
    assert filters(parse_field("due:datetime")) == (("due_min", "min"), ("due_max", "max"))
    assert filters(parse_field("customer:ref=Customer")) == (("customer_id", "eq"),)


def test_fields_whose_filters_share_a_name_are_refused() -> None:
    with pytest.raises(SpecError, match="filter 'price_min' clashes with field 'price'"):
        parse_resource("offer", ["price:int", "price_min:int"])
    with pytest.raises(SpecError, match="filter 'note_contains' clashes"):
        parse_resource("memo", ["note_contains:str", "note:text"])


def test_the_repository_lists_each_filter_and_only_the_comparisons_used() -> None:
    resources = resources_from_json(
        [
            {"name": "tag", "fields": ["code:uuid"]},
            {"name": "invoice", "fields": ["title:str", "total:decimal", "tag:ref=Tag?"]},
        ]
    )
    tag, invoice = resource_views(resources)
    assert tag.comparisons == {"eq"}
    assert invoice.comparisons == {"eq", "contains", "min", "max"}
    files = render_project(Answers("shop", "0", (tag, invoice)))
    tree = ast.parse(files["src/shop/repositories/invoice.py"])
    tables = {
        node.target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "FILTERS"
    }
    assert tables["FILTERS"] == {
        "title": ("title", "eq"),
        "title_contains": ("title", "contains"),
        "total_min": ("total", "min"),
        "total_max": ("total", "max"),
        "tag_id": ("tag_id", "eq"),
    }
    only_eq = files["src/shop/repositories/tag.py"]
    assert '"eq": operator.eq' in only_eq and "icontains" not in only_eq
    assert "operator.ge" not in only_eq
    schema = files["src/shop/schemas/invoice.py"]
    assert "    title_contains: ShortText | None = None" in schema
    assert "    total_min: Money | None = None" in schema
    test = files["tests/test_invoice_api.py"]
    assert '"title_contains": "LPH"' in test and '{"title": "beta"}' in test


def test_idempotency_keys_expire_after_a_setting(tmp_path: Path) -> None:
    plain = render_project(Answers("shop", "0"))
    assert "idempotency_key_hours" not in plain["src/shop/core/config.py"]
    assert "IDEMPOTENCY_KEY_HOURS" not in plain[".env.example"]
    resources = resource_views([parse_resource("order", ["total:decimal"], idempotent=True)])
    files = render_project(Answers("shop", "0", resources))
    assert (
        "idempotency_key_hours: int = Field(default=24, ge=1)" in files["src/shop/core/config.py"]
    )
    assert "created_at < utcnow() - lifetime" in files["src/shop/services/order.py"]
    assert "# IDEMPOTENCY_KEY_HOURS=24\n" in files[".env.example"]
    assert "test_expired_keys_create_anew_and_are_purged" in files["tests/test_order_service.py"]


def test_cli_plural_option(tmp_path: Path) -> None:
    root = new_project("shop", tmp_path).root
    added = CliRunner().invoke(
        app, ["new", "resource", "box", "label:str", "--plural", "boxen", "-p", str(root)]
    )
    assert added.exit_code == 0, added.output
    assert 'prefix="/boxen"' in (root / "src/shop/api/v1/router.py").read_text()
    clash = CliRunner().invoke(
        app, ["new", "resource", "crate", "label:str", "--plural", "boxen", "-p", str(root)]
    )
    assert clash.exit_code == 2
    assert "clashes with resource 'box'" in clash.output
    assert not (root / "src/shop/models/crate.py").exists()
