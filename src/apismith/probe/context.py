"""What every check sees: the schema, the channel, the callers, and what was learnt so far."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from apismith.dynamic.findings import DynamicFinding, DynamicRule
from apismith.dynamic.schema import OpenAPI, Operation
from apismith.findings import Severity
from apismith.probe.channel import Channel, Exchange
from apismith.probe.identities import ANONYMOUS, Identity
from apismith.probe.requests import RequestData, build_request

# Operations that anyone may call by design: signing in and up, recovering an account.
AUTH_FLOW = re.compile(
    r"(?i)(log-?in|log-?out|sign-?(in|up|out)|regist|token|session|auth(enticate)?$|"
    r"passw|forgot|reset|recover|verif|confirm|otp|refresh|magic)"
)
PUBLIC_PATHS = re.compile(
    r"(?i)^/?(api/)?(v\d+/)?(health\w*|ready\w*|live\w*|status|version|ping)?/?$"
)
SELF_SEGMENTS = frozenset({"me", "self", "current", "mine"})
ID_KEYS = ("id", "uuid", "pk", "_id")
VERSION_SEGMENT = re.compile(r"^(api|v\d+(\.\d+)?|rest)$", re.IGNORECASE)


SESSION_ENDERS = re.compile(r"^(log|sign)[-_]?out(-all|_all)?$", re.IGNORECASE)


def ends_session(operation: Operation) -> bool:
    """Whether an operation signs its caller out: its last literal path segment says so."""
    segments = [part for part in operation.path.split("/") if part and "{" not in part]
    return bool(segments) and bool(SESSION_ENDERS.match(segments[-1]))


@dataclass
class ProbeContext:
    """Shared state of one probe run."""

    schema: OpenAPI
    channel: Channel
    identities: list[Identity]
    findings: dict[tuple[str, str, str], DynamicFinding] = field(default_factory=dict)
    anonymous: dict[Operation, Exchange] = field(default_factory=dict)
    baseline: dict[tuple[Operation, str], Exchange] = field(default_factory=dict)
    # resource -> identity name -> object ids, in discovery order
    visible: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    owned: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def send(
        self, operation: Operation, data: RequestData, identity: Identity = ANONYMOUS
    ) -> Exchange:
        """Send ``data`` to ``operation`` as ``identity``; an operation that ends sessions
        (``/auth/logout``) is always called anonymously, or it would sign the identity out for
        the rest of the run."""
        if ends_session(operation):
            identity = ANONYMOUS
        request = build_request(self.channel.target.base_url, operation, data, identity.headers)
        return self.channel.send(request, operation, identity.name)

    def report(self, finding: DynamicFinding) -> None:
        """Keep one finding per rule and operation (the first, or the more severe)."""
        key = (finding.rule, finding.method, finding.path)
        known = self.findings.get(key)
        if known is None or finding.severity > known.severity:
            self.findings[key] = finding

    @property
    def user(self) -> Identity:
        """The identity fuzzing runs as: the first given, else nobody."""
        return self.identities[0] if self.identities else ANONYMOUS

    def remember_ids(self, operation: Operation, identity: Identity, body: Any) -> None:
        """Note the object ids a list, create or ``me`` response shows to ``identity``."""
        if operation.params("path") and operation.method == "GET":
            return
        resource = collection_of(operation.path)
        if resource is None:
            return
        seen = self.visible.setdefault(resource, {}).setdefault(identity.name, [])
        seen.extend(i for i in ids_in(body, resource)[:20] if i not in seen)
        own = ids_in(body, resource, nested=False)
        if own:
            owned = self.owned.setdefault(resource, {}).setdefault(identity.name, [])
            owned.extend(i for i in own if i not in owned)

    def ids_for(self, operation: Operation, identity: Identity) -> dict[str, Any]:
        """Path parameter values naming objects ``identity`` owns or sees, where known."""
        values: dict[str, Any] = {}
        for name, resource in path_resources(operation.path).items():
            owned = self.owned.get(resource, {}).get(identity.name, [])
            seen = self.visible.get(resource, {}).get(identity.name, [])
            if owned or seen:
                values[name] = (owned or seen)[-1]
        return values

    def any_ids(self, operation: Operation) -> dict[str, Any]:
        """Path parameter values naming any known object."""
        for identity in [*self.identities, ANONYMOUS]:
            values = self.ids_for(operation, identity)
            if values:
                return values
        return {}


def reached_handler(operation: Operation, exchange: Exchange) -> bool:
    """Whether the handler ran: a 2xx, or a 404 for an object a path parameter named."""
    if exchange.ok:
        return True
    return exchange.status == 404 and bool(operation.params("path"))


def denied(exchange: Exchange) -> bool:
    """A 401 or 403 answer."""
    return exchange.status in (401, 403)


def is_auth_flow(operation: Operation) -> bool:
    """Sign-in, sign-up and account recovery operations, public by design.

    Besides their names, a POST that takes a password (``POST /users`` as sign-up) is one.
    """
    if AUTH_FLOW.search(operation.path) or AUTH_FLOW.search(operation.operation_id):
        return True
    properties = (operation.body_schema or {}).get("properties", {})
    return operation.method == "POST" and any("password" in str(k).lower() for k in properties)


def is_public_by_nature(operation: Operation) -> bool:
    """Health, version and root operations."""
    return bool(PUBLIC_PATHS.match(operation.path)) and not operation.mutating


def resource_of(path: str) -> str | None:
    """The collection a path is about: ``/api/v1/items/{id}`` -> ``items``."""
    segments = [s for s in path.strip("/").split("/") if s and not VERSION_SEGMENT.match(s)]
    static = [s for s in segments if not s.startswith("{")]
    return static[0] if static else None


def ids_in(body: Any, collection: str, nested: bool = True) -> list[Any]:
    """The ids of the objects in ``body`` (only of ``body`` itself unless ``nested``)."""
    keys = (*ID_KEYS, f"{singular(collection)}_id", f"{singular(collection)}Id")
    found = objects(body) if nested else iter([body] if isinstance(body, dict) else [])
    ids = (next((obj[k] for k in keys if obj.get(k) is not None), None) for obj in found)
    return [i for i in ids if i is not None and not isinstance(i, dict | list)]


def singular(word: str) -> str:
    """``notes`` -> ``note``, ``categories`` -> ``category`` (enough for id field names)."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


