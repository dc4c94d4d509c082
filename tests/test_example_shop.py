"""The bundled example: review reports exactly the defects planted in it, nothing else.

Each planted defect carries a ``# defect: RULE-ID`` comment on the line a reviewer should
report, and examples/shop/README.md lists the same defects in its table.
"""

from __future__ import annotations

import re
from pathlib import Path

from apismith.config import load_config
from apismith.review.engine import review

SHOP = Path(__file__).parent.parent / "examples" / "shop"
DEFECT = re.compile(r"#\s*defect:\s*([A-Z0-9,\s]+)$")
ROW = re.compile(r"^\|\s*([A-Z]+[0-9]+)\s*\|\s*(\S+)\s*\|\s*([0-9, ]+)\s*\|")

Key = tuple[str, int, str]


def planted() -> set[Key]:
    found: set[Key] = set()
    for path in sorted(SHOP.rglob("*.py")):
        relative = path.relative_to(SHOP).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = DEFECT.search(line)
            if match:
                for rule in match.group(1).split(","):
                    found.add((relative, number, rule.strip()))
    return found


def documented() -> set[Key]:
    found: set[Key] = set()
    text = (SHOP / "README.md").read_text(encoding="utf-8")
    section = text.split("## Expected findings", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            for number in match.group(3).split(","):
                found.add((match.group(2), int(number), match.group(1)))
    return found


def test_review_reports_exactly_the_planted_defects() -> None:
    result = review(SHOP, load_config(SHOP), use_cache=False)
    reported = {(f.path, f.line, f.rule) for f in result.findings}
    assert result.errors == []
    expected = planted()
    assert {"missed": sorted(expected - reported), "unexpected": sorted(reported - expected)} == {
        "missed": [],
        "unexpected": [],
    }


def test_readme_table_lists_the_planted_defects() -> None:
    assert documented() == planted()
