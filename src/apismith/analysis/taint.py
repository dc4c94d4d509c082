"""Taint flow from what a client sends to dangerous sinks, across functions and modules.

Each function is analysed once into a :class:`Summary`: which of its parameters reach its return
value, and which reach a sink. Values a client controls (a path operation's or dependency's
request parameters, ``request.json()`` and friends, an upload's name and content) carry
``source:`` labels; a helper's parameters carry ``param:`` labels, so a call site can map them to
the caller's own values. Each label records the sink kinds it was made safe for: escaped, reduced
to a file name, placed after a fixed URL host, or checked by a function that guards its paths or
URLs.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field

from apismith.analysis import guards, shapes
from apismith.analysis import sinks as S
from apismith.analysis.checkers import guards_paths, guards_urls
from apismith.analysis.members import holds_input, member_type
from apismith.project.classes import allows_extra
from apismith.project.constants import constant_str
from apismith.project.module import Function, Module, parameter_defaults
from apismith.project.project import BUILTINS, Project
from apismith.project.routes import Param, RouteModel
from apismith.project.values import last_assignment
from apismith.project.walk import walk

EMPTY: frozenset[str] = frozenset()
Comprehension = ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
_COMPREHENDS = "_apismith_comprehends"  # kept on a statement: whether it holds a comprehension
# A URL prefix that fixes the scheme and host: what follows cannot change where it points.
FIXED_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#{}\\@]+[/?#]")
WHOLE_PATH = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*):path}")
INPUT_SOURCES = frozenset({"path", "query", "body", "header", "cookie", "form", "file"})
REQUEST_TYPES = frozenset(
    {
        "fastapi.Request",
        "starlette.requests.Request",
        "fastapi.WebSocket",
        "starlette.websockets.WebSocket",
    }
)
REQUEST_FORMS = frozenset(
    f"fastapi.security{module}.{name}"
    for module in ("", ".oauth2")
    for name in ("OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict")
)
HTML_RESPONSES = frozenset({"fastapi.responses.HTMLResponse", "starlette.responses.HTMLResponse"})
URL_LIKE = frozenset({S.URL, S.REDIRECT})
# Sinks whose defect is how a string was built: a helper that runs a statement, command or
# template it is given unchanged moves the finding to the callers that build it.
BUILT_STRINGS = frozenset({S.SQL, S.COMMAND, S.TEMPLATE})
# Generic types whose values are made of their type arguments' values only.
CONTAINERS = frozenset(
    {"list", "set", "frozenset", "tuple", "typing.Optional", "typing.Union"}
    | {f"typing.{name}" for name in ("List", "Set", "FrozenSet", "Tuple", "Sequence", "Iterable")}
    | {f"collections.abc.{name}" for name in ("Sequence", "Iterable", "Collection", "Set")}
)
# Calls that build a URL from its parts: the scheme and host come first.
URL_BUILDERS = frozenset({"urllib.parse.urlunparse", "urllib.parse.urlunsplit"})
# Methods of URL objects that only change the query string.
QUERY_METHODS = frozenset({"include_query_params", "replace_query_params", "remove_query_params"})


@dataclass(frozen=True, slots=True)
class Taint:
    """Where a value may come from (its labels), and for which sink kinds each origin has been
    made safe: ``escape(a) + b`` is safe for HTML as far as ``a`` goes, not ``b``."""

    safe: dict[str, frozenset[str]]

    @staticmethod
    def of(label: str, sanitized: frozenset[str] = EMPTY) -> Taint:
        """The taint of one origin."""
        return Taint({label: sanitized})

    @property
    def sanitized(self) -> frozenset[str]:
        """Kinds for which every origin is safe."""
        return frozenset.intersection(*self.safe.values()) if self.safe else EMPTY

    def __or__(self, other: Taint | None) -> Taint:
        if other is None:
            return self
        safe = dict(self.safe)
        for label, kinds in other.safe.items():
            safe[label] = safe[label] & kinds if label in safe else kinds
        return Taint(safe)

    def made_safe(self, kinds: frozenset[str]) -> Taint:
        """This taint with every origin made safe for ``kinds``."""
        return Taint({label: safe | kinds for label, safe in self.safe.items()})

    def unsafe_for(self, kind: str) -> Taint | None:
        """The origins not made safe for ``kind``, or None when there are none."""
        safe = {label: kinds for label, kinds in self.safe.items() if kind not in kinds}
        return Taint(safe) if safe else None

    def renamed(self, old: str, new: str) -> Taint:
        """This taint with origin ``old`` called ``new`` (``body`` read as ``body.url``)."""
        if old not in self.safe:
            return self
        return Taint({new if label == old else label: kinds for label, kinds in self.safe.items()})

    def only(self, prefix: str) -> Taint | None:
        """The origins whose label starts with ``prefix`` (``source:``), or None."""
        safe = {label: kinds for label, kinds in self.safe.items() if label.startswith(prefix)}
        return Taint(safe) if safe else None

    def sources(self) -> list[str]:
        """Names of the client-controlled values this taint carries (``body``, not also
        ``body.name``)."""
        names = {label[7:] for label in self.safe if label.startswith("source:")}
        return sorted(
            name
            for name in names
            if not any(name.startswith(f"{other}.") for other in names if other != name)
        )

    def params(self) -> list[str]:
        """Names of the enclosing function's parameters this taint carries, sorted (the order
        of reports must not depend on string hashing)."""
        return sorted(label[6:] for label in self.safe if label.startswith("param:"))


def _join(*taints: Taint | None) -> Taint | None:
    result: Taint | None = None
    for taint in taints:
        if taint is not None:
            result = taint if result is None else result | taint
    return result


@dataclass(frozen=True, slots=True)
class Hit:
    """Client data reaching a sink: where, of which kind, from what, through which calls.

    ``runs_at`` is set when the hit is placed where the string is built and handed to a helper
    that runs it unchanged: the sink itself is there.
    """

    kind: str
    module: Module
    node: ast.expr
    sources: tuple[str, ...]
    via: tuple[str, ...] = ()
    runs_at: str | None = None


@dataclass(frozen=True, slots=True)
class SinkParam:
    """A parameter of a function that reaches a sink: ``passthrough`` when the function hands
    it to the sink unchanged, so the defect is where its callers build it."""

    param: str
    kind: str
    module: Module
    node: ast.expr
    via: tuple[str, ...]
    passthrough: bool = False
    runs_at: str | None = None


@dataclass(slots=True)
class Summary:
    """What a call of a function does with its arguments."""

    returns: Taint | None = None
    sink_params: list[SinkParam] = field(default_factory=list)
    # Parameters a call leaves pinned down (the function raises otherwise), with the kinds.
    checked: dict[str, frozenset[str]] = field(default_factory=dict)


class TaintEngine:
    """Computes summaries on demand and collects every source-to-sink hit of the project."""

    def __init__(self, project: Project, routes: RouteModel) -> None:
        self.project = project
        self.routes = routes
        self.inputs: dict[int, dict[str, Param]] = {}
        self.html_handlers: set[int] = set()
        # Path parameters declared ``{name:path}``: the only ones that can hold a ``/``.
        self.path_converters: dict[int, set[str]] = {}
        for route in routes.routes:
            self._register(route.module, route.handler, route.operation.params)
            self.path_converters.setdefault(id(route.handler), set()).update(
                WHOLE_PATH.findall(route.path)
            )
            response_class = route.keyword("response_class")
            if response_class is not None and (
                project.resolve(route.module, response_class) in HTML_RESPONSES
            ):
                self.html_handlers.add(id(route.handler))
            for dependency in route.all_dependencies:
                for node in dependency.closure():
                    if node.function is not None:
                        owner, function = node.function
                        self._register(owner, function, routes.parameters(owner, function))
        self.summaries: dict[int, Summary] = {}
        self._active: set[int] = set()
        self.hits: list[Hit] = []
        self._seen: set[tuple[str, int, str]] = set()
        self._flows: set[tuple[str, tuple[str, ...], tuple[str, ...]]] = set()
        self.members: dict[tuple[int, str], str | None] = {}
        self.validations: dict[tuple[int, str], frozenset[str]] = {}
        self.fields: dict[int, tuple[bool, bool]] = {}  # model fields: safe, URL-typed
        self.methods: dict[tuple[int, str], tuple[Module, Function] | None] = {}
        self.resolvers: set[int] = set()

    def _register(self, module: Module, function: Function, params: list[Param]) -> None:
        inputs = self.inputs.setdefault(id(function), {})
        defaults = {a.arg: value for a, value in parameter_defaults(function)}
        for param in params:
            if param.source in INPUT_SOURCES and not self.safe_type(module, param.annotation):
                if shapes.pattern_checked(
                    self.aliased(module, param.annotation), defaults.get(param.name)
                ):
                    continue  # FastAPI rejects values that do not match the declared pattern
                inputs[param.name] = param
            elif param.source == "dependency" and param.dependency is not None:
                inputs.setdefault(param.name, param)

    def aliased(self, module: Module, annotation: ast.expr | None) -> ast.expr | None:
        """An annotation with the type aliases it names spelled out (one level), as a tuple."""
        if annotation is None:
            return None
        parts: list[ast.expr] = [annotation]
        for node in walk(annotation):
            if isinstance(node, ast.Name | ast.Attribute):
                found = self.project.lookup(self.project.resolve(module, node) or "")
                if found is not None and isinstance(found[1], ast.Subscript):
                    parts.append(found[1])
        return ast.Tuple(elts=parts, ctx=ast.Load())

    def safe_type(self, module: Module, annotation: ast.expr | None) -> bool:
        """Whether values of an annotation carry no text the client chooses: numbers, dates,
        enumerations, literals."""
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            sides = [s for s in (annotation.left, annotation.right) if not _is_none(s)]
            return bool(sides) and all(self.safe_type(module, side) for side in sides)
        if isinstance(annotation, ast.Subscript):
            outer = self.project.resolve(module, annotation.value)
            if outer in {"typing.Literal", "typing_extensions.Literal"}:
                return True
            if outer in {"typing.Annotated", "typing_extensions.Annotated"} and isinstance(
                annotation.slice, ast.Tuple
            ):
                return self.safe_type(module, annotation.slice.elts[0])
            if (outer or "").removeprefix("builtins.") in CONTAINERS:
                inner = annotation.slice
                items = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                items = [i for i in items if not _is_none(i) and not _is_ellipsis(i)]
                return bool(items) and all(self.safe_type(module, item) for item in items)
        type_name = self.project.annotation_type(module, annotation)
        if type_name in S.SAFE_TYPES:
            return True
        found = self.project.lookup(type_name) if type_name else None
        if found is None or not isinstance(found[1], ast.ClassDef):
            return False
        return any(
            (self.project.resolve(found[0], base) or "").startswith("enum.")
            for base in found[1].bases
        )

    def run(self) -> list[Hit]:
        """Analyse every entry point and return all hits.

        Entry points are path operations, their dependencies, functions that take the
        request (middleware, exception handlers) and GraphQL resolvers; the functions they
        call are summarised on demand, so code no request reaches costs nothing.
        """
        modules = [module for module in self.project.modules if not module.is_test]
        for module in modules:
            for function in module.index.functions:
                if self._resolver(module, function):
                    self.resolvers.add(id(function))
        for module in modules:
            for function in module.index.functions:
                key = id(function)
                if key in self.inputs or key in self.resolvers or _takes_request(function):
                    self.summary(module, function)
        return sorted(self.hits, key=lambda h: (h.module.relpath, h.node.lineno, h.kind))

    def _resolver(self, module: Module, function: Function) -> bool:
        """Whether a function answers GraphQL queries: its arguments are the client's.

        Strawberry fields and mutations, graphene ``resolve_*`` and ``mutate`` methods,
        ariadne ``@query.field(...)`` resolvers.
        """
        for decorator in function.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = self.project.resolve(module, target) or ""
            if name in S.GRAPHQL_FIELDS or (
                name.startswith("ariadne.") and name.endswith(".field")
            ):
                return True
        klass = module.index.method_class.get(id(function))
        if klass is None or not (function.name.startswith("resolve_") or function.name == "mutate"):
            return False
        return any(
            (self.project.resolve(module, base) or "").startswith("graphene.")
            for base in klass.bases
        )

    def summary(self, module: Module, function: Function) -> Summary:
        """The summary of ``function``, computed once."""
        key = id(function)
        found = self.summaries.get(key)
        if found is not None:
            return found
        if key in self._active:
            return Summary()
        self._active.add(key)
        summary = _FunctionFlow(self, module, function).analyse()
        self._active.discard(key)
        self.summaries[key] = summary
        return summary

    def report(self, hit: Hit) -> None:
        """Record a hit once per sink, kind and line, and once per call into a helper: the
        first sink a call's arguments reach in a helper stands for the others."""
        key = (hit.module.relpath, hit.node.lineno, hit.kind)
        flow = (hit.kind, hit.via[:1], hit.sources)
        if key in self._seen or (hit.via and flow in self._flows):
            return
        self._seen.add(key)
        self._flows.add(flow)
        self.hits.append(hit)


