"""
## What it does
Finds database queries run once per iteration of a loop or comprehension: `session.get`,
`execute`, `scalar`, `scalars`, `exec` or `query(...)` on a SQLAlchemy / SQLModel session (sync
or async), a DB-API `cursor.execute`, a MongoDB `find_one` / `find` / `count_documents`
(pymongo or motor), a Tortoise or ormar `Model.get(...)` / `Model.filter(...)` or
`fetch_related(...)`, or a project function named `get_*`, `fetch_*`,
`find_*`, `load_*` or `read_*` that queries the database itself. In a loop over rows, any
project function that runs a query and whose value the loop uses counts too
(`repo.balance(account.id)`).

## Why is this bad?
A loop over N rows costs N round trips to the database instead of one (CWE-1073): the
endpoint's latency grows with the data and the database spends its time on connection
overhead. A client who sends a long list can make one request very expensive too.

## Known problems
What the loop walks decides the finding. Rows (a query result, a relationship collection such
as `case.participants`, the rows of a cursor or an uploaded CSV file) make a real N+1,
reported with medium severity. A list the caller sends (`ids: list[int]`, `basket.items`) is
reported with low severity: its size is bounded by the request. Not reported: lists declared
with a `max_length` of at most 20 (`Query(max_length=10)`, `Field(max_length=20)`); lookups of
the caller's references collected into a relationship of the record being written
(`case.tags = [get_tag(t) for t in case_in.tags]`, `Service(filters=filters)`,
`product.medias.append(...)`); literal tuples, `range()` of constants, module-level, imported
or settings constants and enums; loops that `return` or `break` at the first hit (searches);
queries that do not depend on the loop variable; `session.add` (batched at flush); calls made
only for their effect, and helpers named like writes (`upsert`, `create_or_update_*`); and
queries that already take a batch (`.in_(chunk)`). A loop that returns early only on an error
path is taken for a search too. `while` loops, which usually page through results, are not
checked. Only functions that run while a request is handled are checked: path operations,
their dependencies and the project functions they call or hand to a background task; workers,
schedulers and command-line tools are not, and neither is a function reached only through a
call the project model cannot resolve.

## Example
```python
from fastapi import FastAPI
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

app = FastAPI()


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)


@app.post("/users/lookup")
def lookup(ids: list[int], db: Session):
    return [db.get(User, user_id) for user_id in ids]
```

## Use instead
```python
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

app = FastAPI()


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)


@app.post("/users/lookup")
def lookup(ids: list[int], db: Session):
    return db.scalars(select(User).where(User.id.in_(ids))).all()
```

## Fix safety
No automatic fix: fetch all rows in one query before the loop (`where(M.id.in_(ids))`,
a join, or `selectinload`) and look them up in a dict.

## References
- https://docs.sqlalchemy.org/en/20/orm/queryguide/select.html
- https://cwe.mitre.org/data/definitions/1073.html
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator

from apismith.analysis.blocking import (
    BlockingCalls,
    Frame,
    immediate_calls,
    mapped_classes,
    offline,
    own_nodes,
    short,
)
from apismith.analysis.blocking_catalogue import DATABASE, SESSION_QUERIES
from apismith.analysis.origins import BOUNDED, DATA, INPUT, OTHER, Origins, unwrap
from apismith.analysis.queries import (
    Loop,
    Queries,
    loops,
)
from apismith.findings import Confidence, Severity
from apismith.project.classes import ClassCatalog
from apismith.project.module import Function, Module
from apismith.project.walk import walk
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

DBAPI_LABELS = frozenset({"DB-API connection", "synchronous SQLAlchemy connection"})
READER = re.compile(r"^_*(get|fetch|find|load|read)(_|$)")
WRITER = re.compile(r"(^|_)(create|update|upsert|delete|remove|save|add|insert|set)(_|$)")
DOCUMENT_READS = frozenset({"find_one", "find", "count_documents", "aggregate", "distinct"})
DOCUMENT_CLIENTS = ("pymongo.", "motor.")
ACTIVE_RECORD_READS = frozenset(
    {"get", "get_or_none", "filter", "all", "first", "exclude", "count", "exists", "find_one"}
)
QUERY_METHODS = DOCUMENT_READS | ACTIVE_RECORD_READS | {"fetch_related"}
BATCHES = re.compile(r"batch|chunk|page", re.IGNORECASE)


class QueryInLoop(Rule):
    id = "PERF003"
    name = "query-in-loop"
    family = "performance"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 1073
    fix_title = "Fetch the rows in one query before the loop (`.in_(ids)`, a join) instead."
    shares = "blocking"
    requires = ()

    def check_project(self, context: Context) -> Iterable[Report]:
        finder = _Finder(context.blocking, context.classes)
        for module in context.project.modules:
            if module.is_test or not module.index.loops or offline(module):
                continue
            owners = {id(owner) for _, owner in module.index.loops if owner is not None}
            for function in module.index.functions:
                if id(function) in owners and id(function) in context.request_functions:
                    yield from finder.check(module, function)


class _Finder:
    """Tells which calls query the database, through project reader functions."""

    def __init__(self, analysis: BlockingCalls, classes: ClassCatalog) -> None:
        self.analysis = analysis
        self.models = mapped_classes(classes)
        self.queries = Queries(analysis.project, frozenset())
        self._queries: dict[int, bool] = {}
        self.origins = Origins(
            self.queries,
            classes,
            lambda module, function, call: analysis.callee(analysis.frame(module, function), call),
            self._queries_inside,
            lambda module, function, call: self._direct(analysis.frame(module, function), call),
        )

    def check(self, module: Module, function: Function) -> Iterator[Report]:
        """Queries run inside the loops of one function."""
        innermost: dict[int, tuple[ast.Call, Loop, str]] = {}
        for loop in loops(function):
            if self._small(module, function, loop) or _searches(loop):
                continue
            origin = self.origins.of(module, function, loop.iter)
            if origin == BOUNDED:
                continue
            varying = _varying_names(loop)
            for part in loop.body:
                dependent = {
                    id(inner)
                    for outer in walk(part)
                    if isinstance(outer, ast.Call) and _uses(outer, varying)
                    for inner in walk(outer)
                }
                for node in walk(part):
                    if (
                        isinstance(node, ast.Call)
                        and (origin in {DATA, INPUT} or _candidate(node))
                        and id(node) in dependent
                    ):
                        innermost[id(node)] = (node, loop, origin)
        if not innermost:
            return
        frame = self.analysis.frame(module, function)
        discarded = _discarded(function)

        def is_model(func: ast.expr) -> bool:
            name = self.analysis.project.resolve(module, func, frame.scope)
            return name is not None and self.analysis.project.canonical(name) in self.models

        reported: set[int] = set()
        for call, loop, origin in sorted(innermost.values(), key=lambda item: item[0].lineno):
            if id(loop) in reported:
                continue  # one finding per loop: the first query names the problem
            direct = self._direct(frame, call)
            reads = origin in {DATA, INPUT} and id(call) not in discarded
            if origin == INPUT and _sets_relationship(function, loop, call, is_model):
                continue  # resolving the references of the record being written
            if (direct or self._reader(frame, call, reads)) and not _batched(call):
                reported.add(id(loop))
                yield self._report(module, function, call, loop, origin, direct)

    def _small(self, module: Module, function: Function, loop: Loop) -> bool:
        """Loops over collections fixed by the code: literals, constants, enums, batches."""
        walked = unwrap(loop.iter)
        return (
            _batches(loop.iter)
            or _small_constant(module, self.queries.assigned(function), walked)
            or self._enumeration(module, walked)
            or _module_constant(module, function, walked)
        )

    @staticmethod
    def _report(
        module: Module, function: Function, call: ast.Call, loop: Loop, origin: str, direct: bool
    ) -> Report:
        what = f"`{short(call.func)}`" + ("" if direct else " (which queries the database)")
        items = {
            DATA: f"row of `{short(loop.iter)}`",
            INPUT: f"item of `{short(loop.iter)}` the caller sends",
        }.get(origin, f"iteration of the loop over `{short(loop.iter)}`")
        return Report(
            module,
            call,
            f"{what} runs a database query on every {items} in `{function.name}` (N+1 queries)",
            severity=Severity.LOW if origin == INPUT else None,
            confidence=None if direct and origin != OTHER else Confidence.LOW,
        )

    def _reader(self, frame: Frame, call: ast.Call, reads: bool) -> bool:
        """Whether ``call`` runs a project function named like a reader that queries, or
        (``reads``: its value is used in a loop over rows) any function that queries itself."""
        target = self.analysis.callee(frame, call)
        if target is None or WRITER.search(target[1].name):
            return False  # `get_or_create`, `upsert`, `create_or_update_role`: writes
        if READER.match(target[1].name):
            return self._queries_inside(target[0], target[1])
        if not reads:
            return False
        inner = self.analysis.frame(*target)
        return any(
            self._direct(inner, node) for node in immediate_calls(target[1], awaited_too=True)
        )

    def _enumeration(self, module: Module, node: ast.expr) -> bool:
        """Whether a loop walks the members of a class (an ``Enum``)."""
        if not isinstance(node, ast.Name | ast.Attribute):
            return False
        found = self.analysis.project.lookup(self.analysis.project.resolve(module, node) or "")
        return found is not None and isinstance(found[1], ast.ClassDef)

    def _direct(self, frame: Frame, call: ast.Call) -> bool:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return False
        if func.attr in SESSION_QUERIES and self.analysis.session_call(frame, call) is not None:
            return True
        if func.attr == "execute":
            blocking = self.analysis.direct(frame, call)
            return (
                blocking is not None
                and blocking.kind == DATABASE
                and blocking.label in DBAPI_LABELS
            )
        if func.attr in DOCUMENT_READS:
            receiver = self.analysis.value_type(frame, func.value) or ""
            return receiver.startswith(DOCUMENT_CLIENTS)
        if func.attr == "fetch_related":
            return True  # Tortoise: one query per relation and object
        if func.attr in ACTIVE_RECORD_READS:
            query = self.queries.unfold(frame.module, frame.function, call)
            return query is not None and query.root == "model"
        return False

    def _queries_inside(self, module: Module, function: Function) -> bool:
        key = id(function)
        if key in self._queries:
            return self._queries[key]
        self._queries[key] = False
        frame = self.analysis.frame(module, function)
        found = False
        for call in immediate_calls(function, awaited_too=True):
            if self._direct(frame, call):
                found = True
                break
            target = self.analysis.callee(frame, call)
            if target is not None and self._queries_inside(target[0], target[1]):
                found = True
                break
        self._queries[key] = found
        return found


def _sets_relationship(
    function: Function, loop: Loop, call: ast.Call, is_model: Callable[[ast.expr], bool]
) -> bool:
    """Whether the rows a loop looks up end in an attribute of an object: ``case.tags =
    [get_tag(t) for t in case_in.tags]``, ``related.append(get(r.id))`` then ``case.related =
    related``, ``product.medias.append(Media(file=file))``, or a keyword of an ORM model's
    constructor (``is_model`` tells an ORM class)."""
    results = {id(call)}
    for part in loop.body:
        for node in walk(part):
            if isinstance(node, ast.Assign) and _contains(node.value, results):
                results.update(id(n) for t in node.targets for n in walk(t))
    names = {
        n.id
        for part in loop.body
        for n in walk(part)
        if isinstance(n, ast.Name) and id(n) in results
    }
    collected: set[str] = set()
    for part in loop.body:
        for node in walk(part):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"append", "add", "extend", "insert"}
                and any(_contains(a, results) or _uses(a, names) for a in node.args)
            ):
                owner = node.func.value
                if isinstance(owner, ast.Attribute):
                    return True
                if isinstance(owner, ast.Name):
                    collected.add(owner.id)
    nodes = own_nodes(function)
    for node in nodes:
        if isinstance(node, ast.Assign) and node.value is loop.node:
            collected.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute):
            if node.value is loop.node or _uses(node.value, collected):
                return True
        elif (
            isinstance(node, ast.Call)
            and is_model(node.func)
            and any(_uses(k.value, collected) or k.value is loop.node for k in node.keywords)
        ):
            return True  # `Service(filters=filters)`
    return False


def _contains(node: ast.AST, ids: set[int]) -> bool:
    return any(id(n) in ids for n in walk(node))


def _discarded(function: Function) -> set[int]:
    """Calls made for their effect, whose value is thrown away (``notify(user)`` as a
    statement): per-item actions, not lookups."""
    found: set[int] = set()
    for node in own_nodes(function):
        if isinstance(node, ast.Expr):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            found.add(id(value))
    return found


def _searches(loop: Loop) -> bool:
    """Whether a ``for`` loop stops at a hit (``return`` or ``break`` in its body): a search,
    which usually runs few of its queries."""
    if not isinstance(loop.node, ast.For | ast.AsyncFor):
        return False
    stack: list[ast.AST] = list(loop.node.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return | ast.Break):
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            stack.extend(n for n in walk(node) if isinstance(n, ast.Return))
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _varying_names(loop: Loop) -> set[str]:
    """Names that change from one iteration to the next: the target and what is derived
    from it in the loop body."""
    names = {n.id for n in walk(loop.target) if isinstance(n, ast.Name)}
    for part in loop.body:
        for node in walk(part):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.NamedExpr):
                value = node.value
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if value is not None and _uses(value, names):
                    names |= {n.id for t in targets for n in walk(t) if isinstance(n, ast.Name)}
    return names


def _uses(node: ast.AST, names: set[str]) -> bool:
    """Whether ``node`` reads one of ``names`` (a query that does not is loop-invariant)."""
    return any(isinstance(n, ast.Name) and n.id in names for n in walk(node))


def _module_constant(module: Module, function: Function, node: ast.expr) -> bool:
    """A collection fixed at import time (a module-level list of models or names, a field of
    the settings object), not data."""
    while isinstance(node, ast.Attribute):
        node = node.value
    if isinstance(node, ast.Name) and node.id in module.imports:
        return True  # an imported name: a constant of another module, never request data
    if not isinstance(node, ast.Name) or node.id not in module.bindings:
        return False
    arguments = function.args
    names = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    assigned = any(
        isinstance(target, ast.Name) and target.id == node.id
        for child in walk(function)
        if isinstance(child, ast.Assign | ast.For | ast.AsyncFor | ast.With)
        for target in (
            child.targets
            if isinstance(child, ast.Assign)
            else [child.target]
            if isinstance(child, ast.For | ast.AsyncFor)
            else [item.optional_vars for item in child.items if item.optional_vars is not None]
        )
    )
    return node.id not in names and not assigned


def _small_constant(module: Module, local: dict[str, list[ast.expr]], node: ast.AST) -> bool:
    """A literal tuple/list/set of names or constants (also through a name bound to one), or
    ``range()`` of constants."""
    if isinstance(node, ast.Name):
        bound: list[ast.AST | None] = [*local.get(node.id, [])] or [module.bindings.get(node.id)]
        literal = len(bound) == 1 and isinstance(bound[0], ast.Tuple | ast.List | ast.Set)
        return literal and bound[0] is not None and _small_constant(module, {}, bound[0])
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(isinstance(e, ast.Constant | ast.Name | ast.Attribute) for e in node.elts)
    return (
        isinstance(node, ast.Call)
        and _range(node)
        and all(isinstance(a, ast.Constant) for a in node.args)
    )


def _range(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"
    )


def _candidate(call: ast.Call) -> bool:
    """Cheap test: a session method, ``execute``, or a function named like a reader."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return (
        name in SESSION_QUERIES
        or name in QUERY_METHODS
        or name == "execute"
        or bool(READER.match(name))
    )


def _batches(node: ast.expr) -> bool:
    """Whether a loop walks batches or pages (``batched(ids, 500)``, ``range(0, n, size)``)."""
    if not isinstance(node, ast.Call):
        return False
    return bool(BATCHES.search(short(node.func))) or (_range(node) and len(node.args) == 3)


def _batched(call: ast.Call) -> bool:
    """Whether the query takes a whole batch (``.in_(chunk)``)."""
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"in_", "any_"}
        for argument in (*call.args, *(k.value for k in call.keywords))
        for node in walk(argument)
    )
