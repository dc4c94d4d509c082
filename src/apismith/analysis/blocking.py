"""Which calls block the event loop, and which query the database, through project helpers.

A call blocks when it waits on the network, a database, a child process, the disk or a slow
password hash without giving control back to the event loop: ``requests.get``, ``time.sleep``,
a method of a synchronous SQLAlchemy ``Session``, ``bcrypt.checkpw``. :class:`BlockingCalls`
tells which calls of a function block, directly or through a synchronous project function that
blocks somewhere inside (followed transitively, memoised, cycle-safe).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from apismith.analysis.blocking_catalogue import (
    ANY,
    ASYNC_SESSIONS,
    CACHES,
    CONTEXT_MANAGERS,
    DATABASE,
    FUNCTIONS,
    HASHING,
    LOCAL_METHODS,
    NETWORK,
    OFFLINE_DIRECTORIES,
    OFFLINE_IMPORTS,
    PASSLIB_HASH_METHODS,
    PATH_ATTRIBUTES,
    PATH_METHODS,
    RECEIVERS,
    SESSION_QUERIES,
    STATEMENT_METHODS,
    STATEMENTS,
    STRIPE_METHODS,
    SYNC_SESSIONS,
)
from apismith.project.classes import ClassCatalog
from apismith.project.module import Function, Module
from apismith.project.project import Project, Scope
from apismith.project.walk import children, walk


@dataclass(frozen=True, slots=True)
class Blocking:
    """A call of some function that blocks the event loop.

    ``node`` is the call in that function; ``callee`` names what blocks (``requests.get``,
    ``db.query``), ``label`` the kind of object it is called on, and ``via`` the project
    helpers the call goes through before reaching it (empty for a direct call). ``subject``
    is the local name of the blocking object (a session variable), to group repeated uses.
    """

    node: ast.Call
    callee: str
    kind: str
    label: str = ""
    via: tuple[str, ...] = ()
    subject: str | None = None

    def describe(self) -> str:
        """``requests.get`` or ``db.query`` on a synchronous SQLAlchemy session."""
        text = f"`{self.callee}`"
        return f"{text} on a {self.label}" if self.label else text


@dataclass(slots=True)
class Frame:
    """What is known while reading one function: its module, local types, nested defs, names
    assigned exactly once (``single``), the name each call's result is bound to and the value
    each ``with ... as name`` enters."""

    module: Module
    function: Function
    scope: Scope
    nested: dict[str, Function] = field(default_factory=dict)
    single: dict[str, ast.expr] = field(default_factory=dict)
    bound: dict[int, str] = field(default_factory=dict)
    entered: dict[str, ast.expr] = field(default_factory=dict)


class BlockingCalls:
    """Blocking calls of project functions, with synchronous helpers summarised once.

    ``orm_models`` (qualified names of mapped classes) lets an untyped receiver count as a
    session when it is asked for a model: ``db.query(User)``, ``db.get(User, 1)``.
    """

    def __init__(self, project: Project, orm_models: frozenset[str] = frozenset()) -> None:
        self.project = project
        self.orm_models = orm_models
        self._helpers: dict[int, Blocking | None] = {}
        self._active: set[int] = set()
        self._frames: dict[int, Frame] = {}
        self._methods: dict[tuple[int, str], tuple[Module, Function] | None] = {}
        self._classes: dict[int, ast.ClassDef] = {}
        self._locals: dict[int, frozenset[str]] = {}
        self._self_types: dict[int, dict[str, str]] = {}
        for module in project.modules:
            for node in module.index.classes:
                for statement in node.body:
                    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                        self._classes[id(statement)] = node

    # -- public --------------------------------------------------------------------------------

    def in_function(self, module: Module, function: Function) -> list[Blocking]:
        """Calls of ``function``'s own body that block while it runs (awaited calls excluded)."""
        frame = self.frame(module, function)
        found: list[Blocking] = []
        for call in immediate_calls(function):
            blocking = self.direct(frame, call)
            if blocking is None:
                blocking = self._through_helper(frame, call)
            if blocking is not None:
                found.append(blocking)
        return found

    def helper(self, module: Module, function: Function) -> Blocking | None:
        """The first blocking call a synchronous function makes, directly or through helpers."""
        key = id(function)
        if key in self._helpers:
            return self._helpers[key]
        if key in self._active or isinstance(function, ast.AsyncFunctionDef):
            return None
        decorators = {self.project.resolve(module, _decorator(d)) for d in function.decorator_list}
        if decorators & CACHES or (is_generator(function) and not decorators & CONTEXT_MANAGERS):
            self._helpers[key] = None
            return None
        self._active.add(key)
        result = next(iter(self.in_function(module, function)), None)
        self._active.discard(key)
        self._helpers[key] = result
        return result

    def direct(self, frame: Frame, call: ast.Call) -> Blocking | None:
        """Whether ``call`` itself blocks."""
        func = call.func
        if isinstance(func, ast.Attribute):
            root = self.value_type(frame, func.value)
            found = _receiver_call(root, func.attr) if root is not None else None
            if found is None and root is None and self.session_call(frame, call) == "untyped":
                found = ("SQLAlchemy session", DATABASE)
            if found is not None:
                subject = (
                    ast.unparse(func.value)
                    if isinstance(func.value, ast.Name | ast.Attribute)
                    else _root_name(func.value)
                )
                if func.attr in {"connect", "begin"}:
                    subject = frame.bound.get(id(call), subject)
                elif isinstance(func.value, ast.Name):
                    subject = self._handed_out(frame, func.value.id) or subject
                return Blocking(call, short(func), found[1], found[0], (), subject)
        name = self.project.resolve(frame.module, func, frame.scope)
        if name is None:
            return None
        kind = FUNCTIONS.get(name)
        method = name.rpartition(".")[2]
        if kind is None and name.startswith("passlib.hash.") and method in PASSLIB_HASH_METHODS:
            kind = HASHING
        if kind is None and name.startswith("stripe.") and method in STRIPE_METHODS:
            kind = NETWORK  # `stripe.Customer.create(...)`: the synchronous Stripe API
        if kind is None or (name.startswith("smtplib.") and not (call.args or call.keywords)):
            return None
        opens = name in RECEIVERS  # a connection whose later uses are the same blocking object
        return Blocking(call, name, kind, subject=frame.bound.get(id(call)) if opens else None)

    def _handed_out(self, frame: Frame, name: str) -> str | None:
        """The object a local was handed out by (``cursor = connection.cursor()``, also as
        ``with connection.cursor() as cursor``), so that both count as one blocking object;
        None when obtaining it blocks on its own (``with engine.connect() as conn``)."""
        value = frame.single.get(name) or frame.entered.get(name)
        if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
            return None
        owner = value.func.value
        if not isinstance(owner, ast.Name) or self.direct(frame, value) is not None:
            return None
        return owner.id

    def value_type(self, frame: Frame, node: ast.expr, depth: int = 0) -> str | None:
        """Qualified type of an expression, following attributes, subscripts and local aliases
        (``client["db"]["users"]`` of a ``MongoClient`` is ``pymongo.MongoClient.[].[]``)."""
        if depth > 8:
            return None
        if isinstance(node, ast.Await):
            return self.value_type(frame, node.value, depth + 1)
        if isinstance(node, ast.Name):
            found = self.project.type_of(frame.module, node, frame.scope)
            alias = frame.single.get(node.id)
            if found is None and isinstance(alias, ast.Subscript | ast.Attribute):
                return self.value_type(frame, alias, depth + 1)
            if found is None and alias is None and node.id not in self._local_names(frame.function):
                return self._global_type(frame.module, node.id, depth + 1)
            return found
        if isinstance(node, ast.Attribute) and _is_self(node.value):
            owner = self._classes.get(id(frame.function))
            found = self._attribute_types(frame.module, owner).get(node.attr) if owner else None
            if found is not None:
                return found
        derived = _path_operand(node)
        if derived is not None:
            return self.value_type(frame, derived, depth + 1) if derived is not node else None
        if isinstance(node, ast.Attribute | ast.Subscript):
            base = self.value_type(frame, node.value, depth + 1)
            if base is None:
                return None
            return f"{base}.{node.attr if isinstance(node, ast.Attribute) else '[]'}"
        if isinstance(node, ast.Call):
            return self.project.type_of(frame.module, node, frame.scope)
        return None

    def _local_names(self, function: Function) -> frozenset[str]:
        """Parameters and names a function assigns: they hide module-level names."""
        found = self._locals.get(id(function))
        if found is None:
            arguments = function.args
            found = frozenset(
                [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
                + [
                    node.id
                    for node in own_nodes(function)
                    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
                ]
            )
            self._locals[id(function)] = found
        return found

    def _global_type(self, module: Module, name: str, depth: int) -> str | None:
        """Type of a module-level name bound to an expression, also when imported from another
        module (``db = MongoClient(url)["app"]`` is ``pymongo.MongoClient.[]``)."""
        if depth > 8:
            return None
        value: object = module.bindings.get(name)
        if name in module.imports:
            found = self.project.lookup(self.project.canonical(module.imports[name]))
            if found is None:
                return None
            module, value = found
        return self._expression_type(module, value, depth) if isinstance(value, ast.expr) else None

    def _expression_type(self, module: Module, value: ast.expr, depth: int) -> str | None:
        """Type of an expression evaluated at module level."""
        if isinstance(value, ast.Name):
            found = self.project.type_of(module, value)
            return found or self._global_type(module, value.id, depth + 1)
        derived = _path_operand(value)
        if derived is not None and derived is not value:
            return self._expression_type(module, derived, depth + 1)
        if isinstance(value, ast.Attribute | ast.Subscript):
            base = self._expression_type(module, value.value, depth + 1)
            if base is None:
                return None
            return f"{base}.{value.attr if isinstance(value, ast.Attribute) else '[]'}"
        if isinstance(value, ast.Call):
            return self.project.type_of(module, value)
        return None

    def session_call(self, frame: Frame, call: ast.Call) -> str | None:
        """Whether ``call`` runs a query on a session: ``"sync"``/``"async"`` by the receiver's
        type, ``"untyped"`` for an untyped receiver asked for a model or a statement."""
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in SESSION_QUERIES:
            return None
        receiver = self.value_type(frame, func.value)
        if receiver is not None:
            return self.session_kind(receiver)
        arguments = call.args
        if func.attr in {"query", "get"} and arguments:
            model = self.project.resolve(frame.module, arguments[0], frame.scope)
            entity = model is not None and self.project.canonical(model) in self.orm_models
            return "untyped" if entity and (func.attr == "query" or len(arguments) > 1) else None
        if func.attr in STATEMENT_METHODS | {"scalar"} and arguments:
            return "untyped" if self._statement(frame, arguments[0], 0) else None
        return None

    def _statement(self, frame: Frame, node: ast.expr, depth: int) -> bool:
        """Whether an expression builds a SQLAlchemy statement (``select(M).where(...)``)."""
        while isinstance(node, ast.Call) and depth < 20:
            if self.project.resolve(frame.module, node.func, frame.scope) in STATEMENTS:
                return True
            if not isinstance(node.func, ast.Attribute):
                return False
            node, depth = node.func.value, depth + 1
        if isinstance(node, ast.Name) and node.id in frame.single and depth < 20:
            return self._statement(frame, frame.single[node.id], depth + 1)
        return False

    def session_kind(self, type_name: str | None, depth: int = 0) -> str | None:
        """``"sync"`` or ``"async"`` for a SQLAlchemy session type (or a project subclass)."""
        if type_name is None or depth > 10:
            return None
        if type_name in SYNC_SESSIONS:
            return "sync"
        if type_name in ASYNC_SESSIONS or self.project.is_async_session(type_name):
            return "async"
        found = self.project.lookup(type_name)
        if found is not None and isinstance(found[1], ast.ClassDef):
            for base in found[1].bases:
                kind = self.session_kind(self.project.resolve(found[0], base), depth + 1)
                if kind is not None:
                    return kind
        return None

    def frame(self, module: Module, function: Function) -> Frame:
        """What is known of ``function``'s locals, untyped ``Depends`` parameters included."""
        cached = self._frames.get(id(function))
        if cached is not None:
            return cached
        scope = Scope(dict(self.project.scope(function).types))
        frame = Frame(module, function, scope)
        self._frames[id(function)] = frame
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
        pairs = [*zip(positional, defaults, strict=True)]
        pairs += list(zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True))
        for argument, default in pairs:
            if argument.arg not in scope.types and isinstance(default, ast.Call) and default.args:
                provided = self._provided_type(module, default)
                if provided is not None:
                    scope.types[argument.arg] = provided
        assigned: dict[str, list[ast.expr]] = {}
        for node in own_nodes(function):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                frame.nested[node.name] = node
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
                    frame.bound[id(node.value)] = target.id
            elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                frame.bound[id(node.context_expr)] = node.optional_vars.id
                frame.entered[node.optional_vars.id] = node.context_expr
        frame.single = {name: values[0] for name, values in assigned.items() if len(values) == 1}
        return frame

    def callee(self, frame: Frame, call: ast.Call) -> tuple[Module, Function] | None:
        """The project function a call runs: a helper, a method (inherited ones too), a nested
        def, or the ``__init__`` of a project class."""
        func = call.func
        if isinstance(func, ast.Name) and func.id in frame.nested:
            return frame.module, frame.nested[func.id]
        if isinstance(func, ast.Attribute) and _is_self(func.value):
            owner = self._classes.get(id(frame.function))
            return self.method(frame.module, owner, func.attr) if owner is not None else None
        name = self.project.resolve(frame.module, func, frame.scope)
        if name is None:
            return None
        found = self.project.lookup(name)
        if found is None:
            owner_name, _, attribute = name.rpartition(".")
            owner_class = self.project.lookup(owner_name) if owner_name else None
            if owner_class is not None and isinstance(owner_class[1], ast.ClassDef):
                return self.method(owner_class[0], owner_class[1], attribute)
            return None
        module, definition = found
        if isinstance(definition, ast.ClassDef):
            return self.method(module, definition, "__init__")
        if isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef):
            return module, definition
        return None

    def method(
        self, module: Module, node: ast.ClassDef, name: str, depth: int = 0
    ) -> tuple[Module, Function] | None:
        """A method of a project class, looked up in its bases too (once per class and name)."""
        key = (id(node), name)
        if depth == 0 and key in self._methods:
            return self._methods[key]
        found = _member(node, name)
        result = (module, found) if found is not None else None
        for base in self._bases(module, node) if depth < 10 and result is None else ():
            result = self.method(base[0], base[1], name, depth + 1)
            if result is not None:
                break
        if depth == 0:
            self._methods[key] = result
        return result

    # -- internals -----------------------------------------------------------------------------

    def _provided_type(self, module: Module, default: ast.Call) -> str | None:
        """Type a ``Depends(provider)`` default gives: the provider's annotation or yield."""
        marker = self.project.resolve(module, default.func)
        if marker not in {"fastapi.Depends", "fastapi.params.Depends"}:
            return None
        provider = self.project.function(self.project.resolve(module, default.args[0]))
        if provider is None:
            return None
        owner, function = provider
        annotated = self.project.annotation_type(owner, function.returns)
        if annotated is not None:
            return annotated
        types = self.project.scope(function).types
        for node in own_nodes(function):
            value = node.value if isinstance(node, ast.Yield | ast.Return) else None
            if isinstance(value, ast.Name) and value.id in types:
                return types[value.id]
        return None

    def _through_helper(self, frame: Frame, call: ast.Call) -> Blocking | None:
        target = self.callee(frame, call)
        if target is None:
            return None
        module, function = target
        inner = self.helper(module, function)
        if inner is None:
            return None
        passed = _arguments(call, function).get(inner.subject or "")
        subject = passed.id if isinstance(passed, ast.Name) else None
        if subject is None:
            subject = next(
                (
                    argument.id
                    for argument in (*call.args, *(k.value for k in call.keywords))
                    if isinstance(argument, ast.Name)
                    and self.session_kind(frame.scope.types.get(argument.id)) == "sync"
                ),
                None,
            )
        return Blocking(
            call, inner.callee, inner.kind, inner.label, (function.name, *inner.via), subject
        )

    def _bases(self, module: Module, node: ast.ClassDef) -> Iterator[tuple[Module, ast.ClassDef]]:
        for base in node.bases:
            if isinstance(base, ast.Subscript):
                base = base.value
            found = self.project.lookup(self.project.resolve(module, base) or "")
            if found is not None and isinstance(found[1], ast.ClassDef) and found[1] is not node:
                yield found[0], found[1]

    def _attribute_types(
        self, module: Module, node: ast.ClassDef, depth: int = 0
    ) -> dict[str, str]:
        """Types of ``self.<name>``: class-level annotations and ``__init__`` assignments, in
        the class and its bases."""
        cached = self._self_types.get(id(node))
        if cached is not None:
            return cached
        types: dict[str, str] = {}
        self._self_types[id(node)] = types
        for statement in node.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                found = self.project.annotation_type(module, statement.annotation)
                if found is not None:
                    types[statement.target.id] = found
        init = _member(node, "__init__")
        if init is not None:
            scope = self.project.scope(init)
            for child in own_nodes(init):
                target, value, annotation = _self_assignment(child)
                if target is None:
                    continue
                found = self.project.annotation_type(module, annotation) if annotation else None
                if found is None and isinstance(value, ast.Name):
                    found = scope.types.get(value.id)
                if found is None and isinstance(value, ast.Call):
                    found = self.project.type_of(module, value, scope)
                if found is not None:
                    types.setdefault(target, found)
        for base_module, base in self._bases(module, node) if depth < 10 else ():
            for name, found in self._attribute_types(base_module, base, depth + 1).items():
                types.setdefault(name, found)
        return types