class _FunctionFlow:
    """Two passes over a function body (two per loop body), tracking tainted names."""

    def __init__(self, engine: TaintEngine, module: Module, function: Function) -> None:
        self.engine = engine
        self.project = engine.project
        self.module = module
        self.function = function
        self.scope = engine.project.scope(function)
        self.env: dict[str, Taint] = {}
        self.summary = Summary()
        self._checks: dict[str, bool] = {}  # whether it checks its paths, its URLs
        self._assignments: dict[str, list[ast.expr]] | None = None
        self.request_names: set[str] = set()
        self.upload_names: set[str] = set()
        self._recorded: set[tuple[str, str, int, tuple[str, ...]]] = set()
        self.reader = guards.Reader(lambda e: self.expr(e) is None, self._resolve, self._text)
        inputs = engine.inputs.get(id(function))
        arguments = function.args
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            type_name = self.scope.types.get(argument.arg)
            if type_name in REQUEST_TYPES:
                self.request_names.add(argument.arg)
                continue
            if type_name in S.UPLOAD_TYPES:
                self.upload_names.add(argument.arg)
                continue
            sanitized = S.KINDS - URL_LIKE if type_name in S.URL_TYPES else EMPTY
            if inputs is not None:
                param = inputs.get(argument.arg)
                if param is None:
                    continue
                if param.dependency is not None:
                    taint = self._dependency_taint(param)
                    if taint is not None:
                        self.env[argument.arg] = taint
                else:
                    if param.source == "file" or (
                        param.source == "path"
                        and argument.arg not in engine.path_converters.get(id(function), ())
                    ):
                        sanitized |= {S.PATH}  # file content, or one path segment without "/"
                    self.env[argument.arg] = Taint.of(f"source:{argument.arg}", sanitized)
            elif argument.arg not in {"self", "cls"} and not engine.safe_type(
                module, argument.annotation
            ):
                client = id(function) in engine.resolvers and argument.arg not in S.RESOLVER_CONTEXT
                label = "source" if client else "param"
                self.env[argument.arg] = Taint.of(f"{label}:{argument.arg}", sanitized)
        if inputs is None and _takes_self(function) and id(function) in module.index.method_class:
            # what the object holds: a caller whose object carries client data maps it
            self.env["self"] = Taint.of("param:self")

    def _resolve(self, node: ast.expr) -> str | None:
        found = self.project.resolve(self.module, node, self.scope)
        if found is None and isinstance(node, ast.Attribute):
            member = node.value
            if isinstance(member, ast.Attribute) and _is_self(member.value):
                owner = self._member_type(member.attr)
                return f"{owner}.{node.attr}" if owner is not None else None
        return found

    def _member_type(self, attr: str) -> str | None:
        """The class of ``self.<attr>`` in this method's class, computed once."""
        klass = self.module.index.method_class.get(id(self.function))
        if klass is None:
            return None
        key = (id(klass), attr)
        if key not in self.engine.members:
            self.engine.members[key] = member_type(self.project, self.module, klass, attr)
        return self.engine.members[key]

    def _text(self, node: ast.expr) -> str | None:
        """A constant string, or the pattern a name was compiled from (``re.compile(...)``)."""
        found = constant_str(self.project, self.module, node)
        if found is not None or not isinstance(node, ast.Name):
            return found
        value = last_assignment(self.function, node) or self.module.bindings.get(node.id)
        if isinstance(value, ast.Call) and value.args:
            return constant_str(self.project, self.module, value.args[0])
        return None

    def _dependency_taint(self, param: Param) -> Taint | None:
        dependency = param.dependency
        if dependency is None:
            return None
        if dependency.function is None:
            # A form class FastAPI fills from the request body: every field is the client's.
            if dependency.target in REQUEST_FORMS:
                return Taint.of(f"source:{param.name}")
            # A dataclass or model without ``__init__``: FastAPI fills its fields from the request.
            found = self.project.lookup(dependency.target) if dependency.target else None
            if found is not None and _fields(found[1]):
                return Taint.of(f"source:{param.name}")
            return None
        owner, function = dependency.function
        inputs = self.engine.inputs.get(id(function), {})
        if function.name == "__init__" and any(p.dependency is None for p in inputs.values()):
            # A class dependency: its instance holds what its constructor took from the request.
            return Taint.of(f"source:{param.name}")
        returned = self.engine.summary(owner, function).returns
        return returned.only("source:") if returned is not None else None

    def analyse(self) -> Summary:
        self._twice(self.function.body, top=True)
        self.summary.checked = self._checks_params()
        returned = self.summary.returns
        if returned is not None:
            # A function that checks the paths or URLs it builds hands back checked values
            # (each check read only when the value is not already safe for its kinds).
            safe = returned.sanitized
            checked = (URL_LIKE if not safe >= URL_LIKE and self._guarded(S.URL) else EMPTY) | (
                {S.PATH} if S.PATH not in safe and self._guarded(S.PATH) else EMPTY
            )
            self.summary.returns = returned.made_safe(checked)
        return self.summary

    # -- statements ----------------------------------------------------------------------------

    def _block(self, body: list[ast.stmt], top: bool) -> None:
        for statement in body:
            self._statement(statement, top)

    def _twice(self, body: list[ast.stmt], top: bool) -> None:
        """Analyse a body twice, so that values bound late reach the uses before them (in a
        loop's next iteration, in a closure defined before the names it reads). The second pass
        is skipped when the first bound nothing new: from the same state it would only repeat
        itself (its reports and summary entries are the same ones again), and nested loops
        would otherwise cost twice as much per level."""
        before = dict(self.env)
        self._block(body, top)
        if self.env != before:
            self._block(body, top)

    def _statement(self, node: ast.stmt, top: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # a closure (a generator for a streaming response) runs with this function's values
            returns = self.summary.returns
            self._block(node.body, False)
            self.summary.returns = returns
            return
        if isinstance(node, ast.ClassDef):
            return
        self._scan_calls(node)
        if isinstance(node, ast.Expr):
            value = node.value
            if isinstance(value, ast.Yield | ast.YieldFrom) and value.value is not None:
                self.summary.returns = _join(self.summary.returns, self.expr(value.value))
            else:
                self.expr(value)
                self._checked_by_call(value.value if isinstance(value, ast.Await) else value)
        elif isinstance(node, ast.Assign):
            taint = self.expr(node.value)
            for target in node.targets:
                if shapes.is_location(target) and not self._guarded(S.REDIRECT):
                    self._check_value(S.REDIRECT, target, taint)
                self._bind(target, taint, top)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            taint = self.expr(node.value)
            if isinstance(node, ast.AugAssign):
                whole = ast.BinOp(left=node.target, op=node.op, right=node.value)
                taint = self.expr(ast.copy_location(whole, node))
            self._bind(node.target, taint, top)
        elif isinstance(node, ast.Return) and node.value is not None:
            taint = self.expr(node.value)
            self.summary.returns = _join(self.summary.returns, taint)
            if id(self.function) in self.engine.html_handlers and not shapes.renders(
                self.project, self.module, node.value
            ):
                self._check_value(S.HTML, node.value, taint)
        elif isinstance(node, ast.For | ast.AsyncFor):
            taint = self.expr(node.iter)
            target = node.target
            if (
                isinstance(target, ast.Tuple)
                and len(target.elts) == 2
                and self._constant_keys(node.iter)
            ):
                self._bind(target.elts[1], taint, False)
            elif not self._field_names(node.iter):
                self._bind(target, taint, False)
            self._twice(node.body, top=False)
            self._block(node.orelse, False)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, self.expr(item.context_expr), top)
            self._block(node.body, top)
        elif isinstance(node, ast.If | ast.While):
            self.expr(node.test)
            when_true, when_false = guards.checks(node.test, self.reader)
            self._within(when_true, node.body)
            self._within(when_false, node.orelse)
            if isinstance(node, ast.If) and guards.leaves(node.body):
                self._narrow(when_false)
            elif isinstance(node, ast.If) and not node.orelse:
                # ``if sort not in ALLOWED: sort = "name"``: a rebound name is known after it
                self._narrow(guards.rebound(when_false, node.body, self.reader))
            elif isinstance(node, ast.If) and guards.leaves(node.orelse):
                self._narrow(when_true)
        elif isinstance(node, ast.Assert):
            self._narrow(guards.checks(node.test, self.reader)[0])
        elif isinstance(node, ast.Try):
            self._block(node.body, top)
            for handler in node.handlers:
                self._block(handler.body, False)
            self._block(node.orelse, False)
            self._block(node.finalbody, top)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                self._block(case.body, False)

    def _checks_params(self) -> dict[str, frozenset[str]]:
        """Parameters this function pins down: ``if name not in ALLOWED: raise ...`` or
        ``assert`` at its top level."""
        arguments = self.function.args
        params = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
        found = guards.NOTHING
        for statement in self.function.body:
            if isinstance(statement, ast.If) and statement.body:
                if isinstance(statement.body[-1], ast.Raise):
                    found = found | guards.checks(statement.test, self.reader)[1]
            elif isinstance(statement, ast.Assert):
                found = found | guards.checks(statement.test, self.reader)[0]
        return {name: kinds for name, kinds in found.names.items() if name in params}

    def _checked_by_call(self, node: ast.expr) -> None:
        """``ensure_known(host)`` on its own: the names it checks are pinned down after it."""
        if not isinstance(node, ast.Call):
            return
        target = self._target(self._resolve(node.func), node.func)
        if target is None:
            return
        checked = self.engine.summary(target[0], target[1]).checked
        given = _bound_expressions(node, target[1], isinstance(node.func, ast.Attribute))
        self._narrow(
            guards.Checked(
                {
                    argument.id: checked[param]
                    for param, argument in given.items()
                    if param in checked and isinstance(argument, ast.Name)
                }
            )
        )

    def _narrow(self, checked: guards.Checked) -> dict[str, tuple[Taint, Taint]]:
        """Make the names a check pinned down safe; return their taint before and after."""
        changed: dict[str, tuple[Taint, Taint]] = {}
        for name, kinds in checked.names.items():
            before = self.env.get(name)
            if before is not None:
                after = self.env[name] = before.made_safe(kinds)
                changed[name] = (before, after)
        return changed

    def _within(self, checked: guards.Checked, body: list[ast.stmt]) -> None:
        """Analyse a branch where ``checked`` holds, then undo the narrowing it was not
        rebound over."""
        changed = self._narrow(checked)
        self._block(body, False)
        for name, (before, after) in changed.items():
            if self.env.get(name) is after:
                self.env[name] = before

    def _assigned(self) -> dict[str, list[ast.expr]]:
        """The values each name of this function is assigned (``name = value``), in order."""
        if self._assignments is None:
            self._assignments = {}
            for part in walk(self.function):
                if isinstance(part, ast.Assign):
                    for name in {t.id for t in part.targets if isinstance(t, ast.Name)}:
                        self._assignments.setdefault(name, []).append(part.value)
        return self._assignments

    def _field_names(self, node: ast.expr) -> bool:
        """Whether iterating ``node`` yields the field names of a dumped model (``fields`` or
        ``fields.keys()`` after ``fields = body.model_dump(...)``): names the model declares,
        not client text, unless the model accepts extra fields."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr != "keys":
                return False
            node = node.func.value
        if not isinstance(node, ast.Name):
            return False
        values = self._assigned().get(node.id, [])
        if len(values) != 1:
            return False
        dump = values[0]
        if not (
            isinstance(dump, ast.Call)
            and isinstance(dump.func, ast.Attribute)
            and dump.func.attr in DUMPS
        ):
            return False
        model = self.engine.project.type_of(
            self.module, dump.func.value, self.engine.project.scope(self.function)
        )
        info = self.engine.routes.classes.get(model)
        return (
            info is not None
            and info.kind == "pydantic"
            and not allows_extra(self.engine.project, info.module, info.node)
        )

    def _constant_keys(self, node: ast.expr) -> bool:
        """Whether ``node`` is ``d.items()`` of a dict whose keys are all constants."""
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "items"
        ):
            return False
        mapping = node.func.value
        if isinstance(mapping, ast.Dict):
            return all(isinstance(key, ast.Constant) for key in mapping.keys)
        if not isinstance(mapping, ast.Name):
            return False
        built = False
        for part in walk(self.function):
            if isinstance(part, ast.Assign):
                for target in part.targets:
                    if isinstance(target, ast.Name) and target.id == mapping.id:
                        if not isinstance(part.value, ast.Dict) or not all(
                            isinstance(key, ast.Constant) for key in part.value.keys
                        ):
                            return False
                        built = True
                    elif (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == mapping.id
                        and not isinstance(target.slice, ast.Constant)
                    ):
                        return False
        return built

    def _bind(self, target: ast.expr, taint: Taint | None, top: bool) -> None:
        if isinstance(target, ast.Name):
            if taint is not None:
                previous = None if top else self.env.get(target.id)
                self.env[target.id] = taint | previous
            elif top:
                self.env.pop(target.id, None)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._bind(element, taint, top)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, taint, top)
        elif isinstance(target, ast.Subscript | ast.Attribute) and taint is not None:
            root = target.value
            while isinstance(root, ast.Subscript | ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name):
                self.env[root.id] = taint | self.env.get(root.id)

    # -- expressions ---------------------------------------------------------------------------

    def expr(self, node: ast.expr | None) -> Taint | None:
        """The taint of an expression's value under the current environment."""
        if node is None:
            return None
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if isinstance(node, ast.Constant | ast.Lambda | ast.Compare):
            return None
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Await | ast.Starred | ast.FormattedValue | ast.NamedExpr):
            return self.expr(node.value)
        if isinstance(node, ast.BinOp):
            return self._fixed_prefix(node, _join(self.expr(node.left), self.expr(node.right)))
        if isinstance(node, ast.JoinedStr):
            return self._fixed_prefix(node, _join(*(self.expr(value) for value in node.values)))
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return _join(*(self.expr(element) for element in node.elts))
        if isinstance(node, ast.Dict):
            return _join(*(self.expr(v) for v in node.values), *(self.expr(k) for k in node.keys))
        if isinstance(node, ast.IfExp):
            return _join(self.expr(node.body), self.expr(node.orelse))
        if isinstance(node, ast.BoolOp):
            return _join(*(self.expr(value) for value in node.values))
        if isinstance(node, Comprehension):
            self._bind_generators(node)
            if isinstance(node, ast.DictComp):
                return _join(self.expr(node.key), self.expr(node.value))
            return self.expr(node.elt)
        return None

    def _attribute(self, node: ast.Attribute) -> Taint | None:
        if isinstance(node.value, ast.Name):
            name = node.value.id
            if name in self.request_names:
                if node.attr in S.OWN_URL_SOURCES:
                    return Taint.of(f"source:{name}.{node.attr}", URL_LIKE)
                if node.attr in S.REQUEST_SOURCES:
                    return Taint.of(f"source:{name}.{node.attr}")
                return None
            if name in self.upload_names:
                return self._upload(name, node.attr, node.attr)
        base = self.expr(node.value)
        if base is None:
            return None
        model = None
        if isinstance(node.value, ast.Name):
            model = self.engine.routes.classes.get(self.scope.types.get(node.value.id))
            base = base.renamed(f"source:{node.value.id}", f"source:{node.value.id}.{node.attr}")
            base = base.renamed("param:self", f"param:self.{node.attr}")
        if model is None and isinstance(node.value, ast.Name):
            found = self.project.lookup(self.scope.types.get(node.value.id) or "")
            if found is not None:
                declared = _fields(found[1]).get(node.attr)
                if declared is not None and self.engine.safe_type(found[0], declared.annotation):
                    return None
        if model is not None:
            statement = model.fields.get(node.attr)
            if isinstance(statement, ast.AnnAssign):
                safe, url = self._field(model.module, statement)
                if safe:
                    return None
                if url:
                    return base.made_safe(S.KINDS - URL_LIKE)
            return base.made_safe(self._validated(model.module, model.node, node.attr))
        if node.attr in {"name", "stem", "suffix", "suffixes"}:
            return base.made_safe(frozenset({S.PATH}))
        return base

    def _field(self, owner: Module, statement: ast.AnnAssign) -> tuple[bool, bool]:
        """Whether a model field's type or pattern makes it safe, and whether it is a URL type;
        read once per field."""
        key = id(statement)
        found = self.engine.fields.get(key)
        if found is None:
            annotation = statement.annotation
            safe = self.engine.safe_type(owner, annotation) or shapes.pattern_checked(
                self.engine.aliased(owner, annotation), statement.value
            )
            url = self.project.annotation_type(owner, annotation) in S.URL_TYPES
            found = self.engine.fields[key] = (safe, url)
        return found

    def _validated(self, owner: Module, klass: ast.ClassDef, attr: str) -> frozenset[str]:
        """Kinds the validators of a model make its field ``attr`` safe for, computed once."""
        key = (id(klass), attr)
        found = self.engine.validations.get(key)
        if found is None:
            found = self.engine.validations[key] = guards.validated(
                klass,
                attr,
                lambda e: self.project.resolve(owner, e),
                lambda e: constant_str(self.project, owner, e),
            )
        return found

    def _upload(self, name: str, label: str, attr: str) -> Taint | None:
        """What an uploaded file's attribute carries: its content is data but not a path."""
        if attr not in S.UPLOAD_SOURCES:
            return None
        sanitized = frozenset({S.PATH}) if attr in {"file", "read"} else EMPTY
        return Taint.of(f"source:{name}.{label}", sanitized)

    def _subscript(self, node: ast.Subscript) -> Taint | None:
        taint = self.expr(node.value)
        if (
            taint is not None
            and isinstance(node.value, ast.Call)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value in {1, -1}
            and self._resolve(node.value.func) == "os.path.splitext"
        ):
            return taint.made_safe(frozenset({S.PATH}))
        return taint

    def _fixed_prefix(self, node: ast.expr, taint: Taint | None) -> Taint | None:
        """``taint``, made safe for URLs when ``node`` builds a string with a fixed host.

        A URL whose scheme and host are fixed, or a local path (``/items/...``), cannot send a
        request or a browser elsewhere, whatever the client adds after it.
        """
        if taint is None or taint.sanitized >= URL_LIKE:
            return taint
        text = ""
        parts = shapes.string_parts(node)
        if parts == [node]:
            return taint
        # Origins interpolated before the host is complete choose where the URL points;
        # the others only choose a path or query on that host.
        choosing: set[str] = set()
        for position, part in enumerate(parts):
            if _fixed_destination(text):
                break
            if isinstance(part, str):
                text += part
                continue
            part_taint = self.expr(part)
            if part_taint is not None and not part_taint.sanitized >= URL_LIKE:
                choosing |= {o for o, kinds in part_taint.safe.items() if not kinds >= URL_LIKE}
                if part_taint.only("source:") is not None:
                    break  # client data in the host: nothing after it is fixed
            if position:
                text += "x"
                continue
            known = constant_str(self.project, self.module, part)
            following = parts[1] if len(parts) > 1 else ""
            if known is not None:
                text += known
            elif isinstance(following, str) and following.startswith(":"):
                text += "https"
            else:
                text += "https://host/"
        if _fixed_destination(text):
            return Taint({o: k if o in choosing else k | URL_LIKE for o, k in taint.safe.items()})
        return taint

    def _call(self, node: ast.Call) -> Taint | None:
        callee = self._resolve(node.func)
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if callee in S.CLEANSERS:
            for argument in arguments:
                self.expr(argument)  # helpers called inside still reach their sinks
            return None
        if callee in S.SANITIZERS:
            inner = _join(*(self.expr(a) for a in arguments))
            return inner.made_safe(S.SANITIZERS[callee]) if inner else None
        kept = guards.substitution_safe(node, self.reader)
        if kept is not None:
            inner = _join(*(self.expr(a) for a in arguments))
            return inner.made_safe(kept) if inner else None
        if callee in {"locals", "vars"} and not arguments:
            return _join(*self.env.values())
        func = node.func
        if callee in URL_BUILDERS and node.args and isinstance(node.args[0], ast.Tuple | ast.List):
            parts = [self.expr(part) for part in node.args[0].elts]
            built = _join(*parts)
            host = _join(*parts[:2])
            if built is not None and (host is None or host.sanitized >= URL_LIKE):
                return built.made_safe(URL_LIKE)
            return built
        deferred = self._deferred(node, callee)
        if deferred is not None:
            return deferred
        if isinstance(func, ast.Attribute):
            receiver = func.value
            if isinstance(receiver, ast.Name) and receiver.id in self.request_names:
                if func.attr in S.REQUEST_SOURCES:
                    return Taint.of(f"source:{receiver.id}.{func.attr}()")
                return None
            if isinstance(receiver, ast.Name) and receiver.id in self.upload_names:
                return self._upload(receiver.id, f"{func.attr}()", func.attr)
            if func.attr in S.MUTATORS and isinstance(receiver, ast.Name):
                # ``parts.append(value)``: the list now holds the value
                self._bind(receiver, _join(*(self.expr(a) for a in arguments)), False)
            receiver_taint = self.expr(receiver)
            method = self._target(callee, func) if receiver_taint is not None else None
            if method is not None:
                # a method of an object built from client data: its ``self`` carries them
                return self._through(node, method[0], method[1], receiver_taint)
            if receiver_taint is not None and shapes.strips_separators(node):
                return receiver_taint.made_safe(frozenset({S.PATH}))
            if receiver_taint is not None and S.SQL in receiver_taint.sanitized:
                # a method of a SQL expression (``select(...).where(...)``) binds its arguments
                built = receiver_taint | _join(*(self.expr(a) for a in arguments))
                return built.made_safe(frozenset({S.SQL}))
            if receiver_taint is not None and func.attr in QUERY_METHODS:
                query = _join(*(self.expr(a) for a in arguments))
                return receiver_taint | (query.made_safe(URL_LIKE) if query else None)
            if receiver_taint is not None and func.attr not in {"count", "index", "exists"}:
                taints = [self.expr(a) for a in arguments]
                if _object_state(receiver_taint) and func.attr not in S.STRING_METHODS:
                    # ``self.db.fetch(query, values)``: what the object's own members return
                    # is theirs, not the arguments'
                    return receiver_taint
                return _join(receiver_taint, *taints)
            string_receiver = isinstance(receiver, ast.Constant | ast.JoinedStr)
            if func.attr in S.PATH_JOINERS:
                return _join(*(self.expr(a) for a in arguments))
            if func.attr in S.STRING_METHODS and (string_receiver or receiver_taint is not None):
                return self._fixed_prefix(node, _join(*(self.expr(a) for a in arguments)))
        target = self._target(callee, func)
        if target is not None:
            return self._through(node, target[0], target[1])
        constructor = self._constructor(callee)
        if constructor is not None:
            # sinks of ``__init__``; the object holds what it was given
            self._through(node, constructor[0], constructor[1], method=True)
        if callee in S.SQL_BUILDERS:
            built = _join(*(self.expr(a) for a in arguments))
            return built.made_safe(frozenset({S.SQL})) if built else None
        sink = S.SINKS.get(callee or "")
        if sink is not None and sink.kind == S.URL:
            for argument in arguments:
                self.expr(argument)
            return None  # a response is the remote server's data, not the client's
        if sink is not None and sink.kind == S.SQL:
            inner = _join(*(self.expr(a) for a in arguments))
            return inner.made_safe(frozenset({S.SQL})) if inner else None
        taints = [self.expr(a) for a in arguments]  # helpers called inside reach their sinks
        if isinstance(func, ast.Attribute) and not _names_module(self.project, self.module, func):
            return None
        return _join(*taints)

    def _target(self, callee: str | None, func: ast.expr) -> tuple[Module, Function] | None:
        """The project function a call runs: by name, or a method of this one's class."""
        target = self.project.function(callee)
        if target is None and isinstance(func, ast.Attribute) and _is_self(func.value):
            target = self._own_method(func.attr)
        return target

    def _constructor(self, callee: str | None) -> tuple[Module, Function] | None:
        """The ``__init__`` of a project class a call constructs."""
        found = self.project.lookup(callee) if callee else None
        if found is None or not isinstance(found[1], ast.ClassDef):
            return None
        init = next(
            (
                s
                for s in found[1].body
                if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == "__init__"
            ),
            None,
        )
        return (found[0], init) if init is not None else None

    def _own_method(self, name: str) -> tuple[Module, Function] | None:
        """``self.name`` in a method: the method of the enclosing class or of its bases (looked
        up once per class and name)."""
        owner = self.module.index.method_class.get(id(self.function))
        if owner is None:
            return None
        key = (id(owner), name)
        if key not in self.engine.methods:
            self.engine.methods[key] = self._method_of(owner, name)
        return self.engine.methods[key]

    def _method_of(self, owner: ast.ClassDef | None, name: str) -> tuple[Module, Function] | None:
        module: Module = self.module
        for _ in range(10):
            if owner is None:
                break
            method = next(
                (
                    s
                    for s in owner.body
                    if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == name
                ),
                None,
            )
            if method is not None:
                return module, method
            bases = [
                self.project.lookup(self.project.resolve(module, b) or "") for b in owner.bases
            ]
            classes = [(m, c) for m, c in filter(None, bases) if isinstance(c, ast.ClassDef)]
            module, owner = classes[0] if classes else (module, None)
        return None

    def _deferred(self, node: ast.Call, callee: str | None) -> Taint | None:
        """``tasks.add_task(helper, x)`` and friends: a call of ``helper(x)`` run later."""
        position = S.DEFERRED_CALLS.get(callee or "")
        if position is None and isinstance(node.func, ast.Attribute):
            position = S.DEFERRED_CALLS.get(node.func.attr)
        if position is None or len(node.args) <= position:
            return None
        function = node.args[position]
        target = self.project.function(self._resolve(function))
        if target is None:
            return None
        call = ast.Call(func=function, args=node.args[position + 1 :], keywords=node.keywords)
        return self._through(ast.copy_location(call, node), target[0], target[1])

    def _through(
        self,
        node: ast.Call,
        module: Module,
        function: Function,
        receiver: Taint | None = None,
        method: bool = False,
    ) -> Taint | None:
        """Taint of a call into project code, reporting sinks the arguments reach there.

        ``receiver`` is the taint of the object a method is called on; ``method`` tells that
        the call passes no ``self`` even though it is not written ``obj.name(...)``.
        """
        summary = self.engine.summary(module, function)
        method = method or isinstance(node.func, ast.Attribute)
        bound = self._bind_arguments(node, function, method)
        if receiver is not None and _takes_self(function):
            bound["self"] = receiver
            self._bind_members(node, module, function, summary, bound, receiver)
        expressions = _bound_expressions(node, function, method)
        for entry in summary.sink_params:
            kind = entry.kind
            if self._guarded(kind):
                continue
            argument = bound.get(entry.param)
            taint = argument.unsafe_for(kind) if argument is not None else None
            if taint is None:
                continue
            built = expressions.get(entry.param)
            if entry.passthrough and built is not None and not self._is_param(built):
                # The helper runs what it is given: the defect is the value built here.
                runs_at = entry.runs_at or f"{entry.module.relpath}:{entry.node.lineno}"
                if taint.sources():
                    hit = Hit(kind, self.module, built, tuple(taint.sources()), (), runs_at)
                    self.engine.report(hit)
                for own in taint.params():
                    self._sink_param(SinkParam(own, kind, self.module, built, (), False, runs_at))
                continue
            here = (f"{self.module.relpath}:{node.lineno}", *entry.via)
            if taint.sources():
                hit = Hit(kind, entry.module, entry.node, tuple(taint.sources()), here)
                self.engine.report(hit)
            passthrough = entry.passthrough and self._is_untouched_param(built)
            for own in taint.params():
                self._sink_param(
                    SinkParam(own, kind, entry.module, entry.node, here, passthrough, entry.runs_at)
                )
        returned = summary.returns
        if returned is None:
            return None
        result = returned.only("source:")
        for param in returned.params():
            taint = bound.get(param)
            if taint is not None:
                result = _join(result, taint.made_safe(returned.safe[f"param:{param}"]))
        return result

    def _bind_members(
        self,
        node: ast.Call,
        module: Module,
        function: Function,
        summary: Summary,
        bound: dict[str, Taint],
        whole: Taint,
    ) -> None:
        """Bind the ``self.<attr>`` a method reads to what the receiver (of taint ``whole``)
        holds there: the attribute of a model, or the input an object was built with when its
        class stores input in that attribute."""
        labels = {entry.param for entry in summary.sink_params}
        if summary.returns is not None:
            labels.update(summary.returns.params())
        klass = module.index.method_class.get(id(function))
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        for label in sorted(labels):
            attr = label.removeprefix("self.") if label.startswith("self.") else ""
            if not attr or "." in attr or receiver is None or klass is None:
                continue
            if holds_input(klass, attr, lambda a: self.engine.safe_type(module, a)):
                taint: Taint | None = whole
                if isinstance(receiver, ast.Name):
                    # a local's attribute is read from the environment, not evaluated again
                    read = ast.copy_location(ast.Attribute(receiver, attr, ast.Load()), node)
                    taint = self.expr(read)
                if taint is not None:
                    bound[label] = taint

    def _bind_arguments(self, node: ast.Call, function: Function, method: bool) -> dict[str, Taint]:
        names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        if names and names[0] in {"self", "cls"} and method:
            names = names[1:]
        bound: dict[str, Taint] = {}
        for name, argument in zip(names, node.args, strict=False):
            taint = self.expr(argument)
            if taint is not None:
                bound[name] = taint
        for keyword in node.keywords:
            taint = self.expr(keyword.value)
            if keyword.arg is not None and taint is not None:
                bound[keyword.arg] = taint
        return bound

    # -- sinks ---------------------------------------------------------------------------------

    def _bind_generators(self, node: Comprehension) -> None:
        """Bind a comprehension's targets to what they iterate over."""
        for generator in node.generators:
            if not self._field_names(generator.iter):
                self._bind(generator.target, self.expr(generator.iter), False)

    def _scan_calls(self, statement: ast.stmt) -> None:
        nodes = shapes.nodes_in(statement)
        nested: bool | None = statement.__dict__.get(_COMPREHENDS)
        if nested is None:
            nested = any(isinstance(node, Comprehension) for node in nodes)
            setattr(statement, _COMPREHENDS, nested)
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            if nested:
                for part in walk(node):
                    if isinstance(part, Comprehension):
                        self._bind_generators(part)
            self._check_sink(node)

    def _check_sink(self, node: ast.Call) -> None:
        callee = self._resolve(node.func) or ""
        if callee.startswith(("fastapi.", "starlette.")) and callee.endswith("Response"):
            location = shapes.location_header(node)
            if location is not None and not self._guarded(S.REDIRECT):
                self._check_value(S.REDIRECT, node, self.expr(location))
        call = node
        wrapped = self._wrapped(callee, node)
        if wrapped is not None:
            callee, call = wrapped
        sink = S.SINKS.get(callee)
        arguments: list[ast.expr | None] = []
        kind: str | None = None
        if sink is not None:
            kind = sink.kind
            arguments = [shapes.argument(call, sink.argument, sink.keyword)]
            if sink.also is not None:
                arguments.append(shapes.argument(call, *sink.also))
            if sink.when == S.SHELL and not shapes.shell(call):
                arguments = [self._program(arguments[0])]
            elif sink.when == S.EXEC:
                arguments = [shapes.exec_command(call)]
            elif sink.when == S.HTML_MEDIA and not shapes.html_media(call):
                return
        elif isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in S.SQL_METHODS or method in S.SQL_QUERY_METHODS:
                statement = shapes.argument(node, 0, "statement") or shapes.argument(
                    node, 0, "query"
                )
                if isinstance(statement, ast.Name):
                    # ``stmt = select(...).where(...)`` then ``execute(stmt)``
                    assigned = last_assignment(self.function, statement)
                    if isinstance(assigned, ast.Call) and not shapes.builds_text(assigned):
                        return
                if not shapes.builds_text(statement):
                    return  # a statement object (select(), CreateSchema()) quotes its own values
                if method not in S.SQL_METHODS and not self._is_sql(statement):
                    return
                kind, arguments = S.SQL, [statement]
            elif method in S.PATH_METHODS:
                kind, arguments = S.PATH, [node.func.value]
            elif method == "from_string" and shapes.template_engine(callee):
                kind, arguments = S.TEMPLATE, [shapes.argument(node, 0, "source")]
            elif (
                method in S.EXTRACTORS
                and callee.rpartition(".")[0] in S.TAR_ARCHIVES
                and shapes.argument(node, 3, "filter") is None
            ):
                kind, arguments = S.ARCHIVE, [node.func.value]
        if kind is None or self._guarded(kind):
            return
        if kind == S.URL and self._guarded_client(node.func):
            return
        for argument in arguments:
            if argument is not None:
                self._check_value(kind, node, self.expr(argument), argument)

    def _program(self, argument: ast.expr | None) -> ast.expr | None:
        """Without a shell only the program is dangerous: the first element of a list, a
        string split into one whose first word is not fixed, a local bound to either."""
        if isinstance(argument, ast.Name):
            argument = last_assignment(self.function, argument)
        if isinstance(argument, ast.List | ast.Tuple):
            return shapes.command_of(argument.elts)
        text = shapes.split_text(argument, self._resolve) if argument is not None else None
        if text is None:
            return None
        built = last_assignment(self.function, text) if isinstance(text, ast.Name) else text
        first = shapes.string_parts(built or text)[0]
        fixed = isinstance(first, str) and " " in first.lstrip()
        return None if fixed else text

    def _wrapped(self, callee: str, node: ast.Call) -> tuple[str, ast.Call] | None:
        """A call of ``run = functools.partial(subprocess.run, shell=True)`` or of
        ``run = lambda cmd: os.system(cmd)`` as the call it makes, with this call's arguments
        in place."""
        found = self.project.lookup(callee) if callee else None
        if found is None:
            return None
        owner, made = found
        if isinstance(made, ast.Lambda) and isinstance(made.body, ast.Call):
            names = [a.arg for a in (*made.args.posonlyargs, *made.args.args)]
            given = dict(zip(names, node.args, strict=False))
            given.update({k.arg: k.value for k in node.keywords if k.arg is not None})
            body = _Substitute(given).visit(copy.deepcopy(made.body))
            return self.project.resolve(owner, body.func) or "", ast.copy_location(body, node)
        if not isinstance(made, ast.Call):
            return None
        if self.project.resolve(owner, made.func) != "functools.partial" or not made.args:
            return None
        wrapped = self.project.resolve(owner, made.args[0]) or ""
        call = ast.Call(
            func=made.args[0],
            args=[*made.args[1:], *node.args],
            keywords=[*made.keywords, *node.keywords],
        )
        return wrapped, ast.copy_location(call, node)

    def _is_sql(self, statement: ast.expr | None) -> bool:
        """Whether a query argument is SQL text: its constant start is a SQL statement."""
        if isinstance(statement, ast.Name):
            statement = last_assignment(self.function, statement)
        if statement is None:
            return False
        first = shapes.string_parts(statement)[0]
        return isinstance(first, str) and bool(S.SQL_STATEMENT.match(first))

    def _guarded(self, kind: str) -> bool:
        """Whether this function checks the values it sends to sinks of ``kind`` (each check
        read once, when first needed)."""
        if kind == S.PATH:
            found = self._checks.get(kind)
            if found is None:
                found = self._checks[kind] = guards_paths(self.function)
            return found
        if kind not in URL_LIKE:
            return False
        found = self._checks.get(S.URL)
        if found is None:
            found = self._checks[S.URL] = guards_urls(self.function)
        return found

    def _guarded_client(self, func: ast.expr) -> bool:
        """Whether a request goes through a client built with the project's own transport
        (``httpx.AsyncClient(transport=SafeTransport())``, also by a project factory), which is
        where SSRF filters live."""
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return False
        name = func.value.id
        values: list[ast.AST] = []
        for node in walk(self.function):
            if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                if node.optional_vars.id == name:
                    values.append(node.context_expr)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                values.append(node.value)
        if not values and name in self.module.bindings:
            values.append(self.module.bindings[name])
        for value in values:
            if isinstance(value, ast.Await):
                value = value.value
            if not isinstance(value, ast.Call):
                continue
            if self._custom_transport(self.module, value):
                return True
            factory = self.project.function(self._resolve(value.func))
            if factory is not None and any(
                isinstance(node, ast.Return)
                and isinstance(node.value, ast.Call)
                and self._custom_transport(factory[0], node.value)
                for node in walk(factory[1])
            ):
                return True
        return False

    def _custom_transport(self, module: Module, call: ast.Call) -> bool:
        """Whether a client constructor is given a transport class the project defines."""
        for keyword in call.keywords:
            if keyword.arg in {"transport", "connector"} and isinstance(keyword.value, ast.Call):
                callee = self.project.resolve(module, keyword.value.func)
                found = self.project.lookup(callee) if callee else None
                if found is not None and isinstance(found[1], ast.ClassDef):
                    return True
        return False

    def _sink_param(self, entry: SinkParam) -> None:
        """Record that a parameter reaches a sink, once (loops and the second pass repeat)."""
        key = (entry.param, entry.kind, id(entry.node), entry.via)
        if key not in self._recorded:
            self._recorded.add(key)
            self.summary.sink_params.append(entry)

    def _is_param(self, node: ast.expr) -> bool:
        """Whether ``node`` names a parameter of this function."""
        arguments = self.function.args
        names = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
        return isinstance(node, ast.Name) and node.id in names

    def _is_untouched_param(self, node: ast.expr | None) -> bool:
        """Whether ``node`` is a parameter of this function that it never rebinds."""
        if not isinstance(node, ast.Name) or not self._is_param(node):
            return False
        return not any(
            isinstance(n, ast.Name) and n.id == node.id and isinstance(n.ctx, ast.Store)
            for n in walk(self.function)
        )

    def _check_value(
        self, kind: str, node: ast.expr, taint: Taint | None, argument: ast.expr | None = None
    ) -> None:
        """Report ``taint`` reaching the sink ``node`` (through ``argument``) unless it was made
        safe for ``kind``."""
        taint = taint.unsafe_for(kind) if taint is not None else None
        if taint is None:
            return
        if taint.sources():
            self.engine.report(Hit(kind, self.module, node, tuple(taint.sources())))
        passthrough = kind in BUILT_STRINGS and self._is_untouched_param(argument)
        for param in taint.params():
            self._sink_param(SinkParam(param, kind, self.module, node, (), passthrough))


