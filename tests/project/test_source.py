"""Reading, decoding and parsing single files, including syntax newer than Python 3.11."""

from __future__ import annotations

import ast
import errno
import os
import textwrap
from pathlib import Path

import libcst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apismith.errors import SourceError
from apismith.project.source import MAX_BYTES, decode_source, parse_python, read_source

MB = 1024 * 1024


def statements(tree: ast.Module) -> list[tuple[str, int, int | None]]:
    """Every statement as (kind, first line, last line), in line order."""
    found = [
        (type(node).__name__, node.lineno, node.end_lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt)
    ]
    return sorted(found, key=lambda item: (item[1], item[0]))


def names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def name_positions(tree: ast.AST, name: str) -> list[tuple[int, int]]:
    return [
        (node.lineno, node.col_offset)
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id == name
    ]


def parse(source: str) -> ast.Module:
    return parse_python(textwrap.dedent(source).lstrip("\n"), "example.py")


@pytest.fixture
def no_libcst(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the slow path is taken."""

    def refuse(source: str) -> libcst.Module:
        raise AssertionError("libcst must not be used here")

    monkeypatch.setattr(libcst, "parse_module", refuse)


# decode_source


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"x = 1\n", "x = 1\n"),
        (b"\xef\xbb\xbfx = 1\n", "x = 1\n"),
        (b"# -*- coding: latin-1 -*-\nname = '\xe9'\n", "# -*- coding: latin-1 -*-\nname = 'é'\n"),
        (
            b"#!/usr/bin/env python\n# vim: fileencoding=cp1252\n'\x80'\n",
            "#!/usr/bin/env python\n# vim: fileencoding=cp1252\n'€'\n",
        ),
        ("name = 'é'\n".encode(), "name = 'é'\n"),
    ],
)
def test_decode_source_follows_bom_cookie_and_utf8_default(data: bytes, expected: str) -> None:
    assert decode_source(data) == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"x = 1\x00\n", "binary file (contains NUL bytes)"),
        (b"x = '\xe9'\n", "not valid utf-8: invalid continuation byte at byte offset 5"),
        (b"a = 1\nb = 2\nc = '\xff'\n", "not valid utf-8: invalid start byte at byte offset 17"),
        (b"\xef\xbb\xbfx = '\xff'\n", "not valid utf-8: invalid start byte at byte offset 8"),
        (
            b"# -*- coding: ascii -*-\nx = '\xe9'\n",
            "not valid ascii: ordinal not in range(128) at byte offset 29",
        ),
        (b"# coding: klingon\nx = 1\n", "unknown encoding: klingon"),
        (b"\xef\xbb\xbf# coding: latin-1\n", "encoding problem: utf-8"),
        (
            b"# coding: rot13\n",
            "unusable encoding rot13: 'rot13' is not a text encoding; "
            "use codecs.decode() to handle arbitrary codecs",
        ),
    ],
)
def test_decode_source_explains_what_is_wrong(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        decode_source(data)
    assert caught.value.reason == reason
    assert (caught.value.line, caught.value.column) == (None, None)


# read_source


def test_read_source_decodes_latin1_file_with_cookie(tmp_path: Path) -> None:
    path = tmp_path / "legacy.py"
    path.write_bytes(b"# coding: latin-1\nname = 'caf\xe9'\n")
    assert read_source(path) == "# coding: latin-1\nname = 'café'\n"


def test_read_source_reads_utf8_file_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbfname = 'caf\xc3\xa9'\n")
    assert read_source(path) == "name = 'café'\n"


def test_read_source_refuses_latin1_file_without_cookie(tmp_path: Path) -> None:
    path = tmp_path / "legacy.py"
    path.write_bytes(b"name = 'caf\xe9'\n")
    with pytest.raises(SourceError, match=r"^not valid utf-8: invalid continuation byte"):
        read_source(path)


def test_read_source_refuses_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "module.cpython-311.pyc.py"
    path.write_bytes(b"\xa7\r\r\n\x00\x00\x00\x00")
    with pytest.raises(SourceError, match=r"^binary file \(contains NUL bytes\)$"):
        read_source(path)


def test_read_source_refuses_oversize_file_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "generated.py"
    with path.open("wb") as file:
        file.truncate(int(20.1 * MB))  # sparse: no 20 MB written
    with pytest.raises(SourceError) as caught:
        read_source(path)
    assert caught.value.reason == "file too large (20.1 MB > 5.0 MB limit)"
    assert MAX_BYTES == 5 * MB


def test_read_source_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "small.py"
    path.write_bytes(b"x = 1\n" * 1000)
    assert read_source(path, max_bytes=6000) == "x = 1\n" * 1000
    with pytest.raises(SourceError, match=r"^file too large"):
        read_source(path, max_bytes=5999)


def test_read_source_refuses_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^Is a directory$"):
        read_source(tmp_path)


def test_read_source_reports_vanished_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^No such file or directory$"):
        read_source(tmp_path / "gone.py")


def test_read_source_reports_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link.py"
    link.symlink_to(tmp_path / "missing.py")
    with pytest.raises(SourceError, match=r"^No such file or directory$"):
        read_source(link)


def test_read_source_reports_symlink_loop(tmp_path: Path) -> None:
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.symlink_to(second)
    second.symlink_to(first)
    with pytest.raises(SourceError, match=r"^Too many levels of symbolic links$"):
        read_source(first)


def test_read_source_refuses_fifo_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match=r"^not a regular file$"):
        read_source(fifo)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (PermissionError(errno.EACCES, os.strerror(errno.EACCES), "x.py"), "Permission denied"),
        (OSError("device went away"), "device went away"),
    ],
)
def test_read_source_reports_read_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, reason: str
) -> None:
    # Tests run as root, so chmod 000 would not stop the read: fail it instead.
    path = tmp_path / "secret.py"
    path.write_text("x = 1\n")

    def fail(self: Path) -> bytes:
        raise error

    monkeypatch.setattr(Path, "read_bytes", fail)
    with pytest.raises(SourceError) as caught:
        read_source(path)
    assert caught.value.reason == reason


# parse_python: the fast path and its failures


@pytest.mark.usefixtures("no_libcst")
def test_parse_python_uses_ast_alone_for_valid_code() -> None:
    tree = parse_python("import os\nx: int = os.sep\n", "fast.py")
    assert statements(tree) == [("Import", 1, 1), ("AnnAssign", 2, 2)]


@pytest.mark.usefixtures("no_libcst")
def test_parse_python_does_not_turn_warnings_into_errors() -> None:
    # pytest makes warnings errors; an invalid escape must not become a syntax error.
    tree = parse_python('pattern = "\\d+"\n', "escapes.py")
    assert statements(tree) == [("Assign", 1, 1)]


@pytest.mark.usefixtures("no_libcst")
@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("x = '\ud800'\n", "cannot parse: 'utf-8' codec can't encode character '\\ud800'"),
        ("x = a" + ".b" * 100_000 + "\n", "cannot parse: too deeply nested"),
        ("x = " + "-" * 100_000 + "1\n", "cannot parse: too deeply nested"),
        ("x = " + "(" * 300 + ")" * 300 + "\n", "syntax error: too many nested parentheses"),
    ],
)
def test_parse_python_refuses_what_cpython_cannot_handle(source: str, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_python(source, "extreme.py")
    assert caught.value.reason.startswith(reason)


@pytest.mark.parametrize(
    "source",
    [
        "def broken(:\n    pass\n",
        "x = 1\nclass C(\n",
        "type X = int\nvalue = f'{a:{b:{c}}}'\n",  # rewritten, 3.11 still refuses the f-string
        # Valid in newer Pythons, but beyond what the rewrite supports:
        'x = f"{d[\'\'\'a\'\'\' + """b"""]}"\n',  # no quote left to delimit the f-string
        'x = f"{f"{f"{\na}"}"}"\n',  # three levels that each need triple quotes
    ],
)
def test_parse_python_reports_unparsable_code_at_the_original_error(source: str) -> None:
    with pytest.raises(SyntaxError) as original:
        ast.parse(source)
    with pytest.raises(SourceError) as caught:
        parse_python(source, "invalid.py")
    assert caught.value.reason == f"syntax error: {original.value.msg}"
    assert (caught.value.line, caught.value.column) == (
        original.value.lineno,
        original.value.offset,
    )


# parse_python: newer syntax, rewritten on the same lines


def test_parse_python_understands_type_parameters_and_aliases() -> None:
    tree = parse("""
        type Alias = list[int]
        type Pair[K, V = int] = tuple[K, V]
        type Multi[
            T,  # the element
        ] = dict[
            str, T
        ]
        def first[T](items: list[T]) -> T:
            return items[0]
        def spread[
            T: (int, str) = int,
        ](
            value: T,
        ) -> T:
            return value
        class Box[T: Base = Base, *Ts, **P](Base, metaclass=Meta):
            item: T
            async def get[U](self) -> U: ...
        class Plain[T]:
            type Inner = \\
                int
        done = spread(1)
    """)
    assert statements(tree) == [
        ("Assign", 1, 1),
        ("Assign", 2, 2),
        ("Assign", 3, 7),
        ("FunctionDef", 8, 9),
        ("Return", 9, 9),
        ("FunctionDef", 10, 15),
        ("Return", 15, 15),
        ("ClassDef", 16, 18),
        ("AnnAssign", 17, 17),
        ("AsyncFunctionDef", 18, 18),
        ("Expr", 18, 18),
        ("ClassDef", 19, 21),
        ("Assign", 20, 21),
        ("Assign", 22, 22),
    ]
    assert {"Alias", "Pair", "Multi", "Inner", "Base", "Meta", "T", "U"} <= names(tree)
    box = next(node for node in tree.body if isinstance(node, ast.ClassDef))
    assert [ast.unparse(base) for base in box.bases] == ["Base"]
    assert [keyword.arg for keyword in box.keywords] == ["metaclass"]


def test_parse_python_understands_unparenthesized_except_lists() -> None:
    tree = parse("""
        try:
            pass
        except ValueError, TypeError:
            pass
        except (KeyError, IndexError) as error:
            pass
        except OSError:
            pass
        except:
            raise
        try:
            pass
        except* ValueError, TypeError:
            pass
        except* (KeyError, IndexError):
            pass
    """)
    assert [(kind, first) for kind, first, _ in statements(tree)] == [
        ("Try", 1),
        ("Pass", 2),
        ("Pass", 4),
        ("Pass", 6),
        ("Pass", 8),
        ("Raise", 10),
        ("TryStar", 11),
        ("Pass", 12),
        ("Pass", 14),
        ("Pass", 16),
    ]
    caught = [
        ast.unparse(handler.type) if handler.type else None
        for node in tree.body
        if isinstance(node, ast.Try | ast.TryStar)
        for handler in node.handlers
    ]
    assert caught == [
        "(ValueError, TypeError)",
        "(KeyError, IndexError)",
        "OSError",
        None,
        "(ValueError, TypeError)",
        "(KeyError, IndexError)",
    ]


def test_parse_python_understands_pep701_fstrings() -> None:
    tree = parse(r"""
        a = f"{row["key"]}"
        b = f"{f"{inner}"}"
        c = f"{'\n'.join(items)}"
        d = f"{value # a comment
        }"
        e = f"{f"{f"{deep["k"]}"}"}"
        g = f'''{'\t'.join(tabs)}'''
        h = f"{spread +
            more}"
        i = f"{debug['\n'] = }"
        j = f"{plain}" + rf"{raw["x"]}\d" + f"{width:{fill["w"]}}"
        k = f"{
            first  # comment
            + second
        }"
        done = True
    """)
    assert statements(tree) == [
        ("Assign", 1, 1),
        ("Assign", 2, 2),
        ("Assign", 3, 3),
        ("Assign", 4, 5),
        ("Assign", 6, 6),
        ("Assign", 7, 7),
        ("Assign", 8, 9),
        ("Assign", 10, 10),
        ("Assign", 11, 11),
        ("Assign", 12, 15),
        ("Assign", 16, 16),
    ]
    used = {"row", "inner", "items", "value", "deep", "tabs", "spread", "more", "debug"}
    used |= {"plain", "raw", "width", "fill", "first", "second"}
    assert used <= names(tree)
    assert not any(name.startswith("__apismith") for name in names(tree))
    # Names keep their lines, and their columns off rewritten lines.
    assert name_positions(tree, "more") == [(9, 4)]
    assert name_positions(tree, "first") == [(13, 4)]
    assert name_positions(tree, "second") == [(14, 6)]
    # The f-strings stay f-strings, with the hoisted expressions inside.
    assignment = tree.body[2]
    assert isinstance(assignment, ast.Assign)
    assert isinstance(assignment.value, ast.JoinedStr)
    field = assignment.value.values[0]
    assert isinstance(field, ast.FormattedValue)
    assert isinstance(field.value, ast.Call)
    assert ast.unparse(field.value.func) == "'\\n'.join"


def test_parse_python_understands_nested_triple_quoted_fstrings() -> None:
    source = [
        'same = f"""{f"""{again!r}"""}"""',
        "different = f'''{f\"\"\"{other}\"\"\"}'''",
        'multiline = f"""{f"{',
        '    split}"}"""',
        "done = True",
    ]
    tree = parse_python("\n".join(source), "nested.py")
    assert statements(tree) == [
        ("Assign", 1, 1),
        ("Assign", 2, 2),
        ("Assign", 3, 4),
        ("Assign", 5, 5),
    ]
    assert {"again", "other", "split"} <= names(tree)
    assert name_positions(tree, "split") == [(4, 4)]


