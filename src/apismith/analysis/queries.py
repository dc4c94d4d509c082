"""What a database query looks like to the performance rules.

:class:`Queries` unfolds ``db.query(M).filter(...).all()`` or
``(await s.execute(select(M))).scalars().all()`` into its model, methods and options;
:func:`loops` and :func:`returned_nodes` tell what a function iterates and returns.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from apismith.analysis.blocking import own_nodes
from apismith.analysis.blocking_catalogue import SELECTS, STATEMENT_METHODS
from apismith.project.module import Function, Module
from apismith.project.project import Project
from apismith.project.walk import walk

ENTITY_ROOTS = frozenset({"query", "scalars", "exec", "stream_scalars", "model"})
LOADERS = frozenset(
    {"selectinload", "joinedload", "subqueryload", "contains_eager", "immediateload", "raiseload"}
)
LIMITS = frozenset(
    {
        "limit",
        "slice",
        "first",
        "one",
        "one_or_none",
        "scalar",
        "scalar_one",
        "scalar_one_or_none",
        "fetchone",
        "fetchmany",
        "get",
        "count",
        "exists",
        "paginate",
    }
)
FILTERS = frozenset({"where", "filter", "filter_by", "join"})
AGGREGATES = frozenset({"len", "bool", "any", "all", "sum", "min", "max", "isinstance"})
ACTIVE_RECORD = ("tortoise.", "ormar.", "beanie.", "odmantic.")


@dataclass(slots=True)
class Query:
    """A database query expression unfolded from its result back to its session and model.

    ``root`` is how the query starts (``query``, ``execute``, ``scalars``, ``exec``, ``select``,
    or ``model`` for ``Todo.all()`` style ORMs); ``methods`` every method applied to statement
    and result (``calls`` their nodes), ``after`` those applied to the session call's result;
    ``loaded`` the attributes named by eager-loading options (``unknown_options`` when options
    are built elsewhere).
    """

    root: str | None = None
    model: str | None = None
    session: ast.expr | None = None
    calls: list[ast.Call] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    loaded: set[str] = field(default_factory=set)
    unknown_options: bool = False

    @property
    def entities(self) -> bool:
        """Whether iterating the result yields model instances."""
        return self.model is not None and (self.root in ENTITY_ROOTS or "scalars" in self.after)

    @property
    def limited(self) -> bool:
        """Whether the query returns a bounded number of rows."""
        return any(method in LIMITS for method in self.methods)

    @property
    def filtered(self) -> bool:
        """Whether the query has a ``where``/``filter``/``join``."""
        return any(method in FILTERS for method in self.methods)

    def loads(self, attribute: str) -> bool:
        """Whether an eager-loading option covers ``attribute`` (or may, when unreadable)."""
        return self.unknown_options or attribute in self.loaded or "*" in self.loaded


class Queries:
    """Unfolds query expressions, following local assignments (``stmt = select(M)...``)."""

    def __init__(self, project: Project, orm_models: frozenset[str]) -> None:
        self.project = project
        self.orm_models = orm_models
        self._assigned: dict[int, dict[str, list[ast.expr]]] = {}

    def unfold(self, module: Module, function: Function | None, node: ast.expr) -> Query | None:
        """The query ``node`` evaluates to, or None when it is not a recognisable query."""
        query = Query()
        self._walk(module, function, node, query, [], set(), 0)
        return query if query.root is not None else None

    def assigned(self, function: Function | None) -> dict[str, list[ast.expr]]:
        """Values assigned to each local name of ``function``."""
        if function is None:
            return {}
        cached = self._assigned.get(id(function))
        if cached is None:
            cached = {}
            for node in own_nodes(function):
                if isinstance(node, ast.Assign):
                    targets, value = node.targets, node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    targets, value = [node.target], node.value
                else:
                    continue
                for target in targets:
                    if isinstance(target, ast.Name):
                        cached.setdefault(target.id, []).append(value)
            self._assigned[id(function)] = cached
        return cached

    def model(self, module: Module, node: ast.expr) -> str | None:
        """The ORM model class an expression names."""
        name = self.project.resolve(module, node)
        if name is None:
            return None
        name = self.project.canonical(name)
        return name if name in self.orm_models else None

    def _walk(
        self,
        module: Module,
        function: Function | None,
        node: ast.expr,
        query: Query,
        pending: list[str],
        seen: set[int],
        depth: int,
    ) -> None:
        if depth > 24:
            return
        if isinstance(node, ast.Await):
            self._walk(module, function, node.value, query, pending, seen, depth + 1)
        elif isinstance(node, ast.Name):
            values = self.assigned(function).get(node.id)
            if values is None:
                self._active_record(module, node, query)
            for value in values or ():
                if id(value) not in seen:
                    seen.add(id(value))
                    self._walk(module, function, value, query, pending, seen, depth + 1)
        elif isinstance(node, ast.Attribute):
            self._walk(module, function, node.value, query, pending, seen, depth + 1)
        elif isinstance(node, ast.Call):
            self._call(module, function, node, query, pending, seen, depth)

    def _call(
        self,
        module: Module,
        function: Function | None,
        call: ast.Call,
        query: Query,
        pending: list[str],
        seen: set[int],
        depth: int,
    ) -> None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            if self.project.resolve(module, func) in SELECTS:
                query.root = query.root or "select"
                if len(call.args) == 1 and query.model is None:
                    query.model = self.model(module, call.args[0])
            return
        method = func.attr
        query.methods.append(method)
        query.calls.append(call)
        if method == "options":
            self.read_options(call, query)
        if query.root is None and method == "query" and call.args:
            query.root, query.session, query.after = "query", func.value, list(pending)
            if len(call.args) == 1:
                query.model = self.model(module, call.args[0])
            return
        if query.root is None and method in STATEMENT_METHODS and call.args:
            query.root, query.session, query.after = method, func.value, list(pending)
            self._walk(module, function, call.args[0], query, [], seen, depth + 1)
            return
        self._walk(module, function, func.value, query, [*pending, method], seen, depth + 1)

    def read_options(self, call: ast.Call, query: Query) -> None:
        """Record in ``query`` the attributes an ``.options(...)`` call loads eagerly."""
        for argument in call.args:
            if not isinstance(argument, ast.Call):
                query.unknown_options = True
                continue
            for node in walk(argument):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name not in LOADERS:
                    continue
                for inner in (*node.args, *(k.value for k in node.keywords)):
                    for part in walk(inner):
                        if isinstance(part, ast.Attribute):
                            query.loaded.add(part.attr)
                        elif isinstance(part, ast.Constant) and isinstance(part.value, str):
                            query.loaded.add(part.value)

    def _active_record(self, module: Module, node: ast.Name, query: Query) -> None:
        """``Todo.all()`` / ``Todo.objects.all()`` of Tortoise, ormar, Beanie or ODMantic."""
        name = self.project.resolve(module, node)
        found = self.project.lookup(name) if name else None
        if (
            found is not None
            and isinstance(found[1], ast.ClassDef)
            and self._inherits(found[0], found[1], ACTIVE_RECORD, 0)
        ):
            query.root = query.root or "model"
            query.model = query.model or self.project.canonical(name or "")
            query.after = query.after or list(query.methods)

    def _inherits(
        self, module: Module, node: ast.ClassDef, prefixes: tuple[str, ...], depth: int
    ) -> bool:
        for base in node.bases:
            name = self.project.resolve(module, base) or ""
            if name.startswith(prefixes):
                return True
            found = self.project.lookup(name) if name and depth < 10 else None
            if (
                found is not None
                and isinstance(found[1], ast.ClassDef)
                and found[1] is not node
                and self._inherits(found[0], found[1], prefixes, depth + 1)
            ):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Loop:
    """A ``for`` statement or one ``for`` clause of a comprehension: what it iterates, its
    target, and the nodes that run once per item."""

    node: ast.AST
    iter: ast.expr
    target: ast.expr
    body: tuple[ast.AST, ...]


def loops(function: Function) -> Iterator[Loop]:
    """The loops of ``function``'s own body (``while`` loops aside)."""
    for node in own_nodes(function):
        if isinstance(node, ast.For | ast.AsyncFor):
            yield Loop(node, node.iter, node.target, tuple(node.body))
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            elements = (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)
            for index, generator in enumerate(node.generators):
                later = [g.iter for g in node.generators[index + 1 :]]
                tests = [test for g in node.generators[index:] for test in g.ifs]
                yield Loop(node, generator.iter, generator.target, (*elements, *later, *tests))


