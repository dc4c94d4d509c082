"""Where the collection a loop walks comes from, to tell a real N+1 from a bounded lookup.

A query run once per item is an N+1 worth fixing when the items are rows: the result of a
query, a relationship collection, the rows of an uploaded file. Its cost then grows with the
data. When the items are what the client sent (``ids: list[int]``, ``basket.items``) the cost is
bounded by the request, which is worth a note but rarely urgent; when the list is declared
with a small ``max_length`` the loop is small by construction.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from apismith.analysis.queries import Queries
from apismith.project.classes import ClassCatalog
from apismith.project.module import Function, Module
from apismith.project.walk import walk

DATA, INPUT, BOUNDED, OTHER = "data", "input", "bounded", "other"
WRAPPERS = frozenset({"enumerate", "sorted", "list", "set", "tuple", "reversed", "zip", "iter"})
VIEWS = frozenset({"items", "values", "keys", "all", "unique", "mappings"})
ROW_READERS = frozenset(
    {"csv.reader", "csv.DictReader", "aiocsv.AsyncReader", "aiocsv.AsyncDictReader"}
)
SEQUENCES = frozenset(
    {
        "list",
        "set",
        "frozenset",
        "tuple",
        "typing.List",
        "typing.Set",
        "typing.Tuple",
        "typing.Sequence",
        "typing.Iterable",
        "collections.abc.Sequence",
        "collections.abc.Iterable",
    }
)
BOUNDS = frozenset({"max_length", "max_items"})
SMALL = 20  # at most this many lookups: a few milliseconds, not worth a finding
MAX_DEPTH = 6

Typed = tuple[Module, ast.expr]
Callee = Callable[[Module, Function, ast.Call], tuple[Module, Function] | None]


class Origins:
    """Classifies loop iterables as ``DATA``, ``INPUT``, ``BOUNDED`` or ``OTHER``.

    ``queries_inside`` tells whether a project function runs a query (a call of one whose
    result is iterated walks rows), ``queries_directly`` whether a call is a query itself.
    """

    def __init__(
        self,
        queries: Queries,
        classes: ClassCatalog,
        callee: Callee,
        queries_inside: Callable[[Module, Function], bool],
        queries_directly: Callable[[Module, Function, ast.Call], bool],
    ) -> None:
        self.queries = queries
        self.project = queries.project
        self.classes = classes
        self.callee = callee
        self.queries_inside = queries_inside
        self.queries_directly = queries_directly
        self.relationships = frozenset(
            name
            for info in classes.classes.values()
            if info.kind == "orm"
            for name in info.relationships
        )

    def of(self, module: Module, function: Function, node: ast.expr, depth: int = 0) -> str:
        """Where the items of ``node`` come from."""
        node = unwrap(node)
        if depth > MAX_DEPTH:
            return OTHER
        if isinstance(node, ast.Await):
            return self.of(module, function, node.value, depth + 1)
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            return self.of(module, function, node.generators[0].iter, depth + 1)
        if isinstance(node, ast.Subscript):
            return self.of(module, function, node.value, depth + 1)
        if isinstance(node, ast.BoolOp):  # `body.ids or []`
            return self.of(module, function, node.values[0], depth + 1)
        if isinstance(node, ast.Call):
            return self._call(module, function, node)
        if isinstance(node, ast.Attribute):
            return self._attribute(module, function, node, depth)
        if isinstance(node, ast.Name):
            values = self.queries.assigned(function).get(node.id)
            if values:
                found = {self.of(module, function, value, depth + 1) for value in values}
                return next((kind for kind in (DATA, INPUT, OTHER) if kind in found), BOUNDED)
            parameter = _parameter(function, node.id)
            if parameter is not None:
                return self._parameter(module, *parameter)
        return OTHER

    def _call(self, module: Module, function: Function, call: ast.Call) -> str:
        if self.queries.unfold(module, function, call) is not None:
            return DATA
        if self.project.resolve(module, call.func) in ROW_READERS:
            return DATA
        target = self.callee(module, function, call)
        if target is not None and self.queries_inside(*target):
            return DATA
        node: ast.expr = call
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if self.queries_directly(module, function, node):
                return DATA  # `cursor.execute(...)`, `collection.find(...).limit(50)`
            node = node.func.value
        return OTHER

    def _attribute(
        self, module: Module, function: Function, node: ast.Attribute, depth: int
    ) -> str:
        field = self._schema_field(module, function, node, 0)
        if field is not None:
            return self._field(*field)
        if node.attr in self.relationships:
            return DATA
        return INPUT if self.of(module, function, node.value, depth + 1) == INPUT else OTHER

    def _schema_field(
        self, module: Module, function: Function, node: ast.Attribute, depth: int
    ) -> tuple[Module, ast.AnnAssign] | None:
        """The declaration of ``root.field`` when ``root`` is a request schema."""
        declared = self._declared(module, function, node.value, depth)
        schema = self.classes.get(self.project.annotation_type(*declared)) if declared else None
        if schema is None or schema.kind != "pydantic":
            return None
        field = schema.fields.get(node.attr)
        return (schema.module, field) if isinstance(field, ast.AnnAssign) else None

    def _declared(
        self, module: Module, function: Function, node: ast.expr, depth: int
    ) -> Typed | None:
        """The declared type of a parameter, of a schema field (``body.roles``), or the item
        type of what a ``for`` loop binding a name walks (``for role in body.roles``)."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Attribute):
            field = self._schema_field(module, function, node, depth + 1)
            return (field[0], field[1].annotation) if field is not None else None
        if not isinstance(node, ast.Name) or node.id in self.queries.assigned(function):
            return None
        parameter = _parameter(function, node.id)
        if parameter is not None:
            return (module, parameter[0]) if parameter[0] is not None else None
        for loop in walk(function):
            if (
                isinstance(loop, ast.For | ast.AsyncFor | ast.comprehension)
                and isinstance(loop.target, ast.Name)
                and loop.target.id == node.id
            ):
                walked = self._declared(module, function, unwrap(loop.iter), depth + 1)
                return self._item(*walked) if walked is not None else None
        return None

    def _field(self, module: Module, field: ast.AnnAssign) -> str:
        """A list field of a request schema: the caller's input, unless declared small."""
        if _bounded(field.value) or self._bounded_annotation(module, field.annotation):
            return BOUNDED
        return INPUT

    def _parameter(
        self, module: Module, annotation: ast.expr | None, default: ast.expr | None
    ) -> str:
        if _bounded(default) or self._bounded_annotation(module, annotation):
            return BOUNDED
        return INPUT if self._item(module, annotation) is not None else OTHER

    def _item(self, module: Module, annotation: ast.expr | None, depth: int = 0) -> Typed | None:
        """The item type of a sequence annotation (``list[int]``, ``list[X] | None``, an
        alias of one), with the module it is written in."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            left = self._item(module, annotation.left, depth + 1)
            return left or self._item(module, annotation.right, depth + 1)
        alias = self._alias(module, annotation)
        if alias is not None:
            return self._item(*alias, depth + 1)
        if not isinstance(annotation, ast.Subscript):
            return None
        outer = self.project.resolve(module, annotation.value)
        inner = annotation.slice
        first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
        if outer in {"typing.Annotated", "typing_extensions.Annotated", "typing.Optional"}:
            return self._item(module, first, depth + 1)
        return (module, first) if outer in SEQUENCES else None

    def _alias(self, module: Module, annotation: ast.expr | None) -> Typed | None:
        """What a type alias stands for (``Tags = Annotated[list[Tag], ...]``)."""
        if not isinstance(annotation, ast.Name | ast.Attribute):
            return None
        alias = self.project.lookup(self.project.resolve(module, annotation) or "")
        if alias is not None and isinstance(alias[1], ast.Subscript):
            return alias[0], alias[1]
        return None

    def _bounded_annotation(self, module: Module, annotation: ast.expr | None) -> bool:
        """An annotation (or alias) whose ``Annotated`` metadata bounds the length."""
        alias = self._alias(module, annotation)
        if alias is not None:
            annotation = alias[1]
        return annotation is not None and any(
            _bounded(node)
            or (_named(node.func, "MaxLen") and _small(node.args[0] if node.args else None))
            or (_named(node.func, "Len") and len(node.args) == 2 and _small(node.args[1]))
            for node in walk(annotation)
            if isinstance(node, ast.Call)
        )


def unwrap(node: ast.expr) -> ast.expr:
    """``enumerate(x)``, ``sorted(x)``, ``x.items()``: the collection itself."""
    while isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in WRAPPERS and node.args:
            node = node.args[0]
        elif isinstance(func, ast.Attribute) and func.attr in VIEWS and not node.args:
            inner = func.value
            if isinstance(inner, ast.Call) and func.attr in {"all", "unique", "mappings"}:
                return node  # a query's result: keep the whole expression for unfolding
            node = inner
        else:
            break
    return node


def _parameter(function: Function, name: str) -> tuple[ast.expr | None, ast.expr | None] | None:
    """``(annotation, default)`` of the parameter ``name``, if ``function`` has one."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    defaults += arguments.defaults
    pairs = [*zip(positional, defaults, strict=True)]
    pairs += zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    for argument, default in pairs:
        if argument.arg == name:
            return argument.annotation, default
    return None


def _bounded(node: ast.expr | None) -> bool:
    """``Query(max_length=10)``, ``Field(max_length=20)``, ``conlist(int, max_length=5)``:
    a list declared small."""
    return isinstance(node, ast.Call) and any(
        k.arg in BOUNDS and _small(k.value) for k in node.keywords
    )


def _small(node: ast.expr | None) -> bool:
    """A length bound of at most ``SMALL`` (a bound read from elsewhere counts as small)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) and node.value <= SMALL
    return node is not None


def _named(node: ast.expr, *names: str) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in names
