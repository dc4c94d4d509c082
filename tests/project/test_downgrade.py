"""The scanner path for newer grammar gives libcst's tree, without importing libcst."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap

import libcst
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from apismith.errors import SourceError
from apismith.project import newsyntax
from apismith.project.downgrade import parse_downgraded
from apismith.project.source import _repair_lines, parse_python

SHAPES: dict[str, str] = {
    "class type parameters over lines": """
        class ResourceService[
            ModelType: Base,  # the model
            SchemaType: (int, str) = int,
        ](Service[ModelType], metaclass=Meta):
            async def get[T](self, id: T) -> ModelType | None:
                return await self.repository.get(id)
    """,
    "function type parameters over lines": """
        import os
        def spread[
            T: (int, str) = int,
            *Ts,
            **P,
        ](
            value: T,
        ) -> T:
            return os.fspath(value)
        done = spread(1)
    """,
    "type alias over lines": """
        type Multi[
            T,  # the element
        ] = dict[
            str, T
        ]
        x = 1; type Short = int
        if x: type Inline = str
        type Spaced  =  \\
            bytes
        type = "a plain name"
        type(x)
    """,
    "fields in headers and aliases": """
        class K:
            def g[T](self, x=f"{
                y  # c
            }") -> T: ...
            type A[T] = Annotated[T, f"{
                z  # c
            }"]
            async def h[**P](self, x=f'{y['k']}'): pass
    """,
    "replacement field over lines": """
        from polar import formatters
        def render(order):
            with tag.div():
                text(
                    f"-{
                        formatters.currency(order.discount, order.currency)
                    }"
                )
            return order
    """,
    "same quotes inside a field": """
        def query(request, db):
            rows = db.execute(f"SELECT * FROM t WHERE id = {request.args["id"]}")
            return f'{rows[0]['name']}: {f"{rows[0]["n"]}"}'
    """,
    "backslash in a field": """
        def joined(items, tabs):
            a = f"{'\\n'.join(items)}"
            b = f'''{'\\t'.join(tabs)}'''
            return a + b
    """,
    "comment in a field": """
        def fields(value, first, second):
            a = f"{value # a comment
            }"
            b = f"{
                first  # comment
                + second
            }"
            c = f"{
              first  # less indented than the statement
            }"
            return a, b, c
    """,
    "debug, conversion and format spec": """
        def show(x, width, fill, spec):
            a = f"{x = }" + f"{x['\\n'] = !r:>{width}}" + f"{ x = !s}"
            b = f"{x:{fill["w"]}.{width}f}" + f"{x!r:>10}" + f"{x:=10}" + f"{x!r  }{x!s :>3}"
            return a, b, f"{x != width}" + f"{{literal}} {x["k"]} }}{{"
    """,
    "prefixes and escapes": """
        def prefixed(raw, x):
            a = rf"{raw["x"]}\\d" + Rf"\\{raw["y"]}" + fR'{x}\\''
            b = f"\\N{EM DASH}{x["a"]}\\"" + f"\\\\{x["b"]}" + b"bytes" + u"text"
            c = f'''{x["k"]}
            ''' + f\"\"\"{x['''q''']}\"\"\" + '''plain "quotes"''' + "esc\\"aped"
            return a, b, c
    """,
    "nested f-strings": """
        e = f"{f"{f"{deep["k"]}"}"}"
        same = f\"\"\"{f\"\"\"{again!r}\"\"\"}\"\"\"
        multiline = f\"\"\"{f"{
            split}"}\"\"\"
    """,
    "with except lists and one-line headers": """
        def first[T](items: list[T]) -> T:
            try:
                return items[0]
            except IndexError, KeyError:
                raise
            except (ValueError, TypeError) as error:
                raise
            except (A), B:
                pass
            except:
                return f"{items["fallback"]}"
    """,
    "except star lists": """
        try:
            pass
        except* ValueError, TypeError:
            pass
        except* (KeyError, IndexError) as error:
            log(f"{error.args["k"]}")
    """,
}


def _source(shape: str) -> str:
    return textwrap.dedent(SHAPES[shape]).lstrip("\n")


def _dump(tree: ast.AST) -> str:
    return ast.dump(tree, include_attributes=True)


def names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _refuse(source: str) -> libcst.Module:
    raise AssertionError("libcst must not be used here")


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_scanner_gives_libcst_tree_for_each_shape(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _source(shape)
    with pytest.raises(SyntaxError):
        ast.parse(source)
    assert _repair_lines(source, "shape.py") is None  # the line patterns are not enough
    expected = _dump(newsyntax.parse_rewritten(source, "shape.py"))
    monkeypatch.setattr(libcst, "parse_module", _refuse)
    assert _dump(parse_python(source, "shape.py")) == expected


def _imports_libcst(sources: list[str]) -> bool:
    """Whether parsing ``sources`` in a fresh interpreter imports libcst."""
    script = (
        "import contextlib, json, sys\n"
        "from apismith.errors import SourceError\n"
        "from apismith.project.source import parse_python\n"
        "for source in json.loads(sys.stdin.read()):\n"
        "    with contextlib.suppress(SourceError):\n"
        "        parse_python(source, 'shape.py')\n"
        "print('libcst' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        check=True,
    )
    return {"True\n": True, "False\n": False}[run.stdout]


def test_scanner_does_not_import_libcst() -> None:
    assert not _imports_libcst([_source(shape) for shape in sorted(SHAPES)])


def test_plain_syntax_errors_do_not_import_libcst() -> None:
    broken = ["def broken(:\n    pass\n", "print 'python 2'\n", "x = [1,\n", "x = 1 +\n"]
    assert not _imports_libcst(broken)
    assert _imports_libcst(['x = f"{a["k"]']), "what the scanner cannot read goes to libcst"


def test_fields_stay_in_the_tree_for_taint_analysis() -> None:
    tree = parse_python(_source("same quotes inside a field"), "query.py")
    execute = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "db.execute"
    )
    sql = execute.args[0]
    assert isinstance(sql, ast.JoinedStr)
    field = sql.values[-1]
    assert isinstance(field, ast.FormattedValue)
    assert ast.unparse(field.value) == "request.args['id']"
    assert (field.value.lineno, field.value.col_offset) == (2, 52)  # where it is in the file


def test_fields_over_lines_keep_their_positions() -> None:
    tree = parse_python(_source("replacement field over lines"), "endpoints.py")
    currency = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "formatters.currency"
    )
    assert (currency.lineno, currency.col_offset, currency.end_lineno) == (6, 16, 6)
    returned = tree.body[1].body[-1]  # type: ignore[attr-defined]
    assert isinstance(returned, ast.Return) and returned.lineno == 9


def test_field_with_comment_is_spliced_where_it_was() -> None:
    tree = parse_python(_source("comment in a field"), "fields.py")
    positions = {
        node.id: (node.lineno, node.col_offset)
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.ctx.__class__ is ast.Load
    }
    assert positions["value"] == (2, 14)  # after the added quotes and parenthesis, as libcst
    assert positions["first"] == (5, 8)
    # libcst takes the statement's indentation off the field's later lines; so does the scanner.
    assert positions["second"] == (6, 6)
    assert not any(name.startswith("__apismith") for name in positions)


def test_type_parameters_over_lines_keep_the_body_lines() -> None:
    tree = parse_python(_source("class type parameters over lines"), "services.py")
    service = tree.body[0]
    assert isinstance(service, ast.ClassDef)
    assert [ast.unparse(base) for base in service.bases] == ["Service[ModelType]"]
    assert (service.lineno, service.body[0].lineno, service.end_lineno) == (1, 5, 6)


def test_scanner_keeps_lines_libcst_would_drop() -> None:
    source = 'x = f"{a["k"]}"\nz = 1\n\\\nw = 1\n'  # a line holding only a backslash
    with pytest.raises(SyntaxError, match="would not keep the line numbers"):
        newsyntax.parse_rewritten(source, "lone.py")
    assert [node.lineno for node in parse_python(source, "lone.py").body] == [1, 2, 4]


def test_line_breaks_after_a_conversion_keep_the_lines() -> None:
    source = 'a = f"{x!r\n}{y!s  # why\n:>3}"\nb = f"{x = # why\n}"\nc = 1\n'
    with pytest.raises(SyntaxError):  # libcst drops the line breaks, so its path refuses
        newsyntax.parse_rewritten(source, "conversion.py")
    tree = parse_python(source, "conversion.py")
    assert [(node.lineno, node.end_lineno) for node in tree.body] == [(1, 3), (4, 5), (6, 6)]
    assert ast.unparse(tree.body[0]) == "a = f'{x!r}{y!s:>3}'"
    assert names(tree) >= {"x", "y"}


@pytest.mark.parametrize(
    "source",
    [
        'x = f"{a["k"]',  # unterminated f-string
        'x = f"{a["k"]}\ny = 1\n',  # line break in a single-quoted f-string
        "x = f'{}'\ny = f'{a['b']}'\n",  # empty field
        "x = f'{a!'\ny = f'{a['b']}'\n",  # conversion without its '}'
        "x = f'{a:{b'\n",  # unterminated format spec
        "x = f'{a:'b'}'\n",  # the delimiter inside a format spec
        "x = f'}'\ny = f'{a['b']}'\n",  # a lone '}'
        "x = f'\\N{DASH\n",  # unterminated named character
        "x = f'{a)}'\n",  # unmatched bracket inside a field
        "x = (1]\ny = f'{a['b']}'\n",  # mismatched brackets: ast refuses the rewrite
        "x = 'open\ny = f'{a['b']}'\n",  # unterminated string
        "x = '''open\n",  # unterminated triple-quoted string
        "x = (1\ny = f'{a['b']}'\n",  # unclosed bracket
        "x = 1)\n",  # unmatched closing bracket
    ],
)
def test_scanner_refuses_what_it_cannot_read(source: str) -> None:
    with pytest.raises(SyntaxError):
        parse_downgraded(source, "broken.py")
    with pytest.raises(SourceError, match=r"^syntax error: "):
        parse_python(source, "broken.py")


@pytest.mark.parametrize(
    "source",
    [
        "type X\n",  # not an alias: no '='
        "type X[T]\n",  # not an alias either
        "type X =\n",
        "try:\n    pass\nexcept A, B",  # no colon before the end
        "class C",  # no name or bracket after it
    ],
)
def test_scanner_rewrites_only_complete_constructs(source: str) -> None:
    with pytest.raises(SyntaxError):
        parse_downgraded(source, "soft.py")


# Generated newer-grammar programs: every statement keeps its line, and the tree is libcst's.

_NAMES = st.sampled_from(["x", "row", "items", "request.args", "db"])


@st.composite
def _fields(draw: st.DrawFn, quote: str, depth: int) -> str:
    """A replacement field valid under PEP 701, reusing ``quote`` inside where it can."""
    name = draw(_NAMES)
    expressions = [
        name,
        f"{name}[{quote}k{quote}]",
        f"{name}.get({quote}a{quote}, 1)",
        "'\\n'.join(items)",
        f"(\n{name}\n+ 1)",
    ]
    if depth < 1:
        expressions.append(draw(_fstrings(quote, depth + 1)))
    expression = draw(st.sampled_from(expressions))
    before = draw(st.sampled_from(["", " ", "\n    "]))
    after = draw(st.sampled_from(["", " ", "  # why\n", "\n"]))
    debug = draw(st.sampled_from(["", "=", " = "])) if "\n" not in before + after else ""
    conversion = draw(st.sampled_from(["", "!r"]))
    spec = draw(st.sampled_from(["", ":>10", f":{{{name}}}"]))
    return "{" + before + expression + after + debug + conversion + spec + "}"


@st.composite
def _fstrings(draw: st.DrawFn, quote: str, depth: int = 0) -> str:
    prefix = draw(st.sampled_from(["f", "rf", "F"]))
    pieces = draw(
        st.lists(
            st.sampled_from(["SELECT ", "a b", "{{", "}}", "-"]) | _fields(quote, depth), max_size=4
        )
    )
    return prefix + quote + "".join(pieces) + quote


_STATEMENTS = st.sampled_from(
    [
        "class R[\n    M: Base,  # the model\n    N: (int, str) = int,\n](Gen[M]):\n    pass",
        "def f[\n    T,\n](\n    x: T,\n) -> T:\n    return x",
        "type Y[\n    T,\n] = dict[\n    str, T]",
        "type Z = int",
        "def k[T](x=f'{\n    y  # c\n}'):\n    pass",
        'type A[T] = Annotated[T, f"{\n    z  # c\n}"]',
        "try:\n    pass\nexcept A, B:\n    pass",
        "x = (1,\n     2)",
    ]
) | st.builds("v = {}".format, st.sampled_from(['"', "'"]).flatmap(_fstrings))


@settings(max_examples=150, deadline=None)
@given(st.lists(_STATEMENTS, min_size=1, max_size=6), st.booleans())
def test_generated_newer_grammar_keeps_lines_without_libcst(
    statements: list[str], indented: bool
) -> None:
    lines = ["def outer():"] if indented else []
    markers = []
    for number, statement in enumerate(statements):
        lines += statement.split("\n")
        lines.append(f"marker_{number} = {number}")
        markers.append(len(lines))
    if indented:
        lines[1:] = ["    " + line for line in lines[1:]]
    source = "\n".join(lines) + "\n"
    try:
        expected = _dump(newsyntax.parse_rewritten(source, "generated.py"))
    except (libcst.ParserSyntaxError, SyntaxError):
        expected = None  # 3.11 cannot express every such f-string; nor can the rewrite
    event("libcst path refuses" if expected is None else "libcst path parses")
    original = libcst.parse_module
    libcst.parse_module = _refuse  # type: ignore[assignment]
    try:
        tree = parse_python(source, "generated.py")
    except SourceError:
        assert expected is None
        return
    finally:
        libcst.parse_module = original
    assert _dump(tree) == expected
    found = {
        node.targets[0].id: node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.startswith("marker_")
    }
    assert found == {f"marker_{number}": line for number, line in enumerate(markers)}
