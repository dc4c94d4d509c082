"""One parsed Python file: its dotted name, import table, top-level bindings and a node index."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from apismith.project.walk import children

Function = ast.FunctionDef | ast.AsyncFunctionDef

TEST_MARKERS = ("tests/", "test/", "testing/")


def is_test_path(relpath: str) -> bool:
    """Whether a file is test code, by the names pytest and unittest use."""
    name = relpath.rsplit("/", 1)[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(f"/{marker}" in f"/{relpath}" for marker in TEST_MARKERS)
    )


@dataclass(slots=True)
class NodeIndex:
    """Nodes of interest gathered in one walk, each with its enclosing function (or None)."""

    calls: list[tuple[ast.Call, Function | None]] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    function_owner: dict[int, Function | None] = field(default_factory=dict)
    method_class: dict[int, ast.ClassDef] = field(default_factory=dict)
    classes: list[ast.ClassDef] = field(default_factory=list)
    assigns: list[tuple[ast.Assign | ast.AnnAssign, Function | None]] = field(default_factory=list)
    compares: list[tuple[ast.Compare, Function | None]] = field(default_factory=list)
    dicts: list[ast.Dict] = field(default_factory=list)
    handlers: list[tuple[ast.ExceptHandler, Function | None]] = field(default_factory=list)
    returns: list[tuple[ast.Return, Function]] = field(default_factory=list)
    local_imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    loops: list[tuple[ast.For | ast.AsyncFor | ast.While | ast.comprehension, Function | None]] = (
        field(default_factory=list)
    )


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_ASSIGNS = (ast.Assign, ast.AnnAssign)
_IMPORTS = (ast.Import, ast.ImportFrom)
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.comprehension)
# Node types that hold no other node worth indexing: their children are not walked.
_LEAVES = (ast.Name, ast.Constant, ast.alias, ast.Pass)


def build_index(tree: ast.Module) -> NodeIndex:
    """Walk ``tree`` once and sort the interesting nodes into a :class:`NodeIndex`.

    The walk is the hot loop of loading a project, so it dispatches on the exact node type and
    reads children through :func:`~apismith.project.walk.children`, which skips markers.
    """
    index = NodeIndex()
    calls, assigns, compares = index.calls, index.assigns, index.compares
    stack: list[tuple[ast.AST, Function | None]] = [(tree, None)]
    pop, push = stack.pop, stack.append
    while stack:
        node, owner = pop()
        kind = type(node)
        if kind is ast.Call:
            calls.append((node, owner))  # type: ignore[arg-type]
        elif kind in _FUNCTIONS:
            function: Function = node  # type: ignore[assignment]
            index.functions.append(function)
            index.function_owner[id(function)] = owner
            for child in function.decorator_list:
                push((child, owner))
            push((function.args, owner))
            if function.returns is not None:
                push((function.returns, owner))
            for statement in function.body:
                push((statement, function))
            continue
        elif kind is ast.ClassDef:
            klass: ast.ClassDef = node  # type: ignore[assignment]
            index.classes.append(klass)
            for statement in klass.body:
                if type(statement) in _FUNCTIONS:
                    index.method_class[id(statement)] = klass
        elif kind in _ASSIGNS:
            assigns.append((node, owner))  # type: ignore[arg-type]
        elif kind is ast.Compare:
            compares.append((node, owner))  # type: ignore[arg-type]
        elif kind is ast.Dict:
            index.dicts.append(node)  # type: ignore[arg-type]
        elif kind is ast.ExceptHandler:
            index.handlers.append((node, owner))  # type: ignore[arg-type]
        elif kind in _IMPORTS:
            if owner is not None:
                index.local_imports.append(node)  # type: ignore[arg-type]
            continue
        elif kind is ast.Return and owner is not None:
            index.returns.append((node, owner))  # type: ignore[arg-type]
        elif kind in _LOOPS:
            index.loops.append((node, owner))  # type: ignore[arg-type]
        elif kind in _LEAVES:
            continue
        for part in children(node):
            push((part, owner))
    position = _position
    for found in (index.calls, index.assigns, index.compares, index.handlers, index.returns):
        found.sort(key=lambda item: position(item[0]))
    index.loops.sort(key=lambda item: position(item[0]))
    index.functions.sort(key=position)
    index.classes.sort(key=position)
    index.dicts.sort(key=position)
    index.local_imports.sort(key=position)
    return index


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


@dataclass(slots=True)
class Module:
    """A parsed file of the project and what it binds at top level."""

    path: Path
    relpath: str
    name: str
    source: str
    tree: ast.Module
    is_package: bool = False
    is_test: bool = False
    aliases: tuple[str, ...] = ()  # other dotted names the file may be imported by
    imports: dict[str, str] = field(default_factory=dict)
    bindings: dict[str, ast.AST] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    index: NodeIndex = field(default_factory=NodeIndex)
    _lines: list[str] | None = None
    _imported_roots: frozenset[str] | None = None

    @property
    def lines(self) -> list[str]:
        """Source lines, computed once."""
        if self._lines is None:
            self._lines = self.source.splitlines()
        return self._lines

    def line(self, number: int) -> str:
        """Text of a 1-based line, or an empty string past the end."""
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else ""

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        return self.name if self.is_package else self.name.rpartition(".")[0]

    def imports_any(self, *prefixes: str) -> bool:
        """Cheap guard: whether any import names one of ``prefixes`` (``"fastapi"``, ...)."""
        if self._imported_roots is None:
            roots: set[str] = set()
            for target in self.imports.values():
                parts = target.split(".")
                roots.update(".".join(parts[:cut]) for cut in range(1, len(parts) + 1))
            self._imported_roots = frozenset(roots)
        return not self._imported_roots.isdisjoint(prefixes)


def collect_bindings(module: Module) -> None:
    """Fill ``module.imports`` and ``module.bindings`` from its top-level statements.

    Imports inside functions count too, unless the name is bound at top level: a function
    that does ``import requests`` calls the same ``requests.get``.
    """
    for statement in _top_level(module.tree.body):
        _bind(module, statement)
    for statement in module.index.local_imports:
        for name, target in _imported(module, statement):
            if name not in module.bindings:
                module.imports.setdefault(name, target)


def _imported(module: Module, statement: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    if isinstance(statement, ast.Import):
        return [
            (alias.asname, alias.name) if alias.asname else (alias.name.partition(".")[0],) * 2
            for alias in statement.names
        ]
    base = _absolute(module, statement)
    return [
        (alias.asname or alias.name, f"{base}.{alias.name}" if base else alias.name)
        for alias in statement.names
        if alias.name != "*"
    ]


def _bind(module: Module, statement: ast.stmt) -> None:
    if isinstance(statement, ast.Import | ast.ImportFrom):
        module.imports.update(_imported(module, statement))
        if isinstance(statement, ast.ImportFrom) and any(a.name == "*" for a in statement.names):
            module.star_imports.append(_absolute(module, statement))
        return
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        module.bindings[statement.name] = statement
    elif isinstance(statement, ast.Assign):
        for target in statement.targets:
            if isinstance(target, ast.Name):
                module.bindings[target.id] = statement.value
    elif (
        isinstance(statement, ast.AnnAssign)
        and isinstance(statement.target, ast.Name)
        and statement.value is not None
    ):
        module.bindings[statement.target.id] = statement.value


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements, looking inside ``if``/``try`` blocks (TYPE_CHECKING, fallbacks)."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield from _top_level(statement.body)
            yield from _top_level(statement.orelse)
        elif isinstance(statement, ast.Try):
            yield from _top_level(statement.body)
            for handler in statement.handlers:
                yield from _top_level(handler.body)
        else:
            yield statement


def _absolute(module: Module, statement: ast.ImportFrom) -> str:
    if not statement.level:
        return statement.module or ""
    parts = module.package.split(".") if module.package else []
    if statement.level > 1:
        parts = parts[: len(parts) - (statement.level - 1)]
    if statement.module:
        parts.append(statement.module)
    return ".".join(parts)


def parameter_defaults(function: Function) -> Iterator[tuple[ast.arg, ast.expr]]:
    """A function's parameters that have a default value, with that value."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = arguments.defaults
    yield from zip(positional[len(positional) - len(defaults) :], defaults, strict=True)
    for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if default is not None:
            yield argument, default