def _arguments(call: ast.Call, function: Function) -> dict[str, ast.expr]:
    """The argument a call passes for each parameter of ``function`` it can be matched to."""
    parameters = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if parameters and parameters[0] in {"self", "cls"}:
        parameters = parameters[1:]
    bound = dict(zip(parameters, call.args, strict=False))
    bound.update((k.arg, k.value) for k in call.keywords if k.arg is not None)
    return bound


def _receiver_call(type_name: str, method: str) -> tuple[str, str] | None:
    """``(label, kind)`` when calling ``method`` on a value of ``type_name`` blocks."""
    parts = type_name.split(".")
    for cut in range(len(parts), 0, -1):
        receiver = RECEIVERS.get(".".join(parts[:cut]))
        if receiver is None:
            continue
        methods = receiver.methods if cut == len(parts) else receiver.derived
        if methods is ANY:
            local = method in LOCAL_METHODS or method.startswith("_") or method[:1].isupper()
            return None if local else (receiver.label, receiver.kind)
        return (receiver.label, receiver.kind) if method in methods else None
    return None


def mapped_classes(catalog: ClassCatalog) -> frozenset[str]:
    """Qualified names of the project's ORM classes."""
    return frozenset(name for name, info in catalog.classes.items() if info.kind == "orm")


