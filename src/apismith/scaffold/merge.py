"""Three-way merge of text by lines, as ``git merge-file`` does it.

``base`` is what apismith rendered last time, ``ours`` the user's file on disk, ``theirs`` the
new render. Each side's changes against ``base`` are hunks of replaced base lines; hunks of the
two sides that touch the same base lines form a group, which merges cleanly when only one side
changed it or both made the same change, and is otherwise left marked as a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

OURS_MARKER = "<<<<<<< yours\n"
SEPARATOR = "=======\n"
THEIRS_MARKER = ">>>>>>> apismith\n"


@dataclass(frozen=True)
class Hunk:
    """Base lines ``[start, end)`` replaced by ``lines`` on one side."""

    start: int
    end: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class MergeResult:
    """The merged text and how many conflicts were left marked in it."""

    text: str
    conflicts: int


def hunks(base: list[str], side: list[str]) -> list[Hunk]:
    """One side's changes against the base, in base order."""
    matcher = SequenceMatcher(None, base, side, autojunk=False)
    return [
        Hunk(i1, i2, tuple(side[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _touches(hunk: Hunk, start: int, end: int) -> bool:
    """Whether a hunk overlaps base lines ``[start, end)``; insertions touch their neighbours."""
    if hunk.start == hunk.end or start == end:
        return start <= hunk.end and hunk.start <= end
    return hunk.start < end and start < hunk.end


def _apply(base: list[str], start: int, end: int, changes: list[Hunk]) -> list[str]:
    """Base lines ``[start, end)`` with one side's hunks of that stretch applied."""
    result: list[str] = []
    position = start
    for hunk in changes:
        result.extend(base[position : hunk.start])
        result.extend(hunk.lines)
        position = hunk.end
    result.extend(base[position:end])
    return result


def _terminated(lines: list[str]) -> list[str]:
    """Lines whose last one ends with a newline, so a marker can follow it."""
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


def merge3(base: str, ours: str, theirs: str) -> MergeResult:
    """Merge the changes ``ours`` and ``theirs`` each made to ``base``."""
    base_lines = base.splitlines(keepends=True)
    ours_lines = ours.splitlines(keepends=True)
    theirs_lines = theirs.splitlines(keepends=True)
    pending = [
        (hunk, side)
        for side, side_lines in ((0, ours_lines), (1, theirs_lines))
        for hunk in hunks(base_lines, side_lines)
    ]
    pending.sort(key=lambda item: (item[0].start, item[0].end))
    merged: list[str] = []
    conflicts = 0
    position = 0
    index = 0
    while index < len(pending):
        first = pending[index][0]
        start, end = first.start, first.end
        group = [pending[index]]
        index += 1
        while index < len(pending) and _touches(pending[index][0], start, end):
            hunk = pending[index][0]
            start, end = min(start, hunk.start), max(end, hunk.end)
            group.append(pending[index])
            index += 1
        merged.extend(base_lines[position:start])
        position = end
        mine = [hunk for hunk, side in group if side == 0]
        new = [hunk for hunk, side in group if side == 1]
        ours_text = _apply(base_lines, start, end, mine)
        theirs_text = _apply(base_lines, start, end, new)
        if not mine or not new or ours_text == theirs_text:
            merged.extend(theirs_text if new else ours_text)
            continue
        conflicts += 1
        merged = _terminated(merged)
        merged.append(OURS_MARKER)
        merged.extend(_terminated(ours_text))
        merged.append(SEPARATOR)
        merged.extend(_terminated(theirs_text))
        merged.append(THEIRS_MARKER)
    merged.extend(base_lines[position:])
    return MergeResult("".join(merged), conflicts)