def test_parse_python_only_rewrites_lines_that_need_it() -> None:
    source = textwrap.dedent("""
        import os
        def f(x: int) -> str:
            return f"{x!r:>{os.sep}}" + f'{x}'
        type Alias = int
        @decorator(f"{os.name}")
        class C(Base):
            value = "it's"
    """).lstrip("\n")
    rewritten, original = parse_python(source, "x.py"), ast.parse(source.replace("type ", ""))
    assert ast.dump(rewritten, include_attributes=True) == ast.dump(
        original, include_attributes=True
    )


# parse_python never fails in another way

SNIPPETS = [
    "import os",
    "x = 1",
    "def f[T](x: T) -> T:",
    "class C[T = int](Base):",
    "    pass",
    "    return f\"{x['\\n']}\"",
    "type X[T] = list[T]",
    "try:",
    "except A, B:",
    "except* A, B:",
    "except:",
    'f"{a["k"]}"',
    'f"{f"{b}"}"',
    'y = f"{c # note',
    '}"',
    "f'''{'\\t'}'''",
    "(",
    ")",
    "[",
    '"""',
    "\\",
    "    ",
    "\t",
    "@decorator",
    "async def g[**P](*args: P.args):",
    "lambda: (yield)",
    "match x:",
    "    case [a, *rest]:",
    "x = '\\d'",
    "class R[\n    M: Base,  # the model\n](Gen[M]):",
    'q = f"-{\n    fmt(a, b)\n}"',
    'r = f"{x["k"]!r:>{w["w"]}}"',
    "def g[\n    T,\n](x: T):",
    "f'{",
    "}'",
]