def offline(module: Module) -> bool:
    """Whether a module runs outside request handling: migrations, scripts, command-line tools."""
    directories = module.relpath.split("/")[:-1]
    return module.imports_any(*OFFLINE_IMPORTS) or any(
        part in OFFLINE_DIRECTORIES for part in directories
    )


def short(node: ast.expr) -> str:
    """An expression as the user wrote it, with call arguments elided: ``Path(...).read_text``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{short(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{short(node.func)}({'...' if node.args or node.keywords else ''})"
    if isinstance(node, ast.Subscript):
        return f"{short(node.value)}[...]"
    if isinstance(node, ast.Await):
        return f"(await {short(node.value)})"
    return "..."


def _path_operand(node: ast.expr) -> ast.expr | None:
    """The path a path expression is derived from, when its type is that path's type:
    ``base / "x"``, ``base.parent``, ``base.with_suffix(".txt")`` are paths if ``base`` is."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return node.left
    if isinstance(node, ast.Attribute) and node.attr in PATH_ATTRIBUTES:
        return node.value
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
        return node.value.value if node.value.attr == "parents" else None
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Attribute) and func.attr in PATH_METHODS:
        return func.value
    return None


def _decorator(node: ast.expr) -> ast.expr:
    return node.func if isinstance(node, ast.Call) else node


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in {"self", "cls"}


