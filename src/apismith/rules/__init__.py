"""The rule registry, built from the modules of each family package."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache

from apismith.errors import ConfigError
from apismith.rules.base import FAMILIES, Rule

__all__ = ["Rule", "all_rules", "select_rules"]


@cache
def all_rules() -> tuple[Rule, ...]:
    """One instance of every rule, ordered by id. Each module defines exactly one rule."""
    found: list[Rule] = []
    for family in FAMILIES:
        package = importlib.import_module(f"apismith.rules.{family}")
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            classes = [
                value
                for value in vars(module).values()
                if inspect.isclass(value)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
            ]
            if len(classes) != 1:
                raise AssertionError(f"{module.__name__} must define exactly one rule")
            rule_class = classes[0]
            rule_class.doc = inspect.cleandoc(module.__doc__ or "")
            if rule_class.family != family:
                raise AssertionError(f"{rule_class.id} is in the {family} package")
            found.append(rule_class())
    found.sort(key=lambda rule: rule.id)
    ids = [rule.id for rule in found]
    if len(ids) != len(set(ids)):
        raise AssertionError("duplicate rule ids")
    return tuple(found)


def matches(rule: Rule, selector: str) -> bool:
    """Whether a selector (``ALL``, a family, an id or id prefix, a name) covers ``rule``."""
    wanted = selector.strip()
    return (
        wanted.upper() == "ALL"
        or wanted.lower() == rule.family
        or rule.id.startswith(wanted.upper())
        or wanted.lower() == rule.name
    )


def validate_selectors(selectors: tuple[str, ...]) -> None:
    """Refuse selectors that match no rule, so that a typo is not silently ignored."""
    for selector in selectors:
        if not any(
            matches(rule, selector) for rule in all_rules()
        ) and not selector.upper().startswith("E"):
            raise ConfigError(f"unknown rule selector {selector!r} (see `apismith rules`)")


def select_rules(
    select: tuple[str, ...], ignore: tuple[str, ...], extend: tuple[str, ...] = ()
) -> list[Rule]:
    """Rules enabled by ``select`` + ``extend`` and not removed by ``ignore``."""
    validate_selectors((*select, *ignore, *extend))
    chosen = [*select, *extend]
    return [
        rule
        for rule in all_rules()
        if any(matches(rule, s) for s in chosen) and not any(matches(rule, s) for s in ignore)
    ]
