"""The whole project: its modules, and name resolution across them."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from apismith.project.module import Function, Module
from apismith.project.walk import walk

BUILTINS = frozenset(dir(builtins))
SESSION_FACTORIES = {
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.scoped_session": "sqlalchemy.orm.Session",
    "sqlalchemy.ext.asyncio.async_sessionmaker": "sqlalchemy.ext.asyncio.AsyncSession",
}
ASYNC_SESSIONS = (
    "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlmodel.ext.asyncio.session.AsyncSession",
)


def module_names(
    root: Path, path: Path, known: dict[Path, tuple[str, ...]] | None = None
) -> list[str]:
    """Dotted names a file may be imported by, the most likely first.

    Three readings count: the package chain (folders with ``__init__.py``, followed above
    ``root`` when the review starts inside a package), the path from ``root`` (namespace
    packages have no ``__init__.py``; a leading ``src`` is dropped), and that path under the
    root folder's own name. Arbitrary suffixes are not names: ``kit/sqlalchemy.py`` must not
    shadow the ``sqlalchemy`` package. ``known`` keeps the package chain of each folder seen,
    for the other files of a project.
    """
    parts = [*_package_chain(path.parent, {} if known is None else known)]
    if path.name != "__init__.py":
        parts.append(path.stem)
    try:
        relative = list(path.relative_to(root).with_suffix("").parts)
    except ValueError:
        relative = []
    if relative and relative[-1] == "__init__":
        relative.pop()
    if relative[:1] == ["src"] and len(relative) > 1:
        relative.pop(0)
    candidates = sorted(
        (".".join(parts), ".".join(relative), ".".join([root.name, *relative])),
        key=lambda name: -name.count("."),
    )
    names: list[str] = []
    for name in candidates:
        if name and name not in names:
            names.append(name)
    return names


def _package_chain(directory: Path, known: dict[Path, tuple[str, ...]]) -> tuple[str, ...]:
    """Names of the packages from the outermost one down to ``directory``."""
    found = known.get(directory)
    if found is None:
        found = ()
        if directory != directory.parent and _is_file(directory / "__init__.py"):
            found = (*_package_chain(directory.parent, known), directory.name)
        known[directory] = found
    return found


def last_name(node: ast.expr) -> str:
    """The last name of a dotted expression (``get`` for ``client.get``), else ``""``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system, say
        return False


@dataclass(slots=True)
class Scope:
    """Types of the local names of one function, as far as they can be told statically."""

    types: dict[str, str] = field(default_factory=dict)