DUMPS = frozenset({"model_dump", "dict"})


class _Substitute(ast.NodeTransformer):
    """Puts the arguments of a call in place of a lambda's parameters."""

    def __init__(self, given: dict[str, ast.expr]) -> None:
        self.given = given

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.given.get(node.id, node) if isinstance(node.ctx, ast.Load) else node


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _fixed_destination(text: str) -> bool:
    """Whether a URL prefix fixes where it points: a scheme and host, or a local path."""
    return bool(FIXED_HOST.match(text)) or (
        len(text) > 1 and text[0] == "/" and text[1] not in "/\\"
    )


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in {"self", "cls"}


def _fields(node: ast.AST) -> dict[str, ast.AnnAssign]:
    """The annotated fields a class declares (a dataclass, a model), by name."""
    if not isinstance(node, ast.ClassDef):
        return {}
    return {
        s.target.id: s
        for s in node.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    }


def _object_state(taint: Taint) -> bool:
    """Whether a taint is only what the object a method runs on holds."""
    return all(label == "param:self" or label.startswith("param:self.") for label in taint.safe)


def _takes_self(function: Function) -> bool:
    arguments = function.args.posonlyargs or function.args.args
    return bool(arguments) and arguments[0].arg == "self"


def _bound_expressions(node: ast.Call, function: Function, method: bool) -> dict[str, ast.expr]:
    """The argument expression a call passes for each named parameter of ``function``."""
    names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if names and names[0] in {"self", "cls"} and method:
        names = names[1:]
    positional: list[ast.expr] = []
    for argument in node.args:
        if isinstance(argument, ast.Starred):
            break
        positional.append(argument)
    found = dict(zip(names, positional, strict=False))
    found.update({k.arg: k.value for k in node.keywords if k.arg is not None})
    return found


def resolve_in(
    project: Project, module: Module, function: Function | None, node: ast.expr
) -> str | None:
    """Qualified name of an expression inside ``function`` (or at module level)."""
    scope = project.scope(function) if function is not None else None
    return project.resolve(module, node, scope)


def _names_module(project: Project, module: Module, func: ast.Attribute) -> bool:
    """Whether ``func`` is a function of an imported module (``os.path.join``) not a method of
    an object the project defines and imports (``settings``, ``templates``)."""
    root: ast.expr = func.value
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name):
        return False
    if root.id not in module.imports:
        return project.resolve(module, root) in BUILTINS
    found = project.lookup(module.imports[root.id])
    return found is None or isinstance(found[1], ast.ClassDef)


def _takes_request(function: Function) -> bool:
    """Whether a parameter is annotated as a request, websocket or connection."""
    for argument in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs):
        annotation = argument.annotation
        name = ""
        if isinstance(annotation, ast.Name):
            name = annotation.id
        elif isinstance(annotation, ast.Attribute):
            name = annotation.attr
        elif isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            name = annotation.value.rpartition(".")[2]
        if name in {"Request", "WebSocket", "HTTPConnection"}:
            return True
    return False
