"""
## What it does
Reports operations that take `--slow-ms` (100 ms) or more, both alone (the fastest request
sent while no other is in flight) and at the median under `--concurrency`; half of it alone
is enough when concurrent requests measurably queue behind each other. A slow operation
is then sent alone and two at once, three times: when the fastest pair takes 1.3 times as
long as the fastest lone request, the time is spent holding the interpreter or the event
loop, a CPU hotspot, and the finding is medium; otherwise the operation is waiting on
something (I/O, a sleep) without stopping others, and the finding is low.
In-process, the operation is sent once more under pyinstrument and the message names the
function of the app where most of the time goes (file, line and share of the request).

## Why is this bad?
A slow operation ties up a worker or a thread of the pool for its whole duration; under load,
requests queue behind it and time out (CWE-400). A median that high is seen by every client,
not only the unlucky ones.

## Known problems
Latency depends on the machine and on what else runs on it: pick `--slow-ms` for your service.
With `--concurrency 1` or `--requests 1` the scaling is not measured and the finding is medium.
Against a URL only the latency is known, not where the time goes.

## Example
```python
@app.get("/primes")
def primes(limit: int = 30000):
    return [n for n in range(2, limit) if all(n % d for d in range(2, n))]
```

## Use instead
```python
@app.get("/primes")
def primes(limit: int = 30000):
    return sieve(limit)  # an algorithm that fits the input size, or a cached result
```

## Fix safety
No automatic fix: the remedy depends on where the time goes.

## References
- https://pyinstrument.readthedocs.io/
- https://cwe.mitre.org/data/definitions/400.html
"""

from __future__ import annotations

from apismith.dynamic.findings import DynamicRule
from apismith.findings import Confidence, Severity
from apismith.profile.findings import ProfileFinding
from apismith.profile.result import Options, ProfileResult

CHECK = DynamicRule(
    "PRF003", "slow-operation", "profile", Severity.MEDIUM, Confidence.HIGH, 400, __doc__ or ""
)


def check(result: ProfileResult, options: Options) -> list[ProfileFinding]:
    """A finding per operation whose median latency reaches the threshold."""
    found: list[ProfileFinding] = []
    for timing in result.timings:
        p50, alone = timing.percentile(0.5), timing.alone_ms
        # Half the threshold alone is enough when concurrent requests queue behind each other:
        # under load, which is how clients meet it, it is over the threshold.
        queued = timing.contended is True and alone >= options.slow_ms / 2
        if p50 < options.slow_ms or (alone < options.slow_ms and not queued):
            continue
        operation = timing.call.operation
        waiting = timing.contended is False
        message = (
            f"{operation.label} takes {alone:.0f} ms alone and {p50:.0f} ms at the median "
            f"under load (p95 {timing.percentile(0.95):.0f} ms; threshold {options.slow_ms:.0f} ms)"
        )
        if waiting:
            message += "; concurrent requests do not slow each other: it waits, not computes"
        elif timing.contended:
            message += "; concurrent requests wait for each other: it computes or blocks"
        source = ""
        excerpt = timing.first.excerpt
        profile = result.profiles.get(operation.label)
        if profile is not None and profile.hotspots:
            top = profile.hotspots[0]
            message += f"; {top.share:.0%} of it in {top.function} at {top.where}"
            source = top.where
            excerpt = "\n".join(
                f"{spot.share:6.1%}  {spot.function}  {spot.where}" for spot in profile.hotspots
            )
        found.append(
            ProfileFinding(
                CHECK,
                operation.method,
                operation.path,
                message,
                timing.first.status,
                excerpt,
                result.reproduce(timing),
                source=source,
                severity=Severity.LOW if waiting else None,
            )
        )
    return found
