"""The measurements of one profile run, which the checks turn into findings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from apismith.profile.connect import reproduce
from apismith.profile.findings import ProfileFinding
from apismith.profile.hotspots import CallProfile
from apismith.profile.measure import Sample, Timing
from apismith.profile.watchdog import Block


@dataclass(frozen=True, slots=True)
class Options:
    """How to profile: load, thresholds, and whether data may be added."""

    requests: int = 20
    concurrency: int = 4
    slow_ms: float = 100.0
    block_ms: float = 50.0
    seed: int = 3
    url_seed: int = 30
    timeout: float = 30.0
    budget: float = 10.0
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def concurrent(self) -> bool:
        """Whether requests of one operation are ever in flight together."""
        return min(self.concurrency, self.requests) >= 2


@dataclass(frozen=True, slots=True)
class Growth:
    """A list operation measured before and after ``created`` objects were added."""

    timing: Timing
    before: Sample
    after: Sample | None
    created: int


@dataclass(frozen=True, slots=True)
class LatencyGrowth:
    """A list operation's fastest latency before and after objects were added, from outside."""

    timing: Timing
    before_ms: float
    before_items: int
    after_ms: float
    after_items: int


@dataclass(frozen=True, slots=True)
class Contention:
    """A cheap request sent ``delay_ms`` after a slow one, seen from outside the app: per try,
    how long the slow one took, how long the cheap one took beside it, and how long the cheap
    one took alone right after (a busy machine slows both alike; a blocked loop only the first)."""

    timing: Timing
    probe: str
    delay_ms: float
    tries: tuple[tuple[float, float, float], ...]


@dataclass(slots=True)
class ProfileResult:
    """Everything one run measured, and the findings drawn from it."""

    target: str
    base_url: str
    in_process: bool
    headers: dict[str, str] = field(default_factory=dict)
    uses_sql: bool = False
    timings: list[Timing] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    contention: list[Contention] = field(default_factory=list)
    growth: list[Growth] = field(default_factory=list)
    latency_growth: list[LatencyGrowth] = field(default_factory=list)
    profiles: dict[str, CallProfile] = field(default_factory=dict)
    findings: list[ProfileFinding] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0

    def reproduce(self, timing: Timing) -> str:
        """The curl line that repeats the operation's request."""
        call = timing.call
        body = None if call.body is None else json.dumps(call.body)
        headers = {**self.headers, **call.headers}
        return reproduce(self.base_url, call.operation.method, call.url, headers, body)
