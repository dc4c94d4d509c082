"""Three-way merge: laws that hold for any text, and the cases an update meets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from apismith.scaffold.merge import MergeResult, merge3

lines = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d\n", "\n", "e"]), max_size=12).map("".join)


@given(lines, lines)
def test_an_unchanged_side_yields_the_other_side(base: str, changed: str) -> None:
    assert merge3(base, base, changed).text == changed
    assert merge3(base, changed, base).text == changed
    assert merge3(base, base, changed).conflicts == 0
    assert merge3(base, changed, base).conflicts == 0


@given(lines, lines)
def test_identical_changes_merge_cleanly(base: str, changed: str) -> None:
    result = merge3(base, changed, changed)
    assert (result.text, result.conflicts) == (changed, 0)


@st.composite
def separate_edits(draw: st.DrawFn) -> tuple[list[str], list[str], list[str], list[str]]:
    """A base of unique lines, and edits of one side or the other separated by kept lines."""
    size = draw(st.integers(1, 20))
    base = [f"base {n}\n" for n in range(size)]
    ours: list[str] = []
    theirs: list[str] = []
    both: list[str] = []
    position = 0
    counter = 0
    while position < size:
        keep = draw(st.integers(1, 3))
        for line in base[position : position + keep]:
            ours.append(line)
            theirs.append(line)
            both.append(line)
        position += keep
        if position >= size:
            break
        width = draw(st.integers(0, 2))
        counter += 1
        new = [f"edit {counter}.{n}\n" for n in range(draw(st.integers(0 if width else 1, 2)))]
        old = base[position : position + width]
        if draw(st.booleans()):
            ours.extend(new)
            theirs.extend(old)
        else:
            ours.extend(old)
            theirs.extend(new)
        both.extend(new)
        position += width
    return base, ours, theirs, both


@given(separate_edits())
def test_a_clean_merge_holds_both_sides_edits(
    case: tuple[list[str], list[str], list[str], list[str]],
) -> None:
    base, ours, theirs, both = case
    result = merge3("".join(base), "".join(ours), "".join(theirs))
    assert (result.text, result.conflicts) == ("".join(both), 0)


@given(lines, lines, lines)
def test_swapping_the_sides_finds_the_same_conflicts(base: str, ours: str, theirs: str) -> None:
    assert merge3(base, ours, theirs).conflicts == merge3(base, theirs, ours).conflicts


def test_user_edit_kept_and_template_change_taken() -> None:
    base = "import a\n\ndef f():\n    return 1\n\nX = 1\n"
    ours = "import a\nimport mine\n\ndef f():\n    return 1\n\nX = 1\n"
    theirs = "import a\n\ndef f():\n    return 1\n\nX = 2\n"
    result = merge3(base, ours, theirs)
    assert result == MergeResult("import a\nimport mine\n\ndef f():\n    return 1\n\nX = 2\n", 0)


def test_conflicting_edits_are_marked() -> None:
    result = merge3("a\nb\nc\n", "a\nmine\nc\n", "a\nnew\nc\n")
    assert result.conflicts == 1
    assert result.text == ("a\n<<<<<<< yours\nmine\n=======\nnew\n>>>>>>> apismith\nc\n")


def test_conflict_at_an_unterminated_last_line() -> None:
    result = merge3("a\nb", "a\nmine", "a\nnew")
    assert result.text == "a\n<<<<<<< yours\nmine\n=======\nnew\n>>>>>>> apismith\n"
    assert result.conflicts == 1


def test_insertions_at_the_same_place_conflict() -> None:
    result = merge3("a\nb\n", "a\nmine\nb\n", "a\nnew\nb\n")
    assert result.conflicts == 1
    assert "mine\n=======\nnew\n" in result.text


def test_conflict_after_an_unterminated_kept_line_gets_a_newline() -> None:
    result = merge3("x", "x\ny\n", "x\nz\n")
    assert result == MergeResult("<<<<<<< yours\nx\ny\n=======\nx\nz\n>>>>>>> apismith\n", 1)
