"""Every probe rule is documented like a review rule, and its metadata is consistent."""

from __future__ import annotations

import re

import pytest

from apismith.dynamic import DynamicRule
from apismith.probe import probe_rules
from apismith.rules.base import split_sections

RULES = probe_rules()


def test_ids_and_names_are_unique_and_numbered() -> None:
    ids = [rule.id for rule in RULES]
    assert ids == [f"PRB{n:03d}" for n in range(1, len(RULES) + 1)]
    assert len({rule.name for rule in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_rule_is_documented(rule: DynamicRule) -> None:
    sections = split_sections(rule.doc)
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead"):
        assert sections.get(heading), f"{rule.id} lacks '{heading}'"
    assert "```python" in sections["Example"] and "```python" in sections["Use instead"]
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert rule.family == "probe" and rule.summary
    assert rule.cwe is None or rule.cwe > 0
