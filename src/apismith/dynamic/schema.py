"""The target's OpenAPI 3 document, with ``$ref``s resolved, as a list of operations."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from apismith.dynamic.target import Target
from apismith.errors import SchemaError, TargetError

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SCHEMA_PATHS = ("/openapi.json", "/api/openapi.json", "/api/v1/openapi.json", "/docs/openapi.json")
FETCH_TIMEOUT = 10.0

JSONSchema = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Parameter:
    """One path, query, header or cookie parameter."""

    name: str
    location: str
    required: bool
    schema: JSONSchema


@dataclass(frozen=True, slots=True, eq=False)
class Operation:
    """One method on one path template, with everything needed to build requests for it.

    Compared and hashed by identity: each operation of a schema is one object.
    """

    method: str
    path: str
    operation_id: str
    parameters: tuple[Parameter, ...] = ()
    body_schema: JSONSchema | None = None
    body_media_type: str | None = None
    body_required: bool = False
    responses: Mapping[str, JSONSchema | None] = field(default_factory=dict)
    security: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str = ""

    @property
    def label(self) -> str:
        """``GET /items/{item_id}``."""
        return f"{self.method} {self.path}"

    @property
    def mutating(self) -> bool:
        """True for methods that change state."""
        return self.method in ("POST", "PUT", "PATCH", "DELETE")

    def params(self, location: str) -> tuple[Parameter, ...]:
        """The parameters in ``location`` (path, query, header, cookie)."""
        return tuple(p for p in self.parameters if p.location == location)


@dataclass(frozen=True, slots=True)
class OpenAPI:
    """A validated OpenAPI 3 document and its operations."""

    version: str
    title: str
    operations: tuple[Operation, ...]
    security_schemes: Mapping[str, JSONSchema]
    document: Mapping[str, Any]

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.operations)

    def __len__(self) -> int:
        return len(self.operations)


def load_schema(target: Target, schema_file: Path | None = None) -> OpenAPI:
    """Read the schema from ``schema_file``, the in-process app or the target URL; validate it."""
    if schema_file is not None:
        try:
            document = json.loads(schema_file.read_text(encoding="utf-8"))
        except OSError as error:
            raise SchemaError(f"{schema_file}: cannot read ({error.strerror})") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SchemaError(f"{schema_file}: not JSON ({error})") from None
        return parse_schema(document, str(schema_file))
    openapi = getattr(target.app, "openapi", None)
    if callable(openapi):
        try:
            # The app's own warnings (duplicate operation ids) are not the user's question here.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                document = openapi()
        except Exception as error:
            raise SchemaError(
                f"{target.spec}: the app cannot build its OpenAPI schema "
                f"({type(error).__name__}: {error})"
            ) from None
        return parse_schema(document, target.spec)
    document, where = asyncio.run(_fetch(target))
    return parse_schema(document, where)


def parse_schema(document: object, where: str) -> OpenAPI:
    """Validate ``document`` minimally as OpenAPI 3 and list its operations."""
    if not isinstance(document, dict):
        raise SchemaError(f"{where}: an OpenAPI document is a JSON object")
    version = document.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        raise SchemaError(f"{where}: not an OpenAPI 3 document (no 'openapi: 3.x' field)")
    paths = document.get("paths")
    if not isinstance(paths, dict):
        raise SchemaError(f"{where}: the OpenAPI document has no 'paths' object")
    resolved = _Resolver(document).resolve(document)
    components = resolved.get("components")
    schemes = components.get("securitySchemes", {}) if isinstance(components, dict) else {}
    info = resolved.get("info")
    return OpenAPI(
        version=version,
        title=str(info.get("title", "")) if isinstance(info, dict) else "",
        operations=tuple(_operations(resolved)),
        security_schemes=schemes if isinstance(schemes, dict) else {},
        document=resolved,
    )


async def _fetch(target: Target) -> tuple[object, str]:
    async with target.session(FETCH_TIMEOUT) as client:
        for path in SCHEMA_PATHS:
            url = target.base_url + path
            try:
                response = await client.get(path if target.app is not None else url)
            except httpx.TimeoutException:
                raise TargetError(f"{url}: no answer within {FETCH_TIMEOUT:g} s") from None
            except httpx.HTTPError as error:
                raise TargetError(
                    f"{url}: cannot connect ({error or type(error).__name__})"
                ) from None
            if response.status_code == 200:
                try:
                    return response.json(), url
                except ValueError:
                    raise SchemaError(f"{url}: the schema is not JSON") from None
    raise SchemaError(
        f"{target.base_url}: no OpenAPI schema at {', '.join(SCHEMA_PATHS)}; pass --schema FILE"
    )


class _Resolver:
    """Inline local ``$ref``s; a reference met again inside itself becomes ``{}``."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.active: set[str] = set()
        self.done: dict[str, Any] = {}

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self._follow(ref)
        return {key: self.resolve(value) for key, value in node.items()}

    def _follow(self, ref: str) -> Any:
        if ref in self.done:
            return self.done[ref]
        if ref in self.active or not ref.startswith("#/"):
            return {}
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise SchemaError(f"unresolvable reference {ref!r} in the OpenAPI document")
            node = node[part]
        self.active.add(ref)
        try:
            value = self.resolve(node)
        finally:
            self.active.discard(ref)
        self.done[ref] = value
        return value