PROGRAM = "\n".join(
    [
        "type Alias[T] = list[T]",
        "def f[T](x: T) -> T:",
        "    try:",
        "        return f\"{x['k']}{'\\n'.join(x)}\"",
        "    except ValueError, TypeError:",
        "        raise",
        "class C[T](Base):",
        '    y = f"{f"{z}"}"',
        '    w = f"-{',
        '        z["k"]  # why',
        '    }"',
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_parse_python_on_any_text_returns_a_module_or_raises_source_error(text: str) -> None:
    try:
        tree = parse_python(text, "fuzz.py")
    except SourceError as error:
        assert error.reason
    else:
        assert isinstance(tree, ast.Module)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS) | st.text(max_size=12), max_size=12))
def test_parse_python_on_snippet_soup_returns_a_module_or_raises_source_error(
    lines: list[str],
) -> None:
    try:
        tree = parse_python("\n".join(lines), "soup.py")
    except SourceError as error:
        assert error.reason.startswith(("syntax error: ", "cannot parse: "))
    else:
        assert isinstance(tree, ast.Module)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_parse_python_on_mutated_program_returns_a_module_or_raises_source_error(
    data: st.DataObject,
) -> None:
    lines = PROGRAM.splitlines()
    for _ in range(data.draw(st.integers(0, 4), label="edits")):
        index = data.draw(st.integers(0, len(lines)), label="line")
        if index < len(lines) and data.draw(st.booleans(), label="delete"):
            del lines[index]
        else:
            lines.insert(index, data.draw(st.sampled_from(SNIPPETS) | st.text(max_size=8)))
    try:
        tree = parse_python("\n".join(lines), "mutated.py")
    except SourceError as error:
        assert error.line is None or error.line >= 1
    else:
        assert isinstance(tree, ast.Module)


def test_line_repairs_keep_lines_libcst_would_drop() -> None:
    """The fast line-by-line repair handles what libcst cannot (a lone backslash line)."""
    tree = parse_python("type X = int\nz = 1\n\\\nw = 1\n", "f.py")
    assert [node.lineno for node in tree.body] == [1, 2, 4]


def test_except_tuple_and_generics_are_repaired_in_place() -> None:
    source = (
        "try:\n    pass\nexcept ValueError, TypeError as error:\n    pass\n"
        "def f[T: int](x: T) -> T:\n    return x\n"
        "class C[K, V](dict[K, V]):\n    pass\n"
    )
    tree = parse_python(source, "f.py")
    assert [node.lineno for node in tree.body] == [1, 5, 7]
    handler = tree.body[0].handlers[0]  # type: ignore[attr-defined]
    assert isinstance(handler.type, ast.Tuple) and handler.name == "error"
