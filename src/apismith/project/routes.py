"""FastAPI applications, routers and path operations, with their dependency closure."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from apismith.project.classes import ClassCatalog
from apismith.project.constants import Bindings, constant_str
from apismith.project.module import Function, Module
from apismith.project.project import BUILTINS, Project
from apismith.project.walk import walk

APP_CLASSES = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI"})
ROUTER_CLASSES = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "options", "head", "trace")
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEPENDS = frozenset(
    {"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.params.Security"}
)
PARAM_SOURCES = {
    "Path": "path",
    "Query": "query",
    "Body": "body",
    "Header": "header",
    "Cookie": "cookie",
    "Form": "form",
    "File": "file",
}
SPECIAL_TYPES = {
    "fastapi.Request": "request",
    "starlette.requests.Request": "request",
    "fastapi.WebSocket": "request",
    "starlette.requests.HTTPConnection": "request",
    "fastapi.Response": "response",
    "starlette.responses.Response": "response",
    "fastapi.BackgroundTasks": "background",
    "fastapi.security.SecurityScopes": "security-scopes",
    "fastapi.UploadFile": "file",
    "starlette.datastructures.UploadFile": "file",
}
AUTH_NAME = re.compile(
    r"current_(active_)?(super)?user|authenticat|require[sd]?_(user|auth|login|admin|role|perm|scope)"
    r"|verify_(token|jwt|api_?key|access|auth|user)|api_?key|login_required|admin_required"
    r"|check_(permission|auth|token|role)|has_(permission|role)|permission|auth_(user|required)"
    r"|validate_\w*token|admin_user|superuser"
    r"|get_user_from_token|token_required|validate_(token|jwt)|bearer|^auth$|_auth$",
    re.IGNORECASE,
)
UNAUTHORIZED = re.compile(r"HTTP_40[13]_|^40[13]$")
SCHEME_CLASSES = (
    "OAuth2",
    "OAuth2PasswordBearer",
    "OAuth2AuthorizationCodeBearer",
    "OpenIdConnect",
    "HTTPBasic",
    "HTTPBearer",
    "HTTPDigest",
    "HTTPBase",
    "APIKeyHeader",
    "APIKeyQuery",
    "APIKeyCookie",
)
SECURITY_SCHEMES = frozenset(
    f"fastapi.security.{module}{name}"
    for name in SCHEME_CLASSES
    for module in ("", "api_key.", "http.", "oauth2.", "open_id_connect_url.")
)
PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?}")


@dataclass(slots=True)
class Dependency:
    """One ``Depends``/``Security`` node; ``authenticates`` covers its whole closure."""

    label: str
    node: ast.expr
    target: str | None
    function: tuple[Module, Function] | None = None
    scheme: str | None = None
    children: list[Dependency] = field(default_factory=list)
    authenticates: bool = False
    path_reads: set[str] = field(default_factory=set)

    def closure(self) -> Iterator[Dependency]:
        """This dependency and everything it depends on."""
        yield self
        for child in self.children:
            yield from child.closure()


@dataclass(slots=True)
class Param:
    """A parameter of a path operation and where FastAPI takes it from."""

    name: str
    source: str
    annotation: ast.expr | None
    type_name: str | None
    node: ast.arg
    dependency: Dependency | None = None


@dataclass(slots=True)
class Operation:
    """A path operation as declared on one router, before prefixes are applied."""

    methods: tuple[str, ...]
    path: str
    module: Module
    handler: Function
    decorator: ast.Call
    keywords: dict[str, ast.expr]
    params: list[Param]
    dependencies: list[Dependency]


@dataclass(slots=True)
class Route:
    """A path operation as the running application registers it: full path, all dependencies."""

    method: str
    path: str
    operation: Operation
    dependencies: list[Dependency]
    router: str
    app: str = ""  # qualname of the app serving it (a mounted app serves its own routes)

    @property
    def module(self) -> Module:
        """Module of the handler."""
        return self.operation.module

    @property
    def handler(self) -> Function:
        """The handler function."""
        return self.operation.handler

    @property
    def line(self) -> int:
        """Line of the decorator (or registration call) that declares the route."""
        return self.operation.decorator.lineno

    @property
    def all_dependencies(self) -> Iterator[Dependency]:
        """Route-, router-, include- and app-level dependencies and parameter dependencies."""
        yield from self.dependencies
        for param in self.operation.params:
            if param.dependency is not None:
                yield param.dependency

    @property
    def auth_via(self) -> str | None:
        """Label of the first dependency whose closure authenticates, or None."""
        for dependency in self.all_dependencies:
            if dependency.authenticates:
                return dependency.label
        return None

    @property
    def auth(self) -> bool:
        """Whether any dependency of the route authenticates the caller."""
        return self.auth_via is not None

    @property
    def path_params(self) -> list[str]:
        """Names of the ``{params}`` in the full path."""
        return PATH_PARAM.findall(self.path)

    def keyword(self, name: str) -> ast.expr | None:
        """A keyword argument of the declaring decorator or call."""
        return self.operation.keywords.get(name)


@dataclass(slots=True)
class Container:
    """A FastAPI app or APIRouter object and how it is wired."""

    qualname: str
    kind: str  # "app" or "router"
    module: Module
    node: ast.Call
    prefix: str = ""
    dependencies: list[Dependency] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    includes: list[tuple[str, str, list[Dependency]]] = field(default_factory=list)
    mounts: list[tuple[str, str]] = field(default_factory=list)
    parents: int = 0


class RouteModel:
    """Builds apps, routers and routes for a project."""

    def __init__(self, project: Project, classes: ClassCatalog) -> None:
        self.project = project
        self.classes = classes
        self.containers: dict[str, Container] = {}
        self._in_progress: set[int] = set()
        self._modules = [m for m in project.modules if not m.is_test]
        self._resolving = 0
        self._instances: dict[int, Container] = {}
        self._templates: set[str] = set()
        self._pending: list[tuple[Container, Container, Bindings]] = []
        for module in self._modules:
            self._find_containers(module)
        for module in self._modules:
            self._find_operations(module)
            self._find_wiring(module)
        for instance, template, env in self._pending:
            rebound = [self._rebind(op, env) for op in template.operations]
            instance.operations[:0] = rebound  # before those declared on the instance itself
        self.routes: list[Route] = self._flatten()

    # -- containers ----------------------------------------------------------------------------

    def _container_class(self, module: Module, call: ast.Call, depth: int = 0) -> str | None:
        name = self.project.resolve(module, call.func)
        if name in APP_CLASSES:
            return "app"
        if name in ROUTER_CLASSES:
            return "router"
        found = self.project.lookup(name) if name is not None and depth < 10 else None
        if found is None:
            return None
        owner, definition = found
        if isinstance(definition, ast.ClassDef):
            return self._class_kind(owner, definition, depth)
        if isinstance(definition, ast.Call):
            # ``APIRouter = make_router_class(...)``: a factory returning a router subclass.
            factory = self.project.function(self.project.resolve(owner, definition.func))
            if factory is not None:
                for node in walk(factory[1]):
                    if isinstance(node, ast.ClassDef):
                        kind = self._class_kind(factory[0], node, depth)
                        if kind is not None:
                            return kind
        return None

    def _class_kind(self, module: Module, node: ast.ClassDef, depth: int) -> str | None:
        for base in node.bases:
            probe = ast.Call(func=base, args=[], keywords=[])
            kind = self._container_class(module, probe, depth + 1)
            if kind is not None:
                return kind
        return None

    def _local_name(self, module: Module, function: Function | None, name: str) -> str:
        if function is None:
            return f"{module.name}.{name}"
        return f"{module.name}.{function.name}.<locals>.{name}"

    def _find_containers(self, module: Module) -> None:
        for assign, owner in module.index.assigns:
            targets = assign.targets if isinstance(assign, ast.Assign) else [assign.target]
            names = [target.id for target in targets if isinstance(target, ast.Name)]
            value = assign.value
            if not names or not isinstance(value, ast.Call):
                continue
            kind = self._container_class(module, value)
            if kind is None:
                continue
            container = self._new_container(
                self._local_name(module, owner, names[0]), kind, module, value, owner
            )
            for alias in names[1:]:  # ``items_router = r = APIRouter()``: one object, two names
                self.containers[self._local_name(module, owner, alias)] = container

    def _new_container(
        self, qualname: str, kind: str, module: Module, call: ast.Call, owner: Function | None
    ) -> Container:
        container = Container(qualname, kind, module, call)
        for keyword in call.keywords:
            if keyword.arg == "prefix":
                container.prefix = self._string(module, keyword.value, owner) or ""
            elif keyword.arg == "dependencies":
                container.dependencies = self._dependency_list(module, keyword.value)
        container.dependencies += self._subclass_dependencies(module, call)
        self.containers[qualname] = container
        return container

    def _string(self, module: Module, node: ast.expr, function: Function | None) -> str | None:
        """A constant string, reading locals' types (``settings = get_settings()``)."""
        scope = self.project.scope(function) if function is not None else None
        return constant_str(self.project, module, node, scope=scope)

    def _subclass_dependencies(self, module: Module, call: ast.Call) -> list[Dependency]:
        """Dependencies a project router subclass passes to ``super().__init__``."""
        found = self.project.lookup(self.project.resolve(module, call.func) or "")
        if found is None or not isinstance(found[1], ast.ClassDef):
            return []
        owner, node = found[0], found[1]
        for statement in node.body:
            if isinstance(statement, ast.FunctionDef) and statement.name == "__init__":
                for inner in walk(statement):
                    if (
                        isinstance(inner, ast.Call)
                        and isinstance(inner.func, ast.Attribute)
                        and inner.func.attr == "__init__"
                    ):
                        return self._dependency_list(owner, _kw(inner, "dependencies"))
        return []

    def container_for(
        self, module: Module, node: ast.expr, function: Function | None
    ) -> Container | None:
        """The app or router an expression evaluates to, through factories and imports."""
        if isinstance(node, ast.Name) and function is not None:
            local = self.containers.get(self._local_name(module, function, node.id))
            if local is not None:
                return local
        if isinstance(node, ast.Attribute) and node.attr == "router":
            inner = self.container_for(module, node.value, function)
            if inner is not None:
                return inner
        if isinstance(node, ast.Call):  # ``include_router(make_router("x"))``, ``APIRouter()``
            kind = self._container_class(module, node)
            if kind is None:
                return self._factory_result(module, node)
            inline = f"{module.name}.<{kind} at {node.lineno}:{node.col_offset}>"
            known = self.containers.get(inline)
            return known or self._new_container(inline, kind, module, node, function)
        qualname = self.project.resolve(module, node)
        if qualname is None:
            return self._through_parameter(module, node, function)
        qualname = self.project.canonical(qualname)
        if qualname in self.containers:
            return self.containers[qualname]
        found = self.project.lookup(qualname)
        if found is not None and isinstance(found[1], ast.Call):
            return self._factory_result(found[0], found[1])
        return None

    def _factory_result(self, module: Module, call: ast.Call) -> Container | None:
        """The app or router a factory call returns: one instance per call when the factory
        takes parameters, since prefixes and paths may be built from them."""
        if id(call) in self._instances:
            return self._instances[id(call)]
        factory = self.project.function(self.project.resolve(module, call.func))
        if factory is None:
            return None
        passed = self._passed_through(factory[1], module, call)
        if passed is not None:
            return passed
        template = self._factory_template(factory[0], factory[1])
        if template is None or not _parametrised(factory[1]):
            return template
        env = _bindings(factory[0], factory[1], module, call)
        instance = Container(
            f"{template.qualname}<{module.name}:{call.lineno}:{call.col_offset}>",
            template.kind,
            template.module,
            template.node,
            dependencies=template.dependencies,
            includes=template.includes,
            mounts=template.mounts,
        )
        prefix_node = _kw(template.node, "prefix")
        if prefix_node is not None:
            instance.prefix = (
                constant_str(self.project, template.module, prefix_node, env=env) or ""
            )
        template.parents += 1
        self._templates.add(template.qualname)
        self._pending.append((instance, template, env))
        self.containers[instance.qualname] = instance
        self._instances[id(call)] = instance
        return instance

    def _passed_through(
        self, function: Function, module: Module, call: ast.Call
    ) -> Container | None:
        """``def add_routes(r): ...; return r``: the container the call passes in."""
        arguments = function.args
        positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
        for statement in walk(function):
            if isinstance(statement, ast.Return) and isinstance(statement.value, ast.Name):
                name = statement.value.id
                if name in positional and positional.index(name) < len(call.args):
                    argument: ast.expr | None = call.args[positional.index(name)]
                else:
                    argument = _kw(call, name)
                if argument is not None:
                    return self.container_for(module, argument, None)
        return None

    def _factory_template(self, owner: Module, function: Function) -> Container | None:
        for statement in walk(function):
            if not isinstance(statement, ast.Return):
                continue
            if isinstance(statement.value, ast.Name):
                found = self.containers.get(self._local_name(owner, function, statement.value.id))
                if found is not None:
                    return found
            elif isinstance(statement.value, ast.Call):
                # ``return FastAPI(...)``: the factory's result is an app of its own.
                kind = self._container_class(owner, statement.value)
                if kind is not None:
                    qualname = self._local_name(owner, function, "<return>")
                    if qualname not in self.containers:
                        self.containers[qualname] = Container(
                            qualname, kind, owner, statement.value
                        )
                    return self.containers[qualname]
        return None

    # -- operations ----------------------------------------------------------------------------

    def _find_operations(self, module: Module) -> None:
        for function in module.index.functions:
            owner = module.index.function_owner.get(id(function))
            for decorator in function.decorator_list:
                if not (
                    isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                ):
                    continue
                verb = decorator.func.attr
                if verb not in HTTP_METHODS and verb != "api_route":
                    continue
                container = self.container_for(module, decorator.func.value, owner)
                if container is None:
                    continue
                path_node = decorator.args[0] if decorator.args else _kw(decorator, "path")
                path = constant_str(self.project, module, path_node) if path_node else None
                methods = (
                    (verb.upper(),) if verb != "api_route" else self._methods(module, decorator)
                )
                container.operations.append(
                    self._operation(module, function, decorator, methods, path or "")
                )
        for call, owner in module.index.calls:
            func = call.func
            if not (isinstance(func, ast.Attribute) and func.attr == "add_api_route"):
                continue
            container = self.container_for(module, func.value, owner)
            endpoint = call.args[1] if len(call.args) > 1 else _kw(call, "endpoint")
            handler = (
                self.project.function(self.project.resolve(module, endpoint)) if endpoint else None
            )
            if container is None or handler is None:
                continue
            path_node = call.args[0] if call.args else _kw(call, "path")
            path = constant_str(self.project, module, path_node) if path_node else None
            container.operations.append(
                self._operation(
                    handler[0], handler[1], call, self._methods(module, call), path or ""
                )
            )

    def _operation(
        self,
        module: Module,
        function: Function,
        declaration: ast.Call,
        methods: tuple[str, ...],
        path: str,
    ) -> Operation:
        keywords = {k.arg: k.value for k in declaration.keywords if k.arg}
        dependencies = self._dependency_list(module, keywords.get("dependencies"))
        owner_class = module.index.method_class.get(id(function))
        if owner_class is not None:
            dependencies += self._class_dependencies(module, owner_class, 0)
        declaration_module = module
        params = self.parameters(module, function, path)
        return Operation(
            methods, path, declaration_module, function, declaration, keywords, params, dependencies
        )

    def _class_dependencies(
        self, module: Module, node: ast.ClassDef, depth: int
    ) -> list[Dependency]:
        """Class-based views: ``user = Depends(get_current_user)`` attributes, bases included."""
        found: list[Dependency] = []
        for statement in node.body:
            value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
            if isinstance(value, ast.Call) and self.project.resolve(module, value.func) in DEPENDS:
                target = value.args[0] if value.args else _kw(value, "dependency")
                if target is None and isinstance(statement, ast.AnnAssign):
                    target = statement.annotation
                found.append(self.dependency(module, target, value))
            elif isinstance(statement, ast.AnnAssign):
                markers: list[tuple[Module, ast.expr]] = []
                self._annotated_parts(module, statement.annotation, markers)
                for owner, marker in markers:
                    if (
                        isinstance(marker, ast.Call)
                        and self.project.resolve(owner, marker.func) in DEPENDS
                    ):
                        target = marker.args[0] if marker.args else None
                        found.append(self.dependency(owner, target, marker))
        if depth < 10:
            for base in node.bases:
                parent = self.project.lookup(self.project.resolve(module, base) or "")
                if parent is not None and isinstance(parent[1], ast.ClassDef):
                    found += self._class_dependencies(parent[0], parent[1], depth + 1)
        return found

    def parameters(self, module: Module, function: Function, path: str = "") -> list[Param]:
        """Classify a handler's or dependency's parameters by where FastAPI takes them from."""
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults += list(arguments.defaults)
        pairs = [*zip(positional, defaults, strict=True)]
        pairs += list(zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True))
        path_names = set(PATH_PARAM.findall(path))
        opaque = module.index.function_owner.get(
            id(function)
        ) is not None and postponed_annotations(module)
        params: list[Param] = []
        for argument, default in pairs:
            if argument.arg in {"self", "cls"}:
                continue
            if opaque and unresolvable_annotation(module, argument.annotation):
                # FastAPI evaluates a string annotation in the module's globals only: one that
                # names a local of the enclosing function stays a forward reference, and the
                # parameter, ``Depends`` and all, becomes a plain query parameter.
                params.append(Param(argument.arg, "query", argument.annotation, None, argument))
                continue
            params.append(self._parameter(module, argument, default, path_names))
        return params

    def _parameter(
        self, module: Module, argument: ast.arg, default: ast.expr | None, path_names: set[str]
    ) -> Param:
        annotation = argument.annotation
        markers: list[tuple[Module, ast.expr]] = []
        if isinstance(default, ast.Call):
            markers.append((module, default))
        annotation_node = self._annotated_parts(module, annotation, markers)
        type_name = self.project.annotation_type(module, annotation)
        for owner, marker in markers:
            if not isinstance(marker, ast.Call):
                continue
            called = self.project.resolve(owner, marker.func) or ""
            if called in DEPENDS:
                target = marker.args[0] if marker.args else _kw(marker, "dependency")
                if target is None:
                    target = annotation_node
                dependency = self.dependency(owner, target, marker)
                return Param(
                    argument.arg, "dependency", annotation, type_name, argument, dependency
                )
            short = called.rpartition(".")[2]
            if called.startswith("fastapi") and short in PARAM_SOURCES:
                return Param(argument.arg, PARAM_SOURCES[short], annotation, type_name, argument)
        if type_name in SPECIAL_TYPES:
            return Param(argument.arg, SPECIAL_TYPES[type_name], annotation, type_name, argument)
        if argument.arg in path_names:
            return Param(argument.arg, "path", annotation, type_name, argument)
        if self.classes.get(type_name) is not None or _is_collection_of_models(
            self, module, annotation
        ):
            return Param(argument.arg, "body", annotation, type_name, argument)
        return Param(argument.arg, "query", annotation, type_name, argument)

    def _annotated_parts(
        self, module: Module, annotation: ast.expr | None, markers: list[tuple[Module, ast.expr]]
    ) -> ast.expr | None:
        """Collect ``Annotated`` metadata into ``markers``; return the underlying type node."""
        if annotation is None:
            return None
        if isinstance(annotation, ast.Subscript):
            outer = self.project.resolve(module, annotation.value)
            if outer in {"typing.Annotated", "typing_extensions.Annotated"} and isinstance(
                annotation.slice, ast.Tuple
            ):
                markers.extend((module, node) for node in annotation.slice.elts[1:])
                return annotation.slice.elts[0]
            return annotation
        resolved = self.project.resolve(module, annotation)
        alias = self.project.lookup(resolved) if resolved else None
        if alias is not None and isinstance(alias[1], ast.Subscript):
            return self._annotated_parts(alias[0], alias[1], markers)
        return annotation

    # -- dependencies --------------------------------------------------------------------------

    def _dependency_list(self, module: Module, node: ast.expr | None) -> list[Dependency]:
        if not isinstance(node, ast.List | ast.Tuple):
            return []
        found: list[Dependency] = []
        for item in node.elts:
            if isinstance(item, ast.Call) and self.project.resolve(module, item.func) in DEPENDS:
                target = item.args[0] if item.args else _kw(item, "dependency")
                found.append(self.dependency(module, target, item))
        return found

    def dependency(self, module: Module, target: ast.expr | None, node: ast.expr) -> Dependency:
        """Model the dependency ``target`` (a callable expression) declared at ``node``."""
        if target is None:
            return Dependency("<unknown>", node, None)
        label = _label(target)
        qualname = self.project.resolve(module, target)
        if isinstance(target, ast.Call):
            qualname = self.project.resolve(module, target.func)
        dependency = Dependency(label, node, qualname)
        if qualname is None:
            dependency.authenticates = bool(AUTH_NAME.search(label))
            return dependency
        self._expand(dependency, qualname, target, module)
        return dependency

    def _expand(
        self, dependency: Dependency, qualname: str, target: ast.expr, module: Module
    ) -> None:
        found = self.project.lookup(qualname)
        if found is None:
            scheme = qualname in SECURITY_SCHEMES
            dependency.scheme = qualname if scheme else None
            dependency.authenticates = scheme or bool(AUTH_NAME.search(qualname.rpartition(".")[2]))
            return
        owner, definition = found
        if isinstance(definition, ast.Call):
            callee = self.project.resolve(owner, definition.func)
            if callee is not None:
                dependency.target = callee
                self._expand(dependency, callee, definition, owner)
            return
        function: Function | None = None
        if isinstance(definition, ast.ClassDef):
            if self._is_scheme_class(owner, definition):
                dependency.scheme = qualname
                dependency.authenticates = True
                return
            method = "__call__" if isinstance(target, ast.Call) else "__init__"
            function = _class_method(definition, method)
        elif isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef):
            function = definition
            if isinstance(target, ast.Call):  # ``Depends(factory(...))``: what it returns
                product = self._product(owner, definition)
                if product is not None:
                    owner, function = product
        if function is None:
            dependency.authenticates = bool(AUTH_NAME.search(dependency.label))
            return
        dependency.function = (owner, function)
        key = id(function)
        if key in self._in_progress:
            return
        self._in_progress.add(key)
        for param in self.parameters(owner, function):
            if param.dependency is not None:
                dependency.children.append(param.dependency)
            elif param.source in {"path", "query"}:
                dependency.path_reads.add(param.name)
        self._in_progress.discard(key)
        own = _authenticates_itself(self.project, owner, function)
        dependency.authenticates = (
            own
            or bool(AUTH_NAME.search(function.name))
            or bool(AUTH_NAME.search(qualname.rpartition(".")[2]))
            or any(child.authenticates for child in dependency.children)
        )
        dependency.path_reads |= _path_param_reads(function)

    def _product(
        self, module: Module, factory: Function, depth: int = 0
    ) -> tuple[Module, Function] | None:
        """The callable a dependency factory returns: a nested function, or an instance's
        ``__call__`` (of a nested or project class), following factories of factories."""
        if depth > 8:
            return None
        nested = {
            node.name: node
            for node in walk(factory)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node is not factory
        }
        for node in walk(factory):
            if not isinstance(node, ast.Return) or node.value is None:
                continue
            value = node.value
            if isinstance(value, ast.Name) and isinstance(nested.get(value.id), Function):
                return module, nested[value.id]  # type: ignore[return-value]
            if not isinstance(value, ast.Call):
                continue
            definition: tuple[Module, ast.AST] | None = None
            if isinstance(value.func, ast.Name) and value.func.id in nested:
                definition = module, nested[value.func.id]
            else:
                callee = self.project.resolve(module, value.func)
                definition = self.project.lookup(callee) if callee else None
            if definition is None:
                continue
            owner, found = definition
            if isinstance(found, ast.ClassDef):
                call = _class_method(found, "__call__")
                if call is not None:
                    return owner, call
            elif isinstance(found, Function):
                return self._product(owner, found, depth + 1)
        return None

    def _is_scheme_class(self, module: Module, node: ast.ClassDef, depth: int = 0) -> bool:
        if depth > 20:
            return False
        for base in node.bases:
            name = self.project.resolve(module, base) or ""
            if name in SECURITY_SCHEMES:
                return True
            found = self.project.lookup(name) if name else None
            if (
                found is not None
                and isinstance(found[1], ast.ClassDef)
                and found[1] is not node
                and self._is_scheme_class(found[0], found[1], depth + 1)
            ):
                return True
        return False

    # -- wiring --------------------------------------------------------------------------------

    def _find_wiring(self, module: Module) -> None:
        for call, owner in module.index.calls:
            func = call.func
            if not isinstance(func, ast.Attribute) or func.attr not in {"include_router", "mount"}:
                continue
            for parent in self._containers_for(module, func.value, owner):
                self._wire(module, call, owner, parent)

    def _wire(
        self, module: Module, call: ast.Call, owner: Function | None, parent: Container
    ) -> None:
        if isinstance(call.func, ast.Attribute) and call.func.attr == "include_router":
            child_node = call.args[0] if call.args else _kw(call, "router")
            child = self.container_for(module, child_node, owner) if child_node else None
            if child is None:
                return
            prefix_node = _kw(call, "prefix")
            prefix = self._string(module, prefix_node, owner) if prefix_node else ""
            dependencies = self._dependency_list(module, _kw(call, "dependencies"))
            parent.includes.append((child.qualname, prefix or "", dependencies))
            child.parents += 1
            return
        path_node = call.args[0] if call.args else _kw(call, "path")
        app_node = call.args[1] if len(call.args) > 1 else _kw(call, "app")
        child = self.container_for(module, app_node, owner) if app_node else None
        path = self._string(module, path_node, owner) if path_node else None
        if child is not None and path is not None:
            parent.mounts.append((path.rstrip("/"), child.qualname))  # as Starlette's Mount
            child.parents += 1

    def _containers_for(
        self, module: Module, node: ast.expr, function: Function | None
    ) -> list[Container]:
        """Like :meth:`container_for`, but every container a parameter is called with."""
        local = self.container_for(module, node, function)
        if local is not None and not self._is_parameter(node, function):
            return [local]
        return self._callers_containers(module, node, function)

    @staticmethod
    def _is_parameter(node: ast.expr, function: Function | None) -> bool:
        if function is None or not isinstance(node, ast.Name):
            return False
        arguments = function.args
        return node.id in {a.arg for a in (*arguments.posonlyargs, *arguments.args)}

    def _rebind(self, operation: Operation, env: Bindings) -> Operation:
        """A factory's operation as one call of the factory declares it."""
        declaration = operation.decorator
        path_node = declaration.args[0] if declaration.args else _kw(declaration, "path")
        path = (
            constant_str(self.project, operation.module, path_node, env=env) if path_node else None
        )
        methods = operation.methods
        if _kw(declaration, "methods") is not None:
            methods = self._methods(operation.module, declaration, env)
        return replace(operation, path=path or operation.path, methods=methods)

    def _methods(
        self, module: Module, call: ast.Call, env: Bindings | None = None
    ) -> tuple[str, ...]:
        node = _kw(call, "methods")
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            found = [constant_str(self.project, module, e, env=env) for e in node.elts]
            return tuple(m.upper() for m in found if m) or ("GET",)
        return ("GET",)

    def _through_parameter(
        self, module: Module, node: ast.expr, function: Function | None
    ) -> Container | None:
        """``def wire(app): app.include_router(...)``: the app its callers pass in."""
        found = self._callers_containers(module, node, function)
        return found[0] if found else None

    def _callers_containers(
        self, module: Module, node: ast.expr, function: Function | None
    ) -> list[Container]:
        """The containers callers of ``function`` pass as the parameter ``node`` names."""
        if function is None or not isinstance(node, ast.Name) or self._resolving > 5:
            return []
        names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        if node.id not in names:
            return []
        position = names.index(node.id)
        qualname = f"{module.name}.{function.name}"
        spelled = self.project.calls_spelled(self.project.spellings(frozenset({qualname})))
        found: list[Container] = []
        self._resolving += 1
        try:
            for other, call, caller in spelled:
                if other.is_test or self.project.resolve(other, call.func) != qualname:
                    continue
                argument = call.args[position] if len(call.args) > position else None
                argument = argument or _kw(call, node.id)
                container = self.container_for(other, argument, caller) if argument else None
                if container is not None and all(container is not known for known in found):
                    found.append(container)
        finally:
            self._resolving -= 1
        return found

    def _flatten(self) -> list[Route]:
        roots = [c for c in self.containers.values() if c.kind == "app" and not c.parents]
        if not roots:
            roots = [c for c in self.containers.values() if not c.parents]
        routes: list[Route] = []
        visited: set[str] = set()
        for root in roots:
            self._collect(root, "", [], routes, set(), visited)
        # Routers wired where the model cannot see (a loop, a plugin system) still serve
        # their operations: list them under their own prefix rather than lose them.
        for container in self.containers.values():
            if container.qualname in self._templates:
                continue  # a factory's router: its instances stand for it
            if container.qualname not in visited and container.operations:
                self._collect(container, "", [], routes, set(), visited)
        return routes

    def _collect(
        self,
        container: Container,
        prefix: str,
        inherited: list[Dependency],
        routes: list[Route],
        seen: set[str],
        visited: set[str],
        app: str = "",
    ) -> None:
        if container.qualname in seen:
            return
        seen = seen | {container.qualname}
        visited.add(container.qualname)
        app = container.qualname if container.kind == "app" else app
        dependencies = [*inherited, *container.dependencies]
        base = prefix + container.prefix
        for operation in container.operations:
            for method in operation.methods:
                routes.append(
                    Route(
                        method,
                        base + operation.path,
                        operation,
                        [*dependencies, *operation.dependencies],
                        container.qualname,
                        app,
                    )
                )
        for child_name, include_prefix, include_dependencies in container.includes:
            child = self.containers[child_name]
            self._collect(
                child,
                base + include_prefix,
                [*dependencies, *include_dependencies],
                routes,
                seen,
                visited,
                app,
            )
        for mount_path, child_name in container.mounts:
            self._collect(
                self.containers[child_name], prefix + mount_path, [], routes, seen, visited, app
            )

    @property
    def has_authentication(self) -> bool:
        """Whether any route of the project authenticates its caller."""
        return any(route.auth for route in self.routes)


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _parametrised(function: Function) -> bool:
    """Whether a factory builds a prefix, path or method list from its parameters."""
    arguments = function.args
    names = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    for node in walk(function):
        if not isinstance(node, ast.Call):
            continue
        built = [k.value for k in node.keywords if k.arg in {"prefix", "path", "methods"}]
        if node.args and isinstance(node.func, ast.Attribute):
            built.append(node.args[0])  # ``@router.get(path)``, ``add_api_route(path, ...)``
        for expression in built:
            if any(isinstance(n, ast.Name) and n.id in names for n in walk(expression)):
                return True
    return False