def collection_of(path: str) -> str | None:
    """The collection a list or create operation serves: ``/users/me`` -> ``users``."""
    static = [s for s in path.strip("/").split("/") if s and not s.startswith("{")]
    static = [s for s in static if not VERSION_SEGMENT.match(s)]
    while len(static) > 1 and static[-1] in SELF_SEGMENTS:
        static.pop()
    return static[-1] if static else None


def path_resources(path: str) -> dict[str, str]:
    """Each path parameter with the collection named before it: ``{item_id}`` -> ``items``."""
    result: dict[str, str] = {}
    previous: str | None = None
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            if previous is not None:
                result[segment[1:-1]] = previous
        elif segment:
            previous = segment
    return result


def objects(body: Any) -> Iterator[Mapping[str, Any]]:
    """The JSON objects of a response: the body itself, or the items of a (wrapped) list."""
    if isinstance(body, dict):
        yield body
        for key in ("items", "data", "results", "objects", "records", "content"):
            inner = body.get(key)
            if isinstance(inner, list):
                yield from (item for item in inner if isinstance(item, dict))
    elif isinstance(body, list):
        yield from (item for item in body if isinstance(item, dict))


def finding(
    rule: DynamicRule,
    exchange: Exchange,
    message: str,
    severity: Severity | None = None,
    excerpt: str | None = None,
) -> DynamicFinding:
    """A finding of ``rule`` shown by ``exchange`` (its body, unless ``excerpt`` is given)."""
    operation = exchange.operation
    method = operation.method if operation else exchange.request.method
    path = operation.path if operation else exchange.request.url.path
    if excerpt is None:
        excerpt = exchange.text if exchange.status is not None else exchange.error
    return DynamicFinding.of(
        rule,
        method,
        path,
        message,
        status=exchange.status,
        excerpt=excerpt,
        reproduce=exchange.curl,
        severity=severity,
    )
