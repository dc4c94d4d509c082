"""The cookies a run saw, parsed once for the three cookie checks."""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from apismith.dynamic.findings import DynamicRule
from apismith.findings import Severity
from apismith.probe.channel import Exchange
from apismith.probe.context import ProbeContext, finding


@dataclass(frozen=True, slots=True)
class SetCookie:
    """One ``Set-Cookie`` header: the cookie's name, its attributes, and where it was seen."""

    name: str
    attributes: frozenset[str]
    samesite: str
    exchange: Exchange


def cookies(ctx: ProbeContext) -> list[SetCookie]:
    """The first ``Set-Cookie`` of each cookie name, deletions left out."""
    seen: dict[str, SetCookie] = {}
    for exchange in ctx.channel.exchanges:
        for header in exchange.headers.get_list("set-cookie"):
            parsed = _parse(header, exchange)
            if parsed is not None and parsed.name not in seen:
                seen[parsed.name] = parsed
    return list(seen.values())


def report_cookie(
    ctx: ProbeContext,
    rule: DynamicRule,
    cookie: SetCookie,
    missing: str,
    severity: Severity | None = None,
) -> None:
    """Report ``cookie`` as set without the attribute ``missing`` names."""
    exchange = cookie.exchange
    label = exchange.operation.label if exchange.operation else exchange.request.method
    ctx.report(
        finding(
            rule,
            exchange,
            f"{label} sets the cookie {cookie.name!r} without {missing}",
            severity,
            excerpt="\n".join(exchange.headers.get_list("set-cookie")),
        )
    )


def _parse(header: str, exchange: Exchange) -> SetCookie | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    for name, morsel in jar.items():
        if morsel["max-age"] in ("0", "-1") or not morsel.value:
            return None  # a deletion
        present = {key for key in ("secure", "httponly") if morsel[key]}
        return SetCookie(name, frozenset(present), str(morsel["samesite"]).lower(), exchange)
    return None
