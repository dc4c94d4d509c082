"""``apismith new resource`` and ``apismith new update`` on real generated projects."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from typer.testing import CliRunner

from apismith import __version__
from apismith.cli import app
from apismith.errors import UsageError
from apismith.scaffold.project import new_project
from apismith.scaffold.render import Answers, render_project
from apismith.scaffold.resource import add_resource, find_project, load_project, update_project
from apismith.scaffold.spec import RESERVED_RESOURCES
from apismith.scaffold.update import ANSWERS_FILE, BASE_FILE

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A freshly generated project."""
    return new_project("shop", tmp_path).root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its content."""
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def test_adding_a_resource_writes_its_files_and_wires_it_in(project: Path) -> None:
    result = runner.invoke(
        app,
        [
            "new",
            "resource",
            "invoice",
            "total:decimal",
            "paid:bool?",
            "-p",
            str(project),
            "--idempotent",
        ],
    )
    assert result.exit_code == 0, result.output
    for path in (
        "src/shop/models/invoice.py",
        "src/shop/schemas/invoice.py",
        "src/shop/repositories/invoice.py",
        "src/shop/services/invoice.py",
        "src/shop/api/v1/routes/invoice.py",
        "tests/test_invoice_api.py",
        "tests/test_invoice_service.py",
    ):
        assert (project / path).is_file()
        assert f"created  {path}" in result.stdout
    assert "updated  src/shop/api/v1/router.py" in result.stdout
    assert "invoice.router" in (project / "src/shop/api/v1/router.py").read_text()
    (migration,) = (project / "migrations/versions").glob("0002_*_create_invoices.py")
    assert 'down_revision: str | None = "0001"' in migration.read_text()
    answers = json.loads((project / ANSWERS_FILE).read_text())
    assert answers["resources"] == [
        {"name": "invoice", "fields": ["total:decimal", "paid:bool?"], "idempotent": True}
    ]
    base = json.loads((project / BASE_FILE).read_text())
    assert (
        base["src/shop/models/invoice.py"] == (project / "src/shop/models/invoice.py").read_text()
    )
    assert "added resource 'invoice'" in result.stderr


def test_a_second_resource_refers_to_the_first_and_chains_its_migration(project: Path) -> None:
    add_resource(project, "customer", ["name:str"])
    spec, report = add_resource(project, "order", ["customer:ref=Customer", "owner:ref=User"])
    assert spec.name == "order"
    assert "src/shop/models/order.py" in report.created
    model = (project / "src/shop/models/order.py").read_text()
    assert 'ForeignKey("customers.id", ondelete="CASCADE")' in model
    (first,) = (project / "migrations/versions").glob("0002_*")
    (second,) = (project / "migrations/versions").glob("0003_*")
    assert f'down_revision: str | None = "{first.name.split("_create")[0]}"' in second.read_text()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["invoice", "total:money"], "unknown type 'money'"),
        (["invoice", "id:uuid"], "field name 'id' is reserved"),
        (["invoice", "a:int", "a:str"], "duplicate field 'a'"),
        (["Invoice", "a:int"], "invalid resource name 'Invoice'"),
        (["invoice", "class:str"], "Python keyword"),
        (["invoice", "2x:int"], "invalid field name '2x'"),
        (["invoice", "c:ref=Order"], "unknown class 'Order'"),
        (["customer", "a:int"], "resource 'customer' already exists"),
        (["user", "a:int"], "the project already uses it"),
    ],
)
def test_bad_specs_are_refused_and_nothing_is_written(
    project: Path, arguments: list[str], message: str
) -> None:
    add_resource(project, "customer", ["name:str"])
    before = snapshot(project)
    result = runner.invoke(app, ["new", "resource", *arguments, "--project", str(project)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(project) == before


def test_a_hand_written_module_of_that_name_is_not_overwritten(project: Path) -> None:
    (project / "src/shop/models/invoice.py").write_text("mine\n")
    before = snapshot(project)
    with pytest.raises(
        UsageError, match=r"already exists in this project: src/shop/models/invoice"
    ):
        add_resource(project, "invoice", ["total:int"])
    assert snapshot(project) == before


def test_outside_a_generated_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "resource", "invoice", "a:int", "-p", str(tmp_path)])
    assert result.exit_code == 2
    assert "not inside a project generated by apismith" in result.stderr
    assert list(tmp_path.iterdir()) == []
    update = runner.invoke(app, ["new", "update", "-p", str(tmp_path)])
    assert update.exit_code == 2


def test_the_project_is_found_from_a_subdirectory(project: Path) -> None:
    assert find_project(project / "src" / "shop") == project.resolve()


def test_update_keeps_hand_edits_and_records_the_version(project: Path) -> None:
    add_resource(project, "invoice", ["total:decimal"])
    service = project / "src/shop/services/invoice.py"
    edited = service.read_text().replace(
        '    """Create, read', '    # Invoices are audited by finance.\n    """Create, read'
    )
    service.write_text(edited)
    answers = json.loads((project / ANSWERS_FILE).read_text())
    answers["apismith_version"] = "0.0.1"
    (project / ANSWERS_FILE).write_text(json.dumps(answers))
    # As if the previous apismith had rendered the router differently: the new one replaces it.
    base = json.loads((project / BASE_FILE).read_text())
    router = "src/shop/api/v1/router.py"
    base[router] = base[router].replace("Every version 1 router", "All the routers")
    (project / router).write_text(base[router])
    (project / BASE_FILE).write_text(json.dumps(base))

    result = runner.invoke(app, ["new", "update", "-p", str(project)])
    assert result.exit_code == 0, result.output
    assert service.read_text() == edited
    assert "Every version 1 router" in (project / router).read_text()
    assert f"updated  {router}" in result.stdout
    assert f"from apismith 0.0.1 to {__version__}" in result.stderr
    assert json.loads((project / ANSWERS_FILE).read_text())["apismith_version"] == __version__

    again = runner.invoke(app, ["new", "update", "-p", str(project)])
    assert again.exit_code == 0
    assert "is up to date" in again.stderr
    assert service.read_text() == edited