def _self_assignment(node: ast.AST) -> tuple[str | None, ast.expr | None, ast.expr | None]:
    """``(name, value, annotation)`` of a ``self.name = value`` statement."""
    value: ast.expr | None
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value, annotation = node.targets[0], node.value, None
    elif isinstance(node, ast.AnnAssign):
        target, value, annotation = node.target, node.value, node.annotation
    else:
        return None, None, None
    if isinstance(target, ast.Attribute) and _is_self(target.value):
        return target.attr, value, annotation
    return None, None, None


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call | ast.Await):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _member(node: ast.ClassDef, name: str) -> Function | None:
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and statement.name == name:
            return statement
    return None


_OWN = "_apismith_own_nodes"  # the cache, kept on the function node itself
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def own_nodes(function: Function) -> tuple[ast.AST, ...]:
    """Nodes of a function's body in source order, not descending into nested functions,
    lambdas or classes (the nested definitions themselves are included). Computed once per
    function."""
    cached: tuple[ast.AST, ...] | None = function.__dict__.get(_OWN)
    if cached is not None:
        return cached
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(function.body))
    pop, push, add = stack.pop, stack.extend, found.append
    while stack:
        node = pop()
        add(node)
        if type(node) not in _NESTED:
            below = children(node)
            below.reverse()
            push(below)
    result = tuple(found)
    setattr(function, _OWN, result)
    return result


def immediate_calls(function: Function, awaited_too: bool = False) -> Iterator[ast.Call]:
    """Calls that run while ``function``'s body runs, in source order, except awaited ones
    (unless ``awaited_too``), those deferred in nested functions and lambdas, and one-time
    initialisations of a ``global``."""
    nodes = own_nodes(function)
    awaited: set[int] = (
        set() if awaited_too else {id(n.value) for n in nodes if isinstance(n, ast.Await)}
    )
    declared = {name for n in nodes if isinstance(n, ast.Global) for name in n.names}
    once: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.If) and any(
            isinstance(n, ast.Name) and n.id in declared for n in walk(node.test)
        ):
            once.update(id(n) for statement in node.body for n in walk(statement))
    calls = [
        node
        for node in nodes
        if isinstance(node, ast.Call) and id(node) not in awaited and id(node) not in once
    ]
    return iter(sorted(calls, key=lambda c: (c.lineno, c.col_offset)))


def is_generator(function: Function) -> bool:
    """Whether calling ``function`` only creates a generator (its body holds a ``yield``)."""
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own_nodes(function))