def _bindings(owner: Module, function: Function, module: Module, call: ast.Call) -> Bindings:
    """A factory's parameters bound to the arguments of one call (and to their defaults)."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    env: dict[str, tuple[Module, ast.expr]] = {}
    first_default = len(positional) - len(arguments.defaults)
    defaults = list(zip(positional[first_default:], arguments.defaults, strict=True))
    keyword_defaults = zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    for argument, default in [*defaults, *keyword_defaults]:
        if default is not None:
            env[argument.arg] = (owner, default)
    for argument, value in zip(positional, call.args, strict=False):
        env[argument.arg] = (module, value)
    for keyword in call.keywords:
        if keyword.arg is not None:
            env[keyword.arg] = (module, keyword.value)
    return env


def _label(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ast.unparse(node)


def _is_collection_of_models(
    model: RouteModel, module: Module, annotation: ast.expr | None
) -> bool:
    if not isinstance(annotation, ast.Subscript):
        return False
    outer = model.project.resolve(module, annotation.value)
    if outer not in {"list", "typing.List", "set", "typing.Sequence", "collections.abc.Sequence"}:
        return False
    inner = model.project.annotation_type(module, annotation.slice)
    return model.classes.get(inner) is not None


def postponed_annotations(module: Module) -> bool:
    """Whether the module has ``from __future__ import annotations``."""
    for statement in module.tree.body[:12]:
        if (
            isinstance(statement, ast.ImportFrom)
            and statement.module == "__future__"
            and any(alias.name == "annotations" for alias in statement.names)
        ):
            return True
    return False


def unresolvable_annotation(module: Module, annotation: ast.expr | None) -> bool:
    """Whether an annotation names something that is neither imported, defined at module
    level nor a builtin: evaluated in the module's globals, it fails."""
    if annotation is None:
        return False
    return any(
        isinstance(node, ast.Name)
        and node.id not in module.imports
        and node.id not in module.bindings
        and node.id not in BUILTINS
        for node in walk(annotation)
    )


def _class_method(node: ast.ClassDef, name: str) -> Function | None:
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and statement.name == name:
            return statement
    return None


def _authenticates_itself(project: Project, module: Module, function: Function) -> bool:
    """Whether a dependency rejects callers itself: 401/403 raised, or a token decoded."""
    for node in walk(function):
        if isinstance(node, ast.Call):
            name = project.resolve(module, node.func) or ""
            if name.endswith(("jwt.decode", "jws.verify", "jwt.get_unverified_header")):
                return True
            if name.endswith(("HTTPException", "WebSocketException")):
                for argument in [*node.args[:1], *(k.value for k in node.keywords)]:
                    text = ast.unparse(argument)
                    if UNAUTHORIZED.search(text.rpartition(".")[2]):
                        return True
    return False


def _path_param_reads(function: Function) -> set[str]:
    """Names a dependency reads from ``request.path_params``."""
    found: set[str] = set()
    for node in walk(function):
        key: ast.expr | None = None
        if isinstance(node, ast.Subscript) and _is_path_params(node.value):
            key = node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and _is_path_params(node.func.value)
            and node.args
        ):
            key = node.args[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            found.add(key.value)
    return found


def _is_path_params(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "path_params"
