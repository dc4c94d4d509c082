"""``[tool.apismith]`` loading on real pyproject files: keys, validation, discovery, overrides."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from apismith.config import KEYS, Config, find_pyproject, load_config, parse_severity
from apismith.errors import ConfigError
from apismith.findings import Severity

Tree = Callable[[dict[str, str]], Path]

EVERY_KEY = """
[project]
name = "demo"

[tool.apismith]
select = ["SEC", "PERF001"]
ignore = ["SEC017"]
extend-select = ["MNT004"]
fail-on = "HIGH"
min-severity = "medium"
exclude = ["migrations/", "*_pb2.py"]

[tool.apismith.per-file-ignores]
"tests/*" = ["SEC", "MNT002"]
"scripts/*.py" = []
"""


def test_no_pyproject_anywhere_gives_the_defaults(tmp_path: Path) -> None:
    if any((parent / "pyproject.toml").is_file() for parent in tmp_path.parents):
        pytest.skip("a pyproject.toml above the temporary directory would be found")
    assert find_pyproject(tmp_path) is None
    config = load_config(tmp_path)
    assert config == Config()
    assert config.source is None
    assert config.select == ("ALL",) and config.fail_on is Severity.LOW


@pytest.mark.parametrize(
    "text",
    [
        '[project]\nname = "demo"\n',
        "[tool.ruff]\nline-length = 100\n",
        "",
    ],
    ids=["no-tool-table", "other-tool-only", "empty-file"],
)
def test_pyproject_without_our_table_gives_defaults_and_records_the_source(
    tree: Tree, text: str
) -> None:
    root = tree({"pyproject.toml": text})
    config = load_config(root)
    assert config.source == root / "pyproject.toml"
    assert config == Config(source=root / "pyproject.toml")


def test_every_key_is_read(tree: Tree) -> None:
    root = tree({"pyproject.toml": EVERY_KEY})
    config = load_config(root)
    assert config.select == ("SEC", "PERF001")
    assert config.ignore == ("SEC017",)
    assert config.extend_select == ("MNT004",)
    assert config.fail_on is Severity.HIGH
    assert config.min_severity is Severity.MEDIUM
    assert config.exclude == ("migrations/", "*_pb2.py")
    assert config.per_file_ignores == {"tests/*": ("SEC", "MNT002"), "scripts/*.py": ()}
    assert config.source == root / "pyproject.toml"


def test_every_key_sample_really_uses_every_key() -> None:
    assert set(tomllib.loads(EVERY_KEY)["tool"]["apismith"]) == KEYS


def test_unknown_keys_are_all_named_with_the_known_ones(tree: Tree) -> None:
    root = tree({"pyproject.toml": '[tool.apismith]\nselect = ["SEC"]\nzeta = 1\nalpha = 2\n'})
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    message = str(caught.value)
    assert str(root / "pyproject.toml") in message
    assert "unknown key(s) in [tool.apismith]: alpha, zeta" in message
    assert "(known: exclude, extend-select, fail-on, ignore, min-severity" in message
    assert "select" not in message.split("(known:")[0]


def test_a_misspelt_key_is_not_silently_ignored(tree: Tree) -> None:
    root = tree({"pyproject.toml": '[tool.apismith]\nfail_on = "high"\n'})
    with pytest.raises(ConfigError, match=r"unknown key.*fail_on"):
        load_config(root)


def test_invalid_toml_is_a_config_error(tree: Tree) -> None:
    root = tree({"pyproject.toml": "[tool.apismith\nselect = [\n"})
    with pytest.raises(ConfigError, match="invalid TOML") as caught:
        load_config(root)
    assert str(root / "pyproject.toml") in str(caught.value)
    assert isinstance(caught.value.__cause__, ValueError)


def test_undecodable_pyproject_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b'[tool.apismith]\nselect = ["caf\xe9"]\n')
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)


def test_explicit_path_that_is_a_directory_cannot_be_read(tmp_path: Path) -> None:
    folder = tmp_path / "pyproject.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match=r"cannot read: .*Is a directory"):
        load_config(tmp_path, folder)


def test_missing_explicit_path_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: cannot read: .*No such file"):
        load_config(tmp_path, tmp_path / "nope.toml")


def test_our_table_must_be_a_table(tree: Tree) -> None:
    root = tree({"pyproject.toml": "[tool]\napismith = [1, 2]\n"})
    with pytest.raises(ConfigError, match=r"\[tool.apismith\] must be a table"):
        load_config(root)


def test_tool_key_that_is_not_a_table_is_a_config_error(tree: Tree) -> None:
    root = tree({"pyproject.toml": 'tool = "apismith"\n'})
    with pytest.raises(ConfigError):
        load_config(root)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('select = "SEC001"', r"select: expected a list of strings, got 'SEC001'"),
        ("ignore = [1, 2]", r"ignore: expected a list of strings, got \[1, 2\]"),
        ('extend-select = ["SEC", 3]', r"extend-select: expected a list of strings"),
        ("exclude = true", r"exclude: expected a list of strings, got True"),
        ("select = { a = 1 }", r"select: expected a list of strings, got \{'a': 1\}"),
        ("fail-on = 3", r"fail-on: expected one of info, low, medium, high, critical, got 3"),
        ('fail-on = "severe"', r"fail-on: expected one of .*, got 'severe'"),
        ('min-severity = ["high"]', r"min-severity: expected one of .*, got \['high'\]"),
        ('min-severity = ""', r"min-severity: expected one of .*, got ''"),
        ('per-file-ignores = ["tests/*"]', r"per-file-ignores: expected a table of glob"),
        ('per-file-ignores = "tests/*"', r"per-file-ignores: expected a table of glob"),
        (
            'per-file-ignores = { "tests/*" = "SEC001" }',
            r"per-file-ignores\.tests/\*: expected a list of strings, got 'SEC001'",
        ),
        (
            'per-file-ignores = { "a.py" = ["SEC"], "b.py" = [true] }',
            r"per-file-ignores\.b\.py: expected a list of strings, got \[True\]",
        ),
    ],
)
def test_wrong_value_types_are_config_errors(tree: Tree, line: str, message: str) -> None:
    root = tree({"pyproject.toml": f"[tool.apismith]\n{line}\n"})
    with pytest.raises(ConfigError, match=message):
        load_config(root)


def test_empty_lists_are_accepted(tree: Tree) -> None:
    root = tree({"pyproject.toml": "[tool.apismith]\nselect = []\nper-file-ignores = {}\n"})
    config = load_config(root)
    assert config.select == () and config.per_file_ignores == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("info", Severity.INFO),
        ("Low", Severity.LOW),
        ("MEDIUM", Severity.MEDIUM),
        ("high", Severity.HIGH),
        ("cRiTiCaL", Severity.CRITICAL),
    ],
)
def test_parse_severity_is_case_insensitive(value: str, expected: Severity) -> None:
    assert parse_severity(value, "--fail-on") is expected


@pytest.mark.parametrize("value", [None, 2, "hi", "INFO ", Severity.HIGH.value])
def test_parse_severity_rejects_everything_else_naming_the_key(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^--fail-on: expected one of info, low, medium"):
        parse_severity(value, "--fail-on")


def test_with_overrides_replaces_only_given_settings() -> None:
    base = Config(select=("SEC",), ignore=("SEC017",), fail_on=Severity.HIGH)
    changed = base.with_overrides(select=("PERF",), ignore=None, exclude=None, fail_on=None)
    assert changed.select == ("PERF",)
    assert changed.ignore == ("SEC017",)
    assert changed.fail_on is Severity.HIGH
    assert changed.exclude == ()
    assert base.select == ("SEC",), "the original is left alone"
    assert base.with_overrides() == base
    assert base.with_overrides(select=()).select == (), "an empty tuple is a value, not None"


def test_with_overrides_rejects_unknown_settings() -> None:
    with pytest.raises(TypeError):
        Config().with_overrides(colour="red")


@pytest.mark.parametrize(
    "changes",
    [
        {"select": ("SEC",)},
        {"ignore": ("SEC001",)},
        {"extend_select": ("MNT004",)},
        {"min_severity": Severity.HIGH},
        {"exclude": ("vendor/",)},
        {"per_file_ignores": {"tests/*": ("SEC",)}},
        {"per_file_ignores": {"*": ()}},
    ],
)
def test_fingerprint_changes_with_every_setting_that_affects_findings(
    changes: dict[str, object],
) -> None:
    assert Config().with_overrides(**changes).fingerprint() != Config().fingerprint()


def test_fingerprint_ignores_exit_code_settings_and_the_source(tmp_path: Path) -> None:
    base = Config()
    assert base.fingerprint() == Config().fingerprint()
    assert base.with_overrides(fail_on=Severity.CRITICAL).fingerprint() == base.fingerprint()
    assert base.with_overrides(source=tmp_path).fingerprint() == base.fingerprint()


def test_fingerprint_does_not_depend_on_table_order() -> None:
    one = Config(per_file_ignores={"a/*": ("SEC",), "b/*": ("PERF",)})
    two = Config(per_file_ignores={"b/*": ("PERF",), "a/*": ("SEC",)})
    assert one.fingerprint() == two.fingerprint()
    swapped = Config(per_file_ignores={"a/*": ("PERF",), "b/*": ("SEC",)})
    assert swapped.fingerprint() != one.fingerprint()


def test_find_pyproject_walks_up_from_directories_and_files(tree: Tree) -> None:
    root = tree(
        {
            "pyproject.toml": '[tool.apismith]\nselect = ["SEC"]\n',
            "pkg/sub/deep/module.py": "x = 1\n",
        }
    )
    expected = root / "pyproject.toml"
    assert find_pyproject(root) == expected
    assert find_pyproject(root / "pkg" / "sub" / "deep") == expected
    assert find_pyproject(root / "pkg" / "sub" / "deep" / "module.py") == expected
    assert load_config(root / "pkg" / "sub" / "deep").select == ("SEC",)


def test_the_nearest_pyproject_wins(tree: Tree) -> None:
    root = tree(
        {
            "pyproject.toml": '[tool.apismith]\nselect = ["SEC"]\n',
            "service/pyproject.toml": '[tool.apismith]\nselect = ["PERF"]\n',
            "service/app/main.py": "x = 1\n",
        }
    )
    assert find_pyproject(root / "service" / "app") == root / "service" / "pyproject.toml"
    assert load_config(root / "service" / "app" / "main.py").select == ("PERF",)
    assert load_config(root).select == ("SEC",)


def test_a_folder_named_pyproject_toml_is_not_a_pyproject(tree: Tree) -> None:
    root = tree({"pyproject.toml": '[tool.apismith]\nselect = ["SEC"]\n', "inner/x.py": ""})
    (root / "inner" / "pyproject.toml").mkdir()
    assert find_pyproject(root / "inner") == root / "pyproject.toml"


def test_explicit_config_path_beats_discovery(tree: Tree) -> None:
    root = tree(
        {
            "pyproject.toml": '[tool.apismith]\nselect = ["SEC"]\n',
            "configs/strict.toml": '[tool.apismith]\nselect = ["PERF"]\nfail-on = "info"\n',
        }
    )
    explicit = root / "configs" / "strict.toml"
    config = load_config(root, explicit)
    assert config.select == ("PERF",)
    assert config.fail_on is Severity.INFO
    assert config.source == explicit