def _operations(document: dict[str, Any]) -> Iterator[Operation]:
    global_security = _security_names(document.get("security"))
    for path, item in document["paths"].items():
        if not isinstance(item, dict):
            continue
        shared = [p for p in item.get("parameters", []) if isinstance(p, dict)]
        for method in METHODS:
            spec = item.get(method)
            if not isinstance(spec, dict):
                continue
            merged = {(p.get("name"), p.get("in")): p for p in shared}
            merged |= {
                (p.get("name"), p.get("in")): p
                for p in spec.get("parameters", [])
                if isinstance(p, dict)
            }
            body, media, required = _body(spec.get("requestBody"))
            security = spec.get("security")
            yield Operation(
                method=method.upper(),
                path=str(path),
                operation_id=str(spec.get("operationId") or f"{method}_{path}"),
                parameters=tuple(_parameter(p) for p in merged.values() if p.get("name")),
                body_schema=body,
                body_media_type=media,
                body_required=required,
                responses=_responses(spec.get("responses")),
                security=_security_names(security) if security is not None else global_security,
                tags=tuple(str(t) for t in spec.get("tags", []) if isinstance(t, str)),
                summary=str(spec.get("summary", "")),
            )


def _parameter(spec: dict[str, Any]) -> Parameter:
    location = str(spec.get("in", "query"))
    schema = spec.get("schema")
    return Parameter(
        name=str(spec["name"]),
        location=location,
        required=bool(spec.get("required", location == "path")),
        schema=schema if isinstance(schema, dict) else {},
    )


def _body(spec: object) -> tuple[JSONSchema | None, str | None, bool]:
    if not isinstance(spec, dict) or not isinstance(spec.get("content"), dict):
        return None, None, False
    content: dict[str, Any] = spec["content"]
    preferred = [m for m in content if "json" in m] or list(content)
    if not preferred:
        return None, None, False
    media = preferred[0]
    entry = content[media]
    schema = entry.get("schema") if isinstance(entry, dict) else None
    return (schema if isinstance(schema, dict) else {}), media, bool(spec.get("required"))


def _responses(spec: object) -> dict[str, JSONSchema | None]:
    if not isinstance(spec, dict):
        return {}
    result: dict[str, JSONSchema | None] = {}
    for status, response in spec.items():
        schema = None
        if isinstance(response, dict) and isinstance(response.get("content"), dict):
            for media, entry in response["content"].items():
                if (
                    "json" in media
                    and isinstance(entry, dict)
                    and isinstance(entry.get("schema"), dict)
                ):
                    schema = entry["schema"]
                    break
        result[str(status)] = schema
    return result


def _security_names(spec: object) -> tuple[str, ...]:
    if not isinstance(spec, list):
        return ()
    return tuple(sorted({str(name) for req in spec if isinstance(req, dict) for name in req}))
