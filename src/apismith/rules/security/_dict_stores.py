"""Records kept in module-level dictionaries: ``users_db = {"alice": {...}}``, ``notes = {}``.

Small services and prototypes keep their data in a dict keyed by id or name, or in a list of
dicts searched by a loop. A store is a module-level name bound to a dict display or ``dict()``
(or to a list of dict displays); what its records hold is read from the
dict displays the project puts in it (in the initial value, or assigned as ``store[key] = {...}``)
and from the pydantic schemas it stores (``store[key] = body.dict()``). Shared by the
access-control rules (SEC011, SEC012, SEC013).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from apismith.project.module import Function, Module
from apismith.project.project import last_name
from apismith.project.values import last_assigned_anywhere
from apismith.project.walk import walk
from apismith.rules.context import Context
from apismith.rules.security._access import words

USER_STORES = frozenset({"user", "users", "account", "accounts", "member", "members"})
DUMPS = frozenset({"dict", "model_dump"})
STORE_WORDS = frozenset({"db", "store", "storage", "records", "table"})


@dataclass(slots=True)
class Store:
    """A module-level dict of records, and the keys its records are known to have."""

    qualname: str
    name: str
    fields: set[str] = field(default_factory=set)
    listed: bool = False  # a list of records, looked up by a loop: ``for u in users: ...``

    @property
    def holds_users(self) -> bool:
        """Whether its records are accounts: by its name, or because they carry a password."""
        return bool(set(words(self.name)) & USER_STORES) or any(
            "password" in name or "passwd" in name for name in self.fields
        )


@dataclass(frozen=True, slots=True)
class RecordUse:
    """One read or write of a record of a store: ``store[key]``, ``store.get(key)``."""

    node: ast.expr
    store: Store
    key: ast.expr


class DictStores:
    """The dict stores of a project, computed once per review."""

    @classmethod
    def of(cls, context: Context) -> DictStores:
        """The analysis of ``context``, shared by the rules of one review."""
        return context.shared(cls, lambda: cls(context))

    def __init__(self, context: Context) -> None:
        self.context = context
        self.stores: dict[str, Store] = {}
        for module in context.project.modules:
            if module.is_test:
                continue
            for name, value in module.bindings.items():
                if _is_dict(value):
                    store = Store(f"{module.name}.{name}", name)
                    if isinstance(value, ast.Dict):
                        store.fields |= _record_keys(value.values)
                    self.stores[store.qualname] = store
                elif _is_record_list(name, value):
                    store = Store(f"{module.name}.{name}", name, listed=True)
                    store.fields |= _record_keys(value.elts if isinstance(value, ast.List) else [])
                    self.stores[store.qualname] = store
        # The last names an expression naming a store can have (cheap guard of ``store``).
        self.names = context.project.spellings(frozenset(self.stores))
        if self.stores:
            self._learn_fields()

    def store(self, module: Module, node: ast.expr, function: Function | None) -> Store | None:
        """The store an expression names (``users_db``, ``db.users_db``), if any."""
        if not isinstance(node, ast.Name | ast.Attribute) or last_name(node) not in self.names:
            return None
        scope = self.context.project.scope(function) if function is not None else None
        qualname = self.context.project.resolve(module, node, scope)
        return self.stores.get(self.context.project.canonical(qualname)) if qualname else None

    def accesses(self, module: Module, function: Function) -> Iterator[RecordUse]:
        """Reads and writes of one record in ``function``: subscripts, ``get``, ``pop``."""
        for node in walk(function):
            if isinstance(node, ast.Subscript):
                store = self.store(module, node.value, function)
                if store is not None:
                    yield RecordUse(node, store, node.slice)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"get", "pop", "setdefault"}
                and node.args
            ):
                store = self.store(module, node.func.value, function)
                if store is not None:
                    yield RecordUse(node, store, node.args[0])
            elif isinstance(node, ast.For | ast.comprehension):
                yield from self._lookups(module, function, node)

    def _lookups(
        self, module: Module, function: Function, loop: ast.For | ast.comprehension
    ) -> Iterator[RecordUse]:
        """``for u in users: if u["id"] == user_id``: a list store searched by a key."""
        store = self.store(module, loop.iter, function)
        if store is None or not store.listed or not isinstance(loop.target, ast.Name):
            return
        name = loop.target.id
        tests = (
            loop.ifs
            if isinstance(loop, ast.comprehension)
            else [n.test for n in walk(loop) if isinstance(n, ast.If)]
        )
        for test in tests:
            for compare in walk(test):
                if not isinstance(compare, ast.Compare):
                    continue
                sides = [compare.left, *compare.comparators]
                others = [side for side in sides if not _reads(side, name)]
                if len(others) < len(sides) and others:
                    yield RecordUse(compare, store, others[0])

    def record_of(self, module: Module, function: Function, node: ast.expr) -> Store | None:
        """The store whose record (or records) an expression is: ``users_db[name]``, a local
        bound to ``users_db.get(name)``, ``list(users_db.values())``."""
        if isinstance(node, ast.Name):
            looped = self._loop_store(module, function, node.id)
            if looped is not None:
                return looped
            node = last_assigned_anywhere(function, node.id) or node
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            node = node.args[0]  # list(store.values()), next(u for u in users if ...)
        if isinstance(node, ast.GeneratorExp | ast.ListComp) and node.generators:
            return self.store(module, node.generators[0].iter, function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in {"get", "values", "pop"}:
                return self.store(module, node.func.value, function)
            return None
        if isinstance(node, ast.Subscript):
            return self.store(module, node.value, function)
        return self.store(module, node, function)  # ``return users``: every record

    def _loop_store(self, module: Module, function: Function, name: str) -> Store | None:
        """The list store a loop variable walks: ``for user in users``."""
        for node in walk(function):
            if (
                isinstance(node, ast.For)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
            ):
                store = self.store(module, node.iter, function)
                if store is not None and store.listed:
                    return store
        return None

    def _learn_fields(self) -> None:
        """Keys of the dict displays and schemas the project stores as records."""
        project = self.context.project
        for module in project.modules:
            if module.is_test:
                continue
            for function in module.index.functions:
                for node in walk(function):
                    if isinstance(node, ast.Assign) and len(node.targets) == 1:
                        target, value = node.targets[0], node.value
                        if not isinstance(target, ast.Subscript):
                            continue
                        store = self.store(module, target.value, function)
                    elif (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "append"
                        and node.args
                    ):
                        value = node.args[0]
                        store = self.store(module, node.func.value, function)
                    else:
                        continue
                    if store is None:
                        continue
                    store.fields |= _record_keys([value])
                    schema = _schema_name(value)
                    types = project.scope(function).types
                    info = self.context.classes.get(types.get(schema or ""))
                    if info is not None:
                        store.fields |= set(info.fields)


def _is_dict(value: object) -> bool:
    if isinstance(value, ast.Dict):
        return True
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "dict"
        and not value.args
        and not value.keywords
    )


def _is_record_list(name: str, value: object) -> bool:
    """``users = [{"id": 1, ...}]``, or an empty list named like a store (``users_db = []``)."""
    if not isinstance(value, ast.List):
        return False
    if value.elts:
        return all(isinstance(element, ast.Dict) for element in value.elts)
    return bool(set(words(name)) & (USER_STORES | STORE_WORDS))


def _reads(node: ast.expr, name: str) -> bool:
    """Whether an expression reads a field of the record ``name``: ``u["id"]``, ``u.id``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func  # ``u.get("id")``
    return (
        isinstance(node, ast.Subscript | ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == name
    )


def _record_keys(values: list[ast.expr]) -> set[str]:
    keys: set[str] = set()
    for value in values:
        if isinstance(value, ast.Dict):
            keys |= {
                k.value
                for k in value.keys
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
    return keys


def _schema_name(node: ast.expr) -> str | None:
    """``body`` of ``body``, ``body.dict()`` or ``body.model_dump()``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in DUMPS
    ):
        node = node.func.value
    return node.id if isinstance(node, ast.Name) else None
