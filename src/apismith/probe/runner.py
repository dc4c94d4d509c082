"""One probe run: discovery, then every check in order, within the request and time budget."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from apismith.dynamic.findings import DynamicFinding
from apismith.dynamic.schema import OpenAPI
from apismith.dynamic.target import Target
from apismith.probe import signup
from apismith.probe.channel import BudgetExhausted, Channel
from apismith.probe.checks import CHECKS, server_error
from apismith.probe.context import ProbeContext
from apismith.probe.discover import discover
from apismith.probe.identities import Identity

Progress = Callable[[int, str], None]


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """What the user asked for: identities, budget, timeout, and whether to sign up."""

    identities: tuple[Identity, ...] = ()
    max_requests: int = 3000
    time_limit: float = 300.0
    timeout: float = 5.0
    sign_up: bool = True


@dataclass(slots=True)
class ProbeResult:
    """The findings of a run and what it cost."""

    findings: list[DynamicFinding]
    operations: int
    requests: int
    seconds: float
    identities: list[str]
    budget_exhausted: bool = False
    errors: list[str] = field(default_factory=list)


def run_probe(
    target: Target, schema: OpenAPI, options: ProbeOptions, progress: Progress | None = None
) -> ProbeResult:
    """Exercise every operation of ``schema`` on ``target``; return what was found."""
    started = time.monotonic()
    step = "discovering"

    def report(sent: int) -> None:
        if progress is not None:
            progress(sent, step)

    with Channel(
        target,
        max_requests=options.max_requests,
        time_limit=options.time_limit,
        timeout=options.timeout,
        progress=report,
    ) as channel:
        ctx = ProbeContext(schema, channel, list(options.identities))
        exhausted = False
        errors: list[str] = []
        steps: list[tuple[str, Callable[[ProbeContext], None]]] = []
        if options.sign_up:
            steps.append(("signing up", signup.sign_up))
        steps.append(("discovering", discover))
        steps += [(check.rule.name, check.run) for check in CHECKS]
        steps.append(("server errors", server_error.collect))
        for step, run in steps:
            report(channel.sent)
            try:
                run(ctx)
            except BudgetExhausted:
                exhausted = True
            except Exception as error:  # one failing check must not lose the others' findings
                errors.append(f"{step}: {type(error).__name__}: {error}")
        return ProbeResult(
            findings=sorted(ctx.findings.values(), key=lambda f: f.sort_key),
            operations=len(schema.operations),
            requests=channel.sent,
            seconds=time.monotonic() - started,
            identities=[identity.name for identity in ctx.identities],
            budget_exhausted=exhausted or channel.remaining == 0,
            errors=errors,
        )
