"""Whether a route reads records that belong to users: an ORM model with an owner column the
project scopes queries by (``Order.user_id``), the user model itself, or a module-level dict
store whose records name an owner or hold accounts. Content that is usually public (posts,
products, ...) does not count."""

from __future__ import annotations

import ast

from apismith.project.module import Function, Module
from apismith.project.routes import Route
from apismith.project.walk import walk
from apismith.rules.context import Context
from apismith.rules.security._access import words
from apismith.rules.security._dict_stores import DictStores, Store
from apismith.rules.security._record_loads import (
    OWNER_FIELDS,
    SHARED_CONTENT,
    USER_MODELS,
    owner_fields,
    scoping_fields,
)


class PrivateReads:
    """Which models of the project hold users' records, and which routes read them."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._scoped: set[str] | None = None
        self._private: dict[str, bool] = {}

    def model(self, route: Route) -> str | None:
        """The first users' model or store the route's handler (or a helper it calls) reads."""
        return self._in_function(route.module, route.handler, 0)

    def _in_function(self, module: Module, function: Function, depth: int) -> str | None:
        project = self.context.project
        stores = DictStores.of(self.context)
        scope = project.scope(function)
        for node in walk(function):
            if isinstance(node, ast.Name | ast.Attribute):
                qualname = project.resolve(module, node, scope)
                if qualname is not None and self._is_private(qualname):
                    return qualname.rpartition(".")[2]
                store = stores.store(module, node, function)
                if store is not None and _private_store(store):
                    return store.name
            elif isinstance(node, ast.Call) and depth < 1:
                callee = project.function(project.resolve(module, node.func, scope))
                if callee is not None and callee[1] is not function:
                    found = self._in_function(callee[0], callee[1], depth + 1)
                    if found is not None:
                        return found
        return None

    def _is_private(self, qualname: str) -> bool:
        known = self._private.get(qualname)
        if known is None:
            known = self._private[qualname] = self._judge(qualname)
        return known

    def _judge(self, qualname: str) -> bool:
        info = self.context.classes.get(qualname)
        if info is None or info.kind != "orm" or _shared(info.name):
            return False
        if set(words(info.name)) & USER_MODELS or info.name.lower().endswith("user"):
            return True
        if self._scoped is None:
            self._scoped = scoping_fields(self.context)
        return bool((owner_fields(self.context, info.qualname) or set()) & self._scoped)


def _private_store(store: Store) -> bool:
    return bool(store.fields & OWNER_FIELDS or store.holds_users) and not _shared(store.name)


def _shared(name: str) -> bool:
    return bool({word.removesuffix("s") for word in words(name)} & SHARED_CONTENT)