class Project:
    """Every analysed module, with resolution of names to fully qualified ones."""

    def __init__(self, root: Path, modules: list[Module]) -> None:
        self.root = root
        self.modules = modules
        self.by_name: dict[str, Module] = {module.name: module for module in modules}
        aliases: dict[str, list[Module]] = {}
        for module in modules:
            for alias in module.aliases:
                aliases.setdefault(alias, []).append(module)
        for alias, owners in aliases.items():
            if len(owners) == 1:
                self.by_name.setdefault(alias, owners[0])
        self._scopes: dict[int, Scope] = {}
        self._canonical: dict[str, str] = {}
        self._definitions: dict[str, tuple[Module, ast.AST] | None] = {}
        self._owners: dict[int, Module] = {}
        self._spellings: dict[frozenset[str], frozenset[str]] = {}
        # Every call of the project by the last name of its callee, with its place in order.
        self._spelled: dict[str, list[tuple[int, Module, ast.Call, Function | None]]] | None = None
        for module in modules:
            for function in module.index.functions:
                self._owners[id(function)] = module

    # -- names ---------------------------------------------------------------------------------

    def canonical(self, qualname: str) -> str:
        """Follow re-exports so that a name imported through a package names its definition."""
        found = self._canonical.get(qualname)
        if found is None:
            found = self._canonical[qualname] = self._follow(qualname, 0)
        return found

    def _follow(self, qualname: str, depth: int) -> str:
        if depth > 12:
            return qualname
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self.by_name.get(".".join(parts[:cut]))
            if module is None:
                continue
            head, rest = parts[cut], parts[cut + 1 :]
            target = module.imports.get(head)
            if target is not None and head not in module.bindings:
                return self._follow(".".join([target, *rest]), depth + 1)
            if head not in module.bindings:
                for star in module.star_imports:
                    source = self.by_name.get(star)
                    if source is not None and (
                        head in source.bindings or head in source.imports or source.star_imports
                    ):
                        found = self._follow(".".join([star, head, *rest]), depth + 1)
                        if self.lookup_exact(found) is not None or head in source.imports:
                            return found
            return ".".join([module.name, head, *rest])
        module = self.by_name.get(qualname)
        return module.name if module is not None else qualname

    def spellings(self, qualnames: frozenset[str]) -> frozenset[str]:
        """The last names a call of one of ``qualnames`` can be written with: their own, and
        the local names the project's imports give them (``from random import choice as
        pick``). A call whose last name is not among them cannot resolve to one: rules use
        this to skip resolving most calls."""
        found = self._spellings.get(qualnames)
        if found is None:
            renamed = {
                local
                for module in self.modules
                for local, target in module.imports.items()
                if self.canonical(target) in qualnames
            }
            found = frozenset(name.rpartition(".")[2] for name in qualnames) | renamed
            self._spellings[qualnames] = found
        return found

    def calls_spelled(self, names: Iterable[str]) -> list[tuple[Module, ast.Call, Function | None]]:
        """Every call of the project (with its module and calling function) whose callee's last
        name is one of ``names``, in the project's order: module by module, in source order."""
        if self._spelled is None:
            self._spelled = {}
            order = 0
            for module in self.modules:
                for call, owner in module.index.calls:
                    entry = (order, module, call, owner)
                    self._spelled.setdefault(last_name(call.func), []).append(entry)
                    order += 1
        found = sorted(entry for name in set(names) for entry in self._spelled.get(name, ()))
        return [(module, call, owner) for _, module, call, owner in found]

    def resolve(self, module: Module, node: ast.expr, scope: Scope | None = None) -> str | None:
        """Qualified name an expression refers to (``requests.get``, ``app.db.get_db``).

        A method on a local or module-level value resolves through the value's type:
        ``client.get`` with ``client = httpx.Client()`` is ``httpx.Client.get``.
        """
        if isinstance(node, ast.Name):
            if scope is not None and node.id in scope.types:
                return scope.types[node.id]
            if node.id in module.imports:
                return self.canonical(module.imports[node.id])
            if node.id in module.bindings:
                return f"{module.name}.{node.id}"
            return node.id if node.id in BUILTINS else None
        if isinstance(node, ast.Attribute):
            base_type = self.type_of(module, node.value, scope)
            if base_type is not None:
                return f"{base_type}.{node.attr}"
            base = self.resolve(module, node.value, scope)
            return self.canonical(f"{base}.{node.attr}") if base is not None else None
        return None

    def type_of(
        self, module: Module, node: ast.expr, scope: Scope | None = None, depth: int = 0
    ) -> str | None:
        """Qualified name of the class of an expression's value, when it can be told."""
        if depth > 12:
            return None
        if isinstance(node, ast.Await):
            return self.type_of(module, node.value, scope, depth + 1)
        if isinstance(node, ast.Call):
            return self.call_result_type(module, node, scope)
        if isinstance(node, ast.Name):
            if scope is not None and node.id in scope.types:
                return scope.types[node.id]
            if node.id in module.imports:
                found = self.lookup(self.canonical(module.imports[node.id]))
                if found is not None and not isinstance(found[1], ast.ClassDef | Function):
                    return self.type_of(found[0], found[1], None, depth + 1)  # type: ignore[arg-type]
                return None
            value = module.bindings.get(node.id)
            if isinstance(value, ast.Call):
                return self.call_result_type(module, value, None)
        return None

    def call_result_type(self, module: Module, call: ast.Call, scope: Scope | None) -> str | None:
        """Type a call returns: a class for a constructor, a session for a session factory."""
        callee = self.resolve(module, call.func, scope)
        if callee is None:
            return None
        found = self.lookup(callee)
        if found is None:
            return SESSION_FACTORIES.get(callee, callee)
        owner, definition = found
        if isinstance(definition, ast.ClassDef):
            return callee
        if isinstance(definition, Function):
            return self.annotation_type(owner, definition.returns)
        if isinstance(definition, ast.Call):
            factory = self.resolve(owner, definition.func)
            if factory in SESSION_FACTORIES:
                for keyword in definition.keywords:
                    if keyword.arg == "class_":
                        return self.resolve(owner, keyword.value)
                return SESSION_FACTORIES[factory]
        return None

    def annotation_type(self, module: Module, annotation: ast.expr | None) -> str | None:
        """Class an annotation names, seeing through ``Annotated``, ``Optional``, ``| None``."""
        if annotation is None:
            return None
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            for side in (annotation.left, annotation.right):
                if not (isinstance(side, ast.Constant) and side.value is None):
                    return self.annotation_type(module, side)
        if isinstance(annotation, ast.Subscript):
            outer = self.resolve(module, annotation.value)
            inner = annotation.slice
            if outer in {"typing.Annotated", "typing_extensions.Annotated", "typing.Optional"}:
                first = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
                return self.annotation_type(module, first)
            if outer in {"typing.AsyncGenerator", "typing.Generator", "typing.AsyncIterator"} or (
                outer in {"collections.abc.AsyncGenerator", "collections.abc.Generator"}
                or outer in {"collections.abc.AsyncIterator", "collections.abc.Iterator"}
                or outer == "typing.Iterator"
            ):
                first = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
                return self.annotation_type(module, first)
            return None
        resolved = self.resolve(module, annotation)
        if resolved is not None:
            alias = self.lookup(resolved)
            if alias is not None and isinstance(alias[1], ast.Subscript):
                return self.annotation_type(alias[0], alias[1])
        return resolved

    def lookup(self, qualname: str) -> tuple[Module, ast.AST] | None:
        """The definition a qualified name denotes inside the project, if any."""
        return self.lookup_exact(self.canonical(qualname))

    def lookup_exact(self, qualname: str) -> tuple[Module, ast.AST] | None:
        """Like :meth:`lookup` for a name that is already canonical."""
        if qualname not in self._definitions:
            self._definitions[qualname] = self._definition(qualname)
        return self._definitions[qualname]

    def _definition(self, qualname: str) -> tuple[Module, ast.AST] | None:
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self.by_name.get(".".join(parts[:cut]))
            if module is None:
                continue
            node = module.bindings.get(parts[cut])
            for attribute in parts[cut + 1 :]:
                if not isinstance(node, ast.ClassDef):
                    return None
                node = _class_member(node, attribute)
            return (module, node) if node is not None else None
        return None

    # -- functions -----------------------------------------------------------------------------

    def module_of(self, function: Function) -> Module:
        """The module a function node belongs to."""
        return self._owners[id(function)]

    def scope(self, function: Function) -> Scope:
        """Local types of a function: annotated parameters, constructor assignments, ``with``."""
        cached = self._scopes.get(id(function))
        if cached is not None:
            return cached
        module = self.module_of(function)
        scope = Scope()
        self._scopes[id(function)] = scope
        arguments = function.args
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            found = self.annotation_type(module, argument.annotation)
            if found is not None:
                scope.types[argument.arg] = found
        for node in walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
                annotated = self.annotation_type(module, node.annotation)
                if annotated is not None and isinstance(target, ast.Name):
                    scope.types[target.id] = annotated
                    continue
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                target, value = node.optional_vars, node.context_expr
            else:
                continue
            if isinstance(target, ast.Name) and isinstance(value, ast.Call | ast.Await):
                found = self.type_of(module, value, scope)
                if found is not None:
                    scope.types[target.id] = found
        return scope

    def function(self, qualname: str | None) -> tuple[Module, Function] | None:
        """The project function a qualified name denotes."""
        if qualname is None:
            return None
        found = self.lookup(qualname)
        if found is not None and isinstance(found[1], Function):
            return found[0], found[1]
        return None

    def is_async_session(self, type_name: str | None) -> bool:
        """Whether a type names an asyncio SQLAlchemy session."""
        return type_name is not None and (
            type_name in ASYNC_SESSIONS or type_name.endswith(".AsyncSession")
        )


def _class_member(node: ast.ClassDef, name: str) -> ast.AST | None:
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if statement.name == name:
                return statement
        elif isinstance(statement, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
                return statement.value
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.target.id == name
        ):
            return statement.value if statement.value is not None else statement
    return None
