"""Which requests to send: read operations from the OpenAPI schema and fill their parameters.

GET operations are measured; path parameters are filled with ids found in the list response
of the enclosing collection (``/authors`` for ``/authors/{author_id}``); required query and
header parameters get schema-made values, a page-size parameter (``limit``) a large page.
POST operations with a JSON body on a listed collection are the ways to add data when looking
for N+1 queries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from apismith.dynamic.schema import Operation
from apismith.profile.values import Values

_PARAM = re.compile(r"\{([^}/]+)\}")
_PAGE_SIZES = frozenset({"limit", "size", "page_size", "pagesize", "per_page", "perpage", "take"})
PAGE = 100


@dataclass(slots=True)
class Call:
    """A concrete request for an operation."""

    operation: Operation
    url: str
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


def items_of(payload: object) -> list[dict[str, Any]] | None:
    """The objects of a list response: a JSON array, or the one array field of an envelope."""
    if isinstance(payload, dict):
        arrays = [v for v in payload.values() if isinstance(v, list)]
        payload = arrays[0] if len(arrays) == 1 else None
    if isinstance(payload, list) and all(isinstance(item, dict) for item in payload):
        return payload
    return None


def id_of(item: dict[str, Any], parameter: str) -> object:
    """The value in a listed object that a ``{parameter}`` most likely names."""
    stem = parameter.removesuffix("_id").removesuffix("Id")
    for key in (parameter, "id", f"{stem}_id", "uuid", "slug", "key", "name"):
        if isinstance(item.get(key), str | int) and not isinstance(item.get(key), bool):
            return item[key]
    return None


def _page_size(operation: Operation) -> dict[str, int]:
    """The largest page (up to 100) for a list operation's optional page-size parameter, so
    that objects added to find N+1 queries are listed too."""
    return {
        p.name: min(PAGE, int(p.schema.get("maximum", PAGE)))
        for p in operation.params("query")
        if operation.method == "GET"
        and not p.required
        and p.name.lower() in _PAGE_SIZES
        and p.schema.get("type") == "integer"
    }


class Planner:
    """Turns operations into concrete calls, listing collections to find ids."""

    def __init__(self, client: httpx.AsyncClient, document: Mapping[str, Any]) -> None:
        self.client = client
        self.document = document
        self._lists: dict[str, list[dict[str, Any]] | None] = {}
        self._values = Values(document)

    async def listing(self, url: str) -> list[dict[str, Any]] | None:
        """The objects listed at ``url`` (cached; None when it is not a list)."""
        if url not in self._lists:
            try:
                response = await self.client.get(url)
                listed = items_of(response.json()) if response.status_code < 300 else None
            except (httpx.HTTPError, ValueError):
                listed = None
            self._lists[url] = listed
        return self._lists[url]

    def forget(self, url: str) -> None:
        """Drop a cached listing after data was added."""
        self._lists.pop(url, None)

    async def call(self, operation: Operation) -> Call:
        """A request for the operation; a path parameter no listing names gets a made-up
        value (the operation is skipped later if the app answers 4xx)."""
        url = ""
        values = Values(self.document)
        path_schemas = {p.name: p.schema for p in operation.params("path")}
        position = 0
        for match in _PARAM.finditer(operation.path):
            url += operation.path[position : match.start()]
            position = match.end()
            listed = await self.listing(url.rstrip("/") or "/")
            value = next(
                (v for v in (id_of(i, match.group(1)) for i in listed or []) if v is not None),
                None,
            )
            if value is None:
                value = values.example(path_schemas.get(match.group(1), {}), match.group(1))
            url += quote(str(value), safe="")
        url += operation.path[position:]
        query = {
            p.name: values.example(p.schema, p.name)
            for p in operation.params("query")
            if p.required
        }
        query.update(_page_size(operation))
        if query:
            url += "?" + urlencode(query, doseq=True)
        given = {name.lower() for name in self.client.headers}
        headers = {
            p.name: str(values.example(p.schema, p.name))
            for p in operation.params("header")
            if p.required and p.name.lower() not in given
        }
        return Call(operation, url, None, headers)

    def body(self, operation: Operation, ids: dict[str, object]) -> object:
        """A JSON body for a create operation, foreign keys filled from ``ids``."""
        self._values.ids = ids
        return self._values.example(operation.body_schema or {})