def test_conflicts_are_marked_and_exit_1(project: Path) -> None:
    router = "src/shop/api/v1/router.py"
    base = json.loads((project / BASE_FILE).read_text())
    base[router] = base[router].replace("Every version 1 router", "Old heading")
    (project / BASE_FILE).write_text(json.dumps(base))
    text = (project / router).read_text().replace("Every version 1 router", "My heading")
    (project / router).write_text(text)

    result = runner.invoke(app, ["new", "update", "-p", str(project)])
    assert result.exit_code == 1
    assert f"conflict  {router}" in result.stdout
    merged = (project / router).read_text()
    assert "<<<<<<< yours\n" in merged and "My heading" in merged
    assert "Every version 1 router" in merged and ">>>>>>> apismith\n" in merged
    assert "1 file(s) with conflicts" in result.stderr


def test_a_merged_edit_is_reported(project: Path) -> None:
    router = project / "src/shop/api/v1/router.py"
    router.write_text("# mine\n" + router.read_text())
    _, report = add_resource(project, "invoice", ["total:int"])
    assert report.merged == ["src/shop/api/v1/router.py"]
    assert router.read_text().startswith("# mine\n")
    assert "invoice.router" in router.read_text()
    version, report = update_project(project)
    assert (version, report.changed) == (__version__, False)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project": "shop"}, "lacks the project name or apismith version"),
        ({"project": "shop", "apismith_version": "1", "resources": {}}, "is not a list"),
        ({"project": "Shop!", "apismith_version": "1"}, "invalid project name"),
        (
            {
                "project": "shop",
                "apismith_version": "1",
                "resources": [{"name": "x", "fields": []}],
            },
            "needs at least one field",
        ),
    ],
)
def test_broken_answers_are_reported(tmp_path: Path, answers: object, message: str) -> None:
    (tmp_path / ".apismith").mkdir()
    (tmp_path / ANSWERS_FILE).write_text(json.dumps(answers))
    with pytest.raises(UsageError, match=message):
        load_project(tmp_path)


def test_generated_resources_are_ruff_clean_even_with_the_longest_names(project: Path) -> None:
    _, first = add_resource(project, "abcdefghijabcdefghiy", ["label:str?"])
    _, second = add_resource(
        project,
        "line_item",
        [
            "note:text?",
            "when:datetime?",
            "abcdefghijabcdefghijabcdefgh:ref=Abcdefghijabcdefghiy?",
            "abcdefghijabcdefghijabcdefgz:enum(abcdefghijabcdefghijabcdefgh|b)?",
            "abcdefghijabcdefghijabcdefgy:enum(b|c)",
        ],
        plural="abcdefghijabcdefghijac",
    )
    _, third = add_resource(
        project,
        "box",
        [
            "line_item:ref=LineItem",
            "abcdefghijabcdefghijabcdefgh:decimal",
            "flag:bool",
            "owner:ref=User",
        ],
        idempotent=True,
    )
    paths = [str(project / path) for path in first.created + second.created + third.created]
    assert len(paths) == 3 * 8
    for command in (["format", "--check"], ["check"]):
        checked = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                *command,
                "--config",
                str(project / "pyproject.toml"),
                *paths,
            ],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_no_resource_name_can_replace_a_module_or_table_of_the_project() -> None:
    files = render_project(Answers("shop", "0"))
    layer = re.compile(r"src/shop/(models|repositories|services|schemas|api/v1/routes)/\w+\.py")
    modules = {PurePosixPath(path).stem for path in files if layer.fullmatch(path)} - {"__init__"}
    tables = {
        match.group(1).removesuffix("s")
        for text in files.values()
        for match in re.finditer(r'__tablename__ = "(\w+)"', text)
    }
    assert modules and tables
    assert modules | tables <= RESERVED_RESOURCES


def test_the_readme_examples_run(project: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    commands = re.findall(r"^apismith (new (?:resource|update).*)$", readme, re.MULTILINE)
    assert len(commands) >= 3
    for command in commands:
        result = runner.invoke(app, [*shlex.split(command), "--project", str(project)])
        assert result.exit_code == 0, result.output
    assert (project / "src/shop/models/invoice.py").is_file()


def test_a_file_the_user_removed_stays_removed(project: Path) -> None:
    add_resource(project, "invoice", ["total:int"])
    removed = "tests/test_invoice_service.py"
    (project / removed).unlink()
    base = json.loads((project / BASE_FILE).read_text())
    base[removed] = "# what an older apismith wrote\n"
    (project / BASE_FILE).write_text(json.dumps(base))

    result = runner.invoke(app, ["new", "update", "-p", str(project)])
    assert result.exit_code == 0, result.output
    assert f"kept  {removed} (you changed or removed it" in result.stdout
    assert not (project / removed).exists()