def returned_nodes(function: Function) -> frozenset[int]:
    """Ids of the nodes whose value may be (part of) what ``function`` returns: return values
    and the values of the names they use (assigned, appended, iterated), outside ``len()`` and
    other aggregates. Computed once per function, kept on its node."""
    cached: frozenset[int] | None = function.__dict__.get(_RETURNED)
    if cached is None:
        cached = frozenset(_returned_nodes(function))
        setattr(function, _RETURNED, cached)
    return cached


_RETURNED = "_apismith_returned_nodes"


def _returned_nodes(function: Function) -> set[int]:
    nodes = own_nodes(function)
    values: list[ast.expr] = [n.value for n in nodes if isinstance(n, ast.Return) and n.value]
    assigned: dict[str, list[ast.expr]] = {}
    for node in nodes:
        pairs: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            pairs = [(node.target, node.iter)]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"append", "extend", "add", "update"}
            and node.args
        ):
            pairs = [(node.func.value, node.args[0])]
        for target, value in pairs:
            for name in walk(target):
                if isinstance(name, ast.Name):
                    assigned.setdefault(name.id, []).append(value)
    found: set[int] = set()
    names: set[str] = set()
    while values:
        value = values.pop()
        for node in _visible(value):
            found.add(id(node))
            if isinstance(node, ast.Name) and node.id not in names:
                names.add(node.id)
                values.extend(assigned.get(node.id, []))
    return found


def _visible(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of an expression, not descending into ``len(...)`` and other aggregates."""
    yield node
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in AGGREGATES
    ):
        return
    for child in ast.iter_child_nodes(node):
        yield from _visible(child)
