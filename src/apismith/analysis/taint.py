"""Taint flow from what a client sends to dangerous sinks, across functions and modules.

Each function is analysed once into a :class:`Summary`: which of its parameters reach its return
value, and which reach a sink. Values a client controls (a path operation's or dependency's
request parameters, ``request.json()`` and friends) carry ``source:`` labels; a helper's
parameters carry ``param:`` labels, so a call site can map them to the caller's own values.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from apismith.analysis import sinks as S
from apismith.project.module import Function, Module
from apismith.project.project import Project
from apismith.project.routes import Param, RouteModel

EMPTY: frozenset[str] = frozenset()
FIXED_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/{}]+(/|$)")
PATH_GUARDS = frozenset({"is_relative_to", "commonpath", "realpath", "relative_to"})
INPUT_SOURCES = frozenset({"path", "query", "body", "header", "cookie", "form", "file"})


@dataclass(frozen=True, slots=True)
class Taint:
    """Where a value may come from, and for which sink kinds it has been made safe."""

    labels: frozenset[str]
    sanitized: frozenset[str] = EMPTY

    def __or__(self, other: Taint | None) -> Taint:
        if other is None:
            return self
        return Taint(self.labels | other.labels, self.sanitized & other.sanitized)

    def sources(self) -> list[str]:
        """Names of the client-controlled values this taint carries."""
        return sorted(label[7:] for label in self.labels if label.startswith("source:"))

    def params(self) -> set[str]:
        """Names of the enclosing function's parameters this taint carries."""
        return {label[6:] for label in self.labels if label.startswith("param:")}


def _join(*taints: Taint | None) -> Taint | None:
    result: Taint | None = None
    for taint in taints:
        if taint is not None:
            result = taint if result is None else result | taint
    return result


@dataclass(frozen=True, slots=True)
class Hit:
    """Client data reaching a sink: where, of which kind, from what, through which calls."""

    kind: str
    module: Module
    node: ast.Call
    sources: tuple[str, ...]
    via: tuple[str, ...] = ()


@dataclass(slots=True)
class Summary:
    """What a call of a function does with its arguments."""

    returns: Taint | None = None
    sink_params: list[tuple[str, str, Module, ast.Call, tuple[str, ...]]] = field(
        default_factory=list
    )
    guarded_paths: bool = False


class TaintEngine:
    """Computes summaries on demand and collects every source-to-sink hit of the project."""

    def __init__(self, project: Project, routes: RouteModel) -> None:
        self.project = project
        self.routes = routes
        self.inputs: dict[int, dict[str, Param]] = {}
        for route in routes.routes:
            self._register(route.module, route.handler, route.operation.params)
            for dependency in route.all_dependencies:
                for node in dependency.closure():
                    if node.function is not None:
                        owner, function = node.function
                        self._register(owner, function, routes.parameters(owner, function))
        self.summaries: dict[int, Summary] = {}
        self._active: set[int] = set()
        self.hits: list[Hit] = []
        self._seen: set[tuple[str, int, str]] = set()

    def _register(self, module: Module, function: Function, params: list[Param]) -> None:
        inputs = self.inputs.setdefault(id(function), {})
        for param in params:
            if param.source in INPUT_SOURCES and param.type_name not in S.SAFE_TYPES:
                inputs[param.name] = param
            elif param.source == "dependency" and param.dependency is not None:
                inputs.setdefault(param.name, param)

    def run(self) -> list[Hit]:
        """Analyse every function of the project (non-test code) and return all hits."""
        for module in self.project.modules:
            if module.is_test:
                continue
            for function in module.index.functions:
                self.summary(module, function)
        return sorted(self.hits, key=lambda h: (h.module.relpath, h.node.lineno, h.kind))

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
        """Record a hit once per sink, kind and line."""
        key = (hit.module.relpath, hit.node.lineno, hit.kind)
        if key not in self._seen:
            self._seen.add(key)
            self.hits.append(hit)


