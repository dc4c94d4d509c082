"""Every rule's documentation is complete and its examples behave as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from apismith.config import Config
from apismith.review.engine import review
from apismith.rules import all_rules, select_rules
from apismith.rules.base import DOC_SECTIONS, Rule, code_block

RULES = {rule.id: rule for rule in all_rules()}


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_docstring_has_every_section(rule_id: str) -> None:
    rule = RULES[rule_id]
    assert list(rule.sections) == list(DOC_SECTIONS)
    assert all(rule.sections[name].strip() for name in DOC_SECTIONS)


def _reported(rule: Rule, code: str, tmp_path: Path) -> set[str]:
    target = tmp_path / "example.py"
    target.write_text(code, encoding="utf-8")
    result = review(target, Config(select=(rule.id,)), use_cache=False)
    return {finding.rule for finding in result.findings}


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_example_triggers_and_use_instead_does_not(rule_id: str, tmp_path: Path) -> None:
    rule = RULES[rule_id]
    example = code_block(rule.sections["Example"])
    better = code_block(rule.sections["Use instead"])
    assert example.strip() and better.strip()
    assert rule_id in _reported(rule, example, tmp_path)
    assert rule_id not in _reported(rule, better, tmp_path)


def test_metadata_is_well_formed() -> None:
    for rule in all_rules():
        assert rule.id[:3] in {"SEC", "PER", "COR", "MNT", "TST"}
        assert rule.name == rule.name.lower() and " " not in rule.name
        assert rule.fix_title and (rule.fix_title[0].isupper() or rule.fix_title[0] == "`")
        if rule.family == "security":
            assert rule.cwe is not None


def test_selectors() -> None:
    assert select_rules(("security",), ("SEC001",)) == [
        r for r in all_rules() if r.family == "security" and r.id != "SEC001"
    ]
