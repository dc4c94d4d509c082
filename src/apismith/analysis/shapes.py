"""The shapes of calls and strings the taint analysis reads: a call's arguments, a shell
command's program, a redirect's ``Location``, the constant and dynamic parts of a string."""

from __future__ import annotations

import ast
from collections.abc import Callable

from apismith.analysis import sinks as S
from apismith.project.module import Module
from apismith.project.project import Project
from apismith.project.walk import walk

# Keywords of Query(), Field() and constr() that make FastAPI check a value against a pattern.
PATTERN_KEYWORDS = frozenset({"pattern", "regex"})


def nodes_in(statement: ast.stmt) -> list[ast.AST]:
    """Nodes of a statement itself, not of the blocks nested in it."""
    roots: list[ast.AST]
    if isinstance(statement, ast.If | ast.While):
        roots = [statement.test]
    elif isinstance(statement, ast.For | ast.AsyncFor):
        roots = [statement.iter]
    elif isinstance(statement, ast.With | ast.AsyncWith):
        roots = [item.context_expr for item in statement.items]
    elif isinstance(statement, ast.Try | ast.Match):
        roots = [statement.subject] if isinstance(statement, ast.Match) else []
    else:
        roots = [statement]
    if len(roots) == 1:
        return walk(roots[0])
    return [node for root in roots for node in walk(root)]


def argument(node: ast.Call, position: int, keyword: str | None) -> ast.expr | None:
    if len(node.args) > position:
        return node.args[position]
    return next((k.value for k in node.keywords if k.arg == keyword), None)


def shell(node: ast.Call) -> bool:
    return any(
        k.arg == "shell" and not (isinstance(k.value, ast.Constant) and not k.value.value)
        for k in node.keywords
    )


def split_text(node: ast.expr, resolve: Callable[[ast.expr], str | None]) -> ast.expr | None:
    """The string ``text.split()`` or ``shlex.split(text)`` splits into an argument vector."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if resolve(func) == "shlex.split":
        return node.args[0] if node.args else None
    if isinstance(func, ast.Attribute) and func.attr == "split":
        return func.value
    return None


def exec_command(node: ast.Call) -> ast.expr | None:
    """The dangerous argument of an exec-style call: its program, or a shell's ``-c`` command."""
    if node.args and not isinstance(node.args[0], ast.Starred):
        return command_of(node.args)
    return argument(node, 0, "program")


def command_of(elements: list[ast.expr]) -> ast.expr | None:
    """The program of an argument vector, or the command of ``sh -c COMMAND``."""
    if not elements:
        return None
    program = elements[0]
    if isinstance(program, ast.Constant) and program.value in S.SHELLS:
        for position, element in enumerate(elements[1:-1], start=1):
            if isinstance(element, ast.Constant) and element.value == "-c":
                return elements[position + 1]
    return program


def location_header(node: ast.Call) -> ast.expr | None:
    """The ``Location`` of a response built with ``headers={"Location": ...}``."""
    headers = argument(node, 2, "headers")
    if not isinstance(headers, ast.Dict):
        return None
    for key, value in zip(headers.keys, headers.values, strict=True):
        if isinstance(key, ast.Constant) and str(key.value).lower() == "location":
            return value
    return None


def is_location(target: ast.expr) -> bool:
    """``response.headers["Location"]`` as an assignment target."""
    return (
        isinstance(target, ast.Subscript)
        and isinstance(target.value, ast.Attribute)
        and target.value.attr == "headers"
        and isinstance(target.slice, ast.Constant)
        and str(target.slice.value).lower() == "location"
    )


def html_media(node: ast.Call) -> bool:
    """Whether a ``Response`` is declared as HTML."""
    media = argument(node, 3, "media_type")
    return (
        isinstance(media, ast.Constant)
        and isinstance(media.value, str)
        and media.value.lower().startswith("text/html")
    )


def template_engine(callee: str) -> bool:
    """Whether ``.from_string`` belongs to a template engine that is not sandboxed."""
    if "Sandbox" in callee:
        return False
    return not callee or callee.startswith(
        ("jinja2.", "fastapi.templating.", "starlette.templating.")
    )


def renders(project: Project, module: Module, node: ast.expr) -> bool:
    """Whether a returned value is a response or a rendered template, checked elsewhere."""
    if not isinstance(node, ast.Call):
        return False
    callee = project.resolve(module, node.func) or ""
    if isinstance(node.func, ast.Attribute):
        callee = callee or node.func.attr
    return callee.endswith("Response") or callee.rpartition(".")[2] in {"render", "render_async"}


def string_parts(node: ast.expr) -> list[str | ast.expr]:
    """A string expression as its constant texts and dynamic values, left to right."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [
            v.value if isinstance(v, ast.FormattedValue) else constant_text(v) for v in node.values
        ]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*string_parts(node.left), *string_parts(node.right)]
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mod)
        and isinstance(node.left, ast.Constant)
        and isinstance(node.left.value, str)
    ):
        return [node.left.value.partition("%")[0], node.right]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return [
            node.func.value.value.partition("{")[0],
            *node.args,
            *(k.value for k in node.keywords),
        ]
    return [node]


def strips_separators(node: ast.Call) -> bool:
    """``name.replace("/", "")`` or ``.replace(".", "")``: no path can climb out after it."""
    return (
        isinstance(node.func, ast.Attribute)
        and node.func.attr == "replace"
        and len(node.args) == 2
        and all(isinstance(a, ast.Constant) for a in node.args)
        and getattr(node.args[0], "value", None) in {".", "/"}
        and getattr(node.args[1], "value", None) == ""
    )


def constant_text(node: ast.expr) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def builds_text(node: ast.expr | None) -> bool:
    """Whether an ``execute()`` argument is SQL text rather than a statement object.

    A call counts as text only when it builds a string (``"...".format()``, ``str()``,
    ``"".join()``); ``select(...)`` or ``CreateSchema(name)`` render their values themselves.
    """
    if not isinstance(node, ast.Call):
        return node is not None
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in S.STRING_METHODS
    return isinstance(func, ast.Name) and func.id == "str"


def pattern_checked(annotation: ast.expr | None, default: ast.expr | None) -> bool:
    """Whether a parameter is validated against a regular expression before the handler runs:
    ``Query(pattern=...)``, ``Field(pattern=...)``, ``constr(pattern=...)``, annotated-types'
    ``Predicate``."""
    for root in (annotation, default):
        if root is None:
            continue
        for node in walk(root):
            if isinstance(node, ast.Call) and (
                any(k.arg in PATTERN_KEYWORDS for k in node.keywords)
                or (isinstance(node.func, ast.Name | ast.Attribute) and called(node) == "Predicate")
            ):
                return True
    return False


def called(node: ast.Call) -> str:
    func = node.func
    return (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )
