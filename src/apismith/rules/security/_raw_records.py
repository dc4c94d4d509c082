"""Records loaded without an ORM model: SQL text run by a DB-API cursor or a session, and
MongoDB documents. Which tables and collections belong to users is read from the project's own
queries: a table that some query filters on an owner column is owned."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from apismith.project.module import Function
from apismith.project.project import Project
from apismith.project.walk import walk
from apismith.rules.security._access import CALLER_PARAM

SQL_RUNNERS = frozenset({"execute", "fetch", "fetchrow", "fetchval", "fetch_one", "fetch_all"})
DOCUMENT_LOADS = frozenset(
    {
        "find_one",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
        "update_one",
        "replace_one",
        "delete_one",
    }
)
TABLE = re.compile(r"\b(?:from|update|into)\s+[\"'`]?(\w+)", re.IGNORECASE)
WHERE = re.compile(r"\bwhere\b(.*)", re.IGNORECASE | re.DOTALL)
COLUMN = re.compile(r"\b(\w+)\s*(?:=|\bin\b)", re.IGNORECASE)


def statement_text(node: ast.expr) -> str | None:
    """The SQL an argument spells, placeholders for the interpolated parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(part.value) if isinstance(part, ast.Constant) else "?" for part in node.values
        )
    if isinstance(node, ast.Call) and node.args and not node.keywords:
        return statement_text(node.args[0])  # text("...")
    return None


def filtered_columns(sql: str) -> tuple[str | None, set[str]]:
    """The table a statement reads or changes, and the columns its ``WHERE`` compares."""
    table = TABLE.search(sql)
    where = WHERE.search(sql)
    columns = {c.lower() for c in COLUMN.findall(where.group(1))} if where else set()
    return (table.group(1).lower() if table else None), columns


def document_filter(call: ast.Call) -> tuple[str, set[str]] | None:
    """``db.items.find_one({...})``: the collection and the keys its filter matches on."""
    func = call.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr in DOCUMENT_LOADS | {"find", "count_documents", "delete_many"}
        and call.args
        and isinstance(call.args[0], ast.Dict)
    ):
        return None
    collection = func.value
    if isinstance(collection, ast.Subscript) and isinstance(collection.slice, ast.Constant):
        name = str(collection.slice.value)
    elif isinstance(collection, ast.Attribute):
        name = collection.attr
    else:
        return None
    keys = {str(k.value).lower() for k in call.args[0].keys if isinstance(k, ast.Constant)}
    return name.lower(), keys


def owned_stores(project: Project, owner_fields: frozenset[str]) -> set[str]:
    """Tables and collections that some query of the project filters on an owner field."""
    found: set[str] = set()
    for module in project.modules:
        if module.is_test:
            continue
        for call, _ in module.index.calls:
            for store, columns in _filters(call):
                keyed = any(column.endswith("_id") for column in columns)
                if columns & owner_fields or (keyed and _binds_caller_id(call)):
                    found.add(store)  # ``WHERE buyer_id = ?`` bound to ``user["id"]``
    return found


def _binds_caller_id(call: ast.Call) -> bool:
    """Whether a statement's parameters include the signed-in caller's id (``user.id``,
    ``current_user["id"]``): the column it fills says whose rows these are."""
    for argument in [*call.args[1:], *(k.value for k in call.keywords)]:
        for node in walk(argument):
            reads_id = (isinstance(node, ast.Attribute) and node.attr == "id") or (
                isinstance(node, ast.Subscript)
                and isinstance(node.slice, ast.Constant)
                and node.slice.value == "id"
            )
            owner = getattr(node, "value", None)
            if reads_id and isinstance(owner, ast.Name) and CALLER_PARAM.match(owner.id):
                return True
    return False


def _filters(call: ast.Call) -> Iterator[tuple[str, set[str]]]:
    document = document_filter(call)
    if document is not None:
        yield document
        return
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in SQL_RUNNERS and call.args:
        sql = statement_text(call.args[0])
        if sql is not None:
            table, columns = filtered_columns(sql)
            if table is not None:
                yield table, columns


def raw_loads(
    handler: Function, owned: set[str], owner_fields: frozenset[str]
) -> Iterator[tuple[ast.Call, str, ast.expr]]:
    """Loads in ``handler`` of one row or document of an owned store whose filter names no
    owner: ``(call, store, filter argument)``; the caller checks that a request key is used."""
    for node in walk(handler):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if not isinstance(func, ast.Attribute):
            continue
        if func.attr in DOCUMENT_LOADS:
            document = document_filter(node)
            if document is not None and document[0] in owned and not document[1] & owner_fields:
                yield node, document[0], node.args[0]
            continue
        if func.attr in SQL_RUNNERS and node.args:
            sql = statement_text(node.args[0])
            table, columns = filtered_columns(sql) if sql is not None else (None, set())
            if table is not None and table in owned and columns and not columns & owner_fields:
                yield node, table, node
