"""``[tool.apismith]`` in pyproject.toml: loading, validation, and CLI overrides."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from apismith.errors import ConfigError
from apismith.findings import Severity

KEYS = frozenset(
    {"select", "ignore", "extend-select", "fail-on", "exclude", "per-file-ignores", "min-severity"}
)


@dataclass(frozen=True, slots=True)
class Config:
    """Settings of one review run. Selectors are rule ids, id prefixes or family names."""

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    fail_on: Severity = Severity.LOW
    min_severity: Severity = Severity.INFO
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: Path | None = None

    def fingerprint(self) -> str:
        """A stable text that changes whenever a setting that affects results changes."""
        return repr(
            (
                self.select,
                self.ignore,
                self.extend_select,
                self.min_severity,
                self.exclude,
                sorted(self.per_file_ignores.items()),
            )
        )

    def with_overrides(self, **changes: object) -> Config:
        """A copy with the given (non-None) settings replaced, as CLI flags do."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start``."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
    return None


def parse_severity(value: object, key: str) -> Severity:
    """A severity name as written in config or on the command line."""
    if isinstance(value, str):
        try:
            return Severity[value.upper()]
        except KeyError:
            pass
    choices = ", ".join(str(s) for s in Severity)
    raise ConfigError(f"{key}: expected one of {choices}, got {value!r}")


def _strings(value: object, key: str) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{key}: expected a list of strings, got {value!r}")


def load_config(start: Path, explicit: Path | None = None) -> Config:
    """Read ``[tool.apismith]`` from ``explicit`` or the nearest pyproject.toml."""
    path = explicit or find_pyproject(start)
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: [tool] must be a table")
    table = tool.get("apismith", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.apismith] must be a table")
    unknown = sorted(set(table) - KEYS)
    if unknown:
        known = ", ".join(sorted(KEYS))
        raise ConfigError(
            f"{path}: unknown key(s) in [tool.apismith]: {', '.join(unknown)} (known: {known})"
        )
    config = Config(source=path)
    changes: dict[str, object] = {}
    for key, attribute in (
        ("select", "select"),
        ("ignore", "ignore"),
        ("extend-select", "extend_select"),
        ("exclude", "exclude"),
    ):
        if key in table:
            changes[attribute] = _strings(table[key], key)
    if "fail-on" in table:
        changes["fail_on"] = parse_severity(table["fail-on"], "fail-on")
    if "min-severity" in table:
        changes["min_severity"] = parse_severity(table["min-severity"], "min-severity")
    if "per-file-ignores" in table:
        raw = table["per-file-ignores"]
        if not isinstance(raw, dict):
            raise ConfigError("per-file-ignores: expected a table of glob = [rules]")
        changes["per_file_ignores"] = {
            str(glob): _strings(rules, f"per-file-ignores.{glob}") for glob, rules in raw.items()
        }
    return config.with_overrides(**changes)