class _FunctionFlow:
    """One pass (two, for loops) over a function body, tracking tainted names."""

    def __init__(self, engine: TaintEngine, module: Module, function: Function) -> None:
        self.engine = engine
        self.project = engine.project
        self.module = module
        self.function = function
        self.scope = engine.project.scope(function)
        self.env: dict[str, Taint] = {}
        self.summary = Summary()
        self.summary.guarded_paths = _guards_paths(function)
        self.request_names: set[str] = set()
        inputs = engine.inputs.get(id(function))
        arguments = function.args
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            type_name = self.scope.types.get(argument.arg)
            if type_name in {"fastapi.Request", "starlette.requests.Request"}:
                self.request_names.add(argument.arg)
                continue
            if inputs is not None:
                param = inputs.get(argument.arg)
                if param is None:
                    continue
                if param.dependency is not None:
                    taint = self._dependency_taint(param)
                    if taint is not None:
                        self.env[argument.arg] = taint
                else:
                    self.env[argument.arg] = Taint(frozenset({f"source:{argument.arg}"}))
            elif type_name not in S.SAFE_TYPES and argument.arg not in {"self", "cls"}:
                self.env[argument.arg] = Taint(frozenset({f"param:{argument.arg}"}))

    def _dependency_taint(self, param: Param) -> Taint | None:
        dependency = param.dependency
        if dependency is None or dependency.function is None:
            return None
        owner, function = dependency.function
        returned = self.engine.summary(owner, function).returns
        if returned is None or not returned.sources():
            return None
        return Taint(frozenset(f"source:{s}" for s in returned.sources()), returned.sanitized)

    def analyse(self) -> Summary:
        for _ in range(2):
            self._block(self.function.body, top=True)
        return self.summary

    # -- statements ----------------------------------------------------------------------------

    def _block(self, body: list[ast.stmt], top: bool) -> None:
        for statement in body:
            self._statement(statement, top)

    def _statement(self, node: ast.stmt, top: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return
        self._scan_calls(node)
        if isinstance(node, ast.Assign):
            taint = self.expr(node.value)
            for target in node.targets:
                self._bind(target, taint, top)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            taint = self.expr(node.value)
            if isinstance(node, ast.AugAssign):
                taint = _join(taint, self.expr(node.target))
            self._bind(node.target, taint, top)
        elif isinstance(node, ast.Return) and node.value is not None:
            self.summary.returns = _join(self.summary.returns, self.expr(node.value))
        elif isinstance(node, ast.For | ast.AsyncFor):
            self._bind(node.target, self.expr(node.iter), False)
            self._block(node.body, False)
            self._block(node.body, False)
            self._block(node.orelse, False)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, self.expr(item.context_expr), top)
            self._block(node.body, top)
        elif isinstance(node, ast.If | ast.While):
            self._block(node.body, False)
            self._block(node.orelse, False)
        elif isinstance(node, ast.Try):
            self._block(node.body, top)
            for handler in node.handlers:
                self._block(handler.body, False)
            self._block(node.orelse, False)
            self._block(node.finalbody, top)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                self._block(case.body, False)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Yield | ast.Await):
            inner = node.value.value
            if isinstance(node.value, ast.Yield) and inner is not None:
                self.summary.returns = _join(self.summary.returns, self.expr(inner))

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
            return self.expr(node.value)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Await | ast.Starred | ast.FormattedValue | ast.NamedExpr):
            return self.expr(node.value)
        if isinstance(node, ast.BinOp):
            return _join(self.expr(node.left), self.expr(node.right))
        if isinstance(node, ast.JoinedStr):
            return _join(*(self.expr(value) for value in node.values))
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return _join(*(self.expr(element) for element in node.elts))
        if isinstance(node, ast.Dict):
            return _join(*(self.expr(v) for v in node.values), *(self.expr(k) for k in node.keys))
        if isinstance(node, ast.IfExp):
            return _join(self.expr(node.body), self.expr(node.orelse))
        if isinstance(node, ast.BoolOp):
            return _join(*(self.expr(value) for value in node.values))
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            return _join(*(self.expr(gen.iter) for gen in node.generators))
        return None

    def _attribute(self, node: ast.Attribute) -> Taint | None:
        if isinstance(node.value, ast.Name) and node.value.id in self.request_names:
            if node.attr in S.REQUEST_SOURCES:
                return Taint(frozenset({f"source:request.{node.attr}"}))
            return None
        base = self.expr(node.value)
        if base is None:
            return None
        if node.attr == "name" or node.attr == "stem":
            return Taint(base.labels, base.sanitized | {S.PATH})
        if isinstance(node.value, ast.Name) and self._field_is_safe(node.value.id, node.attr):
            return None
        return base

    def _field_is_safe(self, name: str, attr: str) -> bool:
        model = self.engine.routes.classes.get(self.scope.types.get(name))
        if model is None:
            return False
        statement = model.fields.get(attr)
        if isinstance(statement, ast.AnnAssign):
            return self.project.annotation_type(model.module, statement.annotation) in S.SAFE_TYPES
        return False

    def _call(self, node: ast.Call) -> Taint | None:
        callee = self.project.resolve(self.module, node.func, self.scope)
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if callee in S.CLEANSERS:
            return None
        if callee in S.SANITIZERS:
            inner = _join(*(self.expr(a) for a in arguments))
            return Taint(inner.labels, inner.sanitized | S.SANITIZERS[callee]) if inner else None
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = func.value
            if isinstance(receiver, ast.Name) and receiver.id in self.request_names:
                if func.attr in S.REQUEST_SOURCES:
                    return Taint(frozenset({f"source:request.{func.attr}()"}))
                return None
            receiver_taint = self.expr(receiver)
            if receiver_taint is not None and func.attr not in {"count", "index", "exists"}:
                return _join(receiver_taint, *(self.expr(a) for a in arguments))
            string_receiver = isinstance(receiver, ast.Constant | ast.JoinedStr)
            if func.attr in S.STRING_METHODS and (string_receiver or receiver_taint is not None):
                return _join(*(self.expr(a) for a in arguments))
        target = self.project.function(callee)
        if target is not None:
            return self._through(node, target[0], target[1])
        sink = S.SINKS.get(callee or "")
        if sink is not None and sink.kind == S.SQL:
            inner = _join(*(self.expr(a) for a in arguments))
            return Taint(inner.labels, inner.sanitized | {S.SQL}) if inner else None
        if isinstance(func, ast.Attribute) and not _names_module(self.project, self.module, func):
            return None
        return _join(*(self.expr(a) for a in arguments))

    def _through(self, node: ast.Call, module: Module, function: Function) -> Taint | None:
        """Taint of a call into project code, reporting sinks the arguments reach there."""
        summary = self.engine.summary(module, function)
        bound = self._bind_arguments(node, function)
        for param, kind, sink_module, sink, via in summary.sink_params:
            taint = bound.get(param)
            if taint is None or kind in taint.sanitized:
                continue
            here = (f"{self.module.relpath}:{node.lineno}", *via)
            if taint.sources():
                self.engine.report(Hit(kind, sink_module, sink, tuple(taint.sources()), here))
            for own in taint.params():
                self.summary.sink_params.append((own, kind, sink_module, sink, here))
        returned = summary.returns
        if returned is None:
            return None
        result: Taint | None = None
        own_sources = [label for label in returned.labels if label.startswith("source:")]
        if own_sources:
            result = Taint(frozenset(own_sources), returned.sanitized)
        for param in returned.params():
            taint = bound.get(param)
            if taint is not None:
                result = _join(result, Taint(taint.labels, taint.sanitized | returned.sanitized))
        return result

    def _bind_arguments(self, node: ast.Call, function: Function) -> dict[str, Taint]:
        names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        if names and names[0] in {"self", "cls"} and isinstance(node.func, ast.Attribute):
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

    def _scan_calls(self, statement: ast.stmt) -> None:
        for node in _calls_in(statement):
            self._check_sink(node)

    def _check_sink(self, node: ast.Call) -> None:
        callee = self.project.resolve(self.module, node.func, self.scope) or ""
        sink = S.SINKS.get(callee)
        argument: ast.expr | None = None
        kind: str | None = None
        if sink is not None:
            kind = sink.kind
            argument = _argument(node, sink.argument, sink.keyword)
            if sink.needs_shell and not _shell(node):
                argument = _program(argument)
        elif isinstance(node.func, ast.Attribute):
            if node.func.attr in S.SQL_METHODS:
                kind, argument = S.SQL, _argument(node, 0, "statement")
            elif node.func.attr in S.PATH_METHODS:
                kind, argument = S.PATH, node.func.value
            elif node.func.attr == "from_string":
                kind, argument = S.TEMPLATE, _argument(node, 0, "source")
        if kind is None or argument is None:
            return
        if kind in {S.URL, S.REDIRECT} and _fixed_target(argument):
            return
        if kind == S.PATH and self.summary.guarded_paths:
            return
        taint = self.expr(argument)
        if taint is None or kind in taint.sanitized:
            return
        if taint.sources():
            self.engine.report(Hit(kind, self.module, node, tuple(taint.sources())))
        for param in taint.params():
            self.summary.sink_params.append((param, kind, self.module, node, ()))


