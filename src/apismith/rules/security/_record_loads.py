"""Loads of one record by a request key: ORM models through sessions, query chains and project
helpers, with the owner columns that say whose record it is. Shared by the access-control
rules (SEC010, SEC011)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import takewhile

from apismith.project.module import Function, Module
from apismith.project.walk import walk
from apismith.rules.context import Context
from apismith.rules.security._access import Access, words

OWNER_FIELDS = frozenset(
    {
        "user_id",
        "owner_id",
        "owner",
        "owner_user_id",
        "user",
        "account_id",
        "created_by",
        "created_by_id",
        "creator",
        "creator_id",
        "author_id",
        "tenant_id",
        "customer_id",
        "organization_id",
        "org_id",
        "workspace_id",
    }
)
USER_MODELS = frozenset({"user", "account", "member", "customer", "profile"})
OWNER_TARGETS = frozenset(
    {
        "user",
        "users",
        "account",
        "accounts",
        "customer",
        "customers",
        "member",
        "members",
        "profile",
        "profiles",
        "owner",
        "owners",
        "tenant",
        "tenants",
        "organization",
        "organizations",
        "org",
        "orgs",
        "workspace",
        "workspaces",
        "author",
        "authors",
        "creator",
        "creators",
    }
)
SHARED_CONTENT = frozenset(
    {
        "post",
        "article",
        "comment",
        "product",
        "recipe",
        "review",
        "event",
        "tag",
        "category",
        "question",
        "answer",
        "reply",
        "thread",
        "topic",
        "listing",
        "course",
        "lesson",
        "video",
        "book",
        "movie",
        "song",
        "track",
        "album",
        "page",
        "story",
        "poll",
    }
)
LOADERS = frozenset({"get", "read", "fetch", "find", "load", "retrieve"})
QUERY_VERBS = LOADERS | {"list", "count", "filter", "query", "search", "select", "where"}
CHAIN_FILTERS = frozenset(
    {"filter", "filter_by", "where", "get", "get_or_404", "get_or_none", "find_one", "first_or_404"}
)
QUERY_ROOTS = frozenset({"query", "select", "objects"})
BODY_KEYS = frozenset({"id", "uuid", "pk", "username", "email", "slug"})
NOUN_FILLER = frozenset({"by", "id", "or", "404", "one", "none", "for", "from", "with", "in"})


@dataclass(frozen=True, slots=True)
class Keys:
    """What identifies a record in a request: path ids, and id-like fields of the body."""

    ids: set[str]
    bodies: set[str]

    def find(self, node: ast.AST) -> str | None:
        """The first key an expression reads: ``item_id``, ``body.username``."""
        for item in walk(node):
            if isinstance(item, ast.Name) and item.id in self.ids:
                return item.id
            if (
                isinstance(item, ast.Attribute)
                and isinstance(item.value, ast.Name)
                and item.value.id in self.bodies
                and (set(words(item.attr)[-1:]) & BODY_KEYS)
            ):
                return f"{item.value.id}.{item.attr}"
        return None


@dataclass(frozen=True, slots=True)
class Fetch:
    """A load of a record by a key: the call, the model if known, the key it was found by."""

    node: ast.expr
    model: str | None
    key: str
    module: Module | None = None  # where the load is, when not in the handler's module

    @property
    def from_body(self) -> bool:
        """Whether the key is a field of the request body rather than a path parameter."""
        return "." in self.key


def callee_short(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def fetches(context: Context, module: Module, handler: Function, keys: Keys) -> Iterator[Fetch]:
    """Calls in ``handler`` that load one record by one of ``keys``."""
    project = context.project
    scope = project.scope(handler)
    for node in walk(handler):
        if not isinstance(node, ast.Call):
            continue
        short = callee_short(node)
        arguments = [*node.args, *(k.value for k in node.keywords)]
        key = next((k for a in arguments if (k := keys.find(a)) is not None), None)
        if key is None:
            continue
        if short == "get" and len(node.args) >= 2:
            model = _model(context, module, node.args[0])
            if model is not None:
                yield Fetch(node, model, key)
                continue
        if short in CHAIN_FILTERS and isinstance(node.func, ast.Attribute):
            model = _chain_model(context, module, node.func.value)
            if model is not None:
                yield Fetch(node, model, key)
                continue
        if words(short)[:1] and words(short)[0] in LOADERS | {"by"}:  # ``repo.by_id(id)``
            model = _helper_model(context, module, node, scope.types)
            if model is not None:
                yield Fetch(node, model, key)


def _model(context: Context, module: Module, node: ast.expr) -> str | None:
    """The model class an expression names (``Item``, ``models.Item``)."""
    qualname = context.project.resolve(module, node)
    if qualname is None:
        return None
    info = context.classes.get(qualname)
    if info is not None:
        return info.qualname if info.kind == "orm" else None
    found = context.project.lookup(qualname)
    return (
        context.project.canonical(qualname)
        if found and isinstance(found[1], ast.ClassDef)
        else None
    )


def _chain_model(context: Context, module: Module, node: ast.expr) -> str | None:
    """The model at the root of a query chain: ``db.query(M)``, ``select(M)``, ``M.query``."""
    while True:
        if isinstance(node, ast.Call):
            if callee_short(node) in QUERY_ROOTS and node.args:
                return _model(context, module, node.args[0])
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in QUERY_ROOTS:
                return _model(context, module, node.value)
            model = _model(context, module, node.value)
            if model is not None:
                return model
            node = node.value
        elif isinstance(node, ast.Name):
            return _model(context, module, node)
        else:
            return None


def _helper_model(
    context: Context, module: Module, call: ast.Call, types: dict[str, str]
) -> str | None:
    """The model a project helper such as ``crud.get_item(db, id)`` loads."""
    project = context.project
    qualname = project.resolve(module, call.func, None)
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
        owner = types.get(call.func.value.id)
        if owner is not None:
            qualname = f"{owner}.{call.func.attr}"
    found = project.function(qualname) if qualname else None
    if found is not None:
        owner_module, function = found
        for node in walk(function):
            if isinstance(node, ast.Call):
                short = callee_short(node)
                loads = (short == "get" and len(node.args) >= 2) or (
                    short in QUERY_ROOTS and bool(node.args)
                )
                model = _model(context, owner_module, node.args[0]) if loads else None
                if model is not None:
                    return model
        returned = project.annotation_type(owner_module, function.returns)
        if returned is not None and context.classes.get(returned) is not None:
            return returned
    noun = "".join(takewhile(lambda w: w not in NOUN_FILLER, words(callee_short(call))[1:]))
    names = {noun, noun.removesuffix("s")}
    for info in context.classes.classes.values():
        if info.kind == "orm" and info.name.lower() in names:
            return info.qualname
    return None


def owner_fields(context: Context, model: str | None) -> set[str] | None:
    """Owner-like fields of a model that point at a user or tenant, or None when unreadable."""
    info = context.classes.get(model)
    if info is not None:
        body = list(info.fields.values())
    else:
        found = context.project.lookup(model) if model else None
        if found is None or not isinstance(found[1], ast.ClassDef):
            return None
        body = found[1].body
    owned: set[str] = set()
    principals = Access.of(context).principal_words
    for statement in body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name, value, annotation = statement.target.id, statement.value, statement.annotation
        elif (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            name, value, annotation = statement.targets[0].id, statement.value, None
        else:
            continue
        target = _points_at(value, annotation)
        if name in OWNER_FIELDS and (target is None or set(words(target)) & OWNER_TARGETS):
            owned.add(name)
        elif target is not None and target.lower() in principals:
            owned.add(name)  # ``doctor_id`` pointing at the table of the signed-in ``Staff``
    return owned


def _points_at(value: ast.expr | None, annotation: ast.expr | None) -> str | None:
    """The table or class a foreign key or relationship refers to, when written down."""
    for node in walk(value) if value is not None else ():
        if not isinstance(node, ast.Call):
            continue
        short = callee_short(node)
        if short in {"ForeignKey", "relationship", "Relationship"} and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                return first.value.partition(".")[0]
            return ast.unparse(first).partition(".")[0]
        for keyword in node.keywords:
            if keyword.arg == "foreign_key" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value).partition(".")[0]
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).endswith("Mapped"):
        inner = annotation.slice
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            return inner.value
        if isinstance(inner, ast.Name):
            return inner.id
    return None


def scoping_fields(context: Context) -> set[str]:
    """Owner-like fields (and foreign keys) the project compares or filters on somewhere: its
    ownership columns, once intersected with a model's owner fields."""
    found: set[str] = set()
    for module in context.project.modules:
        if module.is_test:
            continue
        for compare, _ in module.index.compares:
            for side in (compare.left, *compare.comparators):
                if isinstance(side, ast.Attribute) and _owner_like(side.attr):
                    found.add(side.attr)
        for call, _ in module.index.calls:
            verb = words(callee_short(call))[:1]
            if verb and verb[0] in QUERY_VERBS:
                found |= {k.arg for k in call.keywords if k.arg and _owner_like(k.arg)}
    return found


def _owner_like(name: str) -> bool:
    return name in OWNER_FIELDS or name.endswith("_id")