def _calls_in(statement: ast.stmt) -> Iterator[ast.Call]:
    """Calls of a statement itself, not of the blocks nested in it."""
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
    for root in roots:
        for node in ast.walk(root):
            if isinstance(node, ast.Call):
                yield node


def _argument(node: ast.Call, position: int, keyword: str | None) -> ast.expr | None:
    if len(node.args) > position:
        return node.args[position]
    return next((k.value for k in node.keywords if k.arg == keyword), None)


def _shell(node: ast.Call) -> bool:
    return any(
        k.arg == "shell" and not (isinstance(k.value, ast.Constant) and not k.value.value)
        for k in node.keywords
    )


def _program(argument: ast.expr | None) -> ast.expr | None:
    """Without a shell only the program name is dangerous: the first element of the list."""
    if isinstance(argument, ast.List | ast.Tuple):
        return argument.elts[0] if argument.elts else None
    return None


def _fixed_target(node: ast.expr) -> bool:
    """Whether a URL keeps a constant scheme and host, or is a constant path on this site."""
    first: ast.expr | None = node
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        while isinstance(first, ast.BinOp):
            first = first.left
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return False
    text = first.value
    return bool(FIXED_HOST.match(text)) or (
        text.startswith("/") and len(text) > 1 and text[1] not in "/\\"
    )


def _guards_paths(function: Function) -> bool:
    """Whether a function checks paths it builds (``is_relative_to``, ``..`` tests)."""
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and node.attr in PATH_GUARDS:
            return True
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and node.left.value == ".."
        ):
            return True
    return False


def _names_module(project: Project, module: Module, func: ast.Attribute) -> bool:
    """Whether ``func`` is a function of an imported module (``os.path.join``) not a method."""
    root: ast.expr = func.value
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and root.id in module.imports
