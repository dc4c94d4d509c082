"""
## What it does
Watches the event loop while each operation is served in-process: a watchdog thread pings
the loop every 10 ms and, when the loop stays busy longer than `--block-ms` (50 ms), samples
the loop thread's stack. An operation that holds the loop in its own code in at least two
requests (or its only one) is reported, with the stack that held it. Against a URL, a cheap
request is sent while a slow one is in flight, and again alone: when beside the slow one it
waits, beyond its own time alone, for at least half of the slow one's remaining time, every
time, the slow operation blocks the loop (no stack from outside; a busy machine slows the cheap
request alone too, so it does not count).

## Why is this bad?
An `async def` path operation runs on the event loop. A `time.sleep`, a synchronous client or
a long computation in it stops every other request of the worker, health checks included,
until it returns (CWE-400).

## Known problems
Only the app's own code is blamed: a pause whose stack never reaches the app (garbage
collection, a busy machine) is ignored. Against a URL, a server with several workers may
route the cheap request elsewhere and hide the block.

## Example
```python
@app.get("/report")
async def report():
    time.sleep(0.5)
    return {"ok": True}
```

## Use instead
```python
@app.get("/report")
async def report():
    await asyncio.sleep(0.5)
    return {"ok": True}
```

## Fix safety
No automatic fix: `await` an async equivalent, run the call with `run_in_threadpool`, or
declare the path operation with `def`.

## References
- https://fastapi.tiangolo.com/async/
- https://cwe.mitre.org/data/definitions/400.html
"""

from __future__ import annotations

from collections import Counter

from apismith.dynamic.findings import DynamicRule
from apismith.findings import Confidence, Severity
from apismith.profile.findings import ProfileFinding
from apismith.profile.measure import Timing
from apismith.profile.result import Contention, ProfileResult
from apismith.profile.watchdog import Block, innermost_app

CHECK = DynamicRule(
    "PRF002", "event-loop-blocked", "profile", Severity.HIGH, Confidence.HIGH, 400, __doc__ or ""
)


def check(result: ProfileResult) -> list[ProfileFinding]:
    """A finding per operation that held the event loop in its own code."""
    found: list[ProfileFinding] = []
    for timing in result.timings:
        label = timing.call.operation.label
        blocks = [block for block in result.blocks if block.label == label]
        sent = 1 + len(timing.samples)
        if blocks and len(blocks) >= min(2, sent):
            found.append(_from_blocks(result, timing, blocks))
    for contention in result.contention:
        if contention.tries and all(
            probe - alone >= 0.5 * (slow - contention.delay_ms)
            for slow, probe, alone in contention.tries
        ):
            found.append(_from_contention(result, contention))
    return found


def _from_blocks(result: ProfileResult, timing: Timing, blocks: list[Block]) -> ProfileFinding:
    culprit = Counter(innermost_app(block.stack) for block in blocks).most_common(1)[0][0]
    stack = next(block.stack for block in blocks if culprit in block.stack)
    longest = max(block.seconds for block in blocks) * 1000
    operation = timing.call.operation
    return ProfileFinding(
        CHECK,
        operation.method,
        operation.path,
        f"{operation.label} held the event loop for up to {longest:.0f} ms "
        f"({len(blocks)} time(s)) at {culprit.file}:{culprit.line} in {culprit.function}: "
        f"{culprit.code}",
        timing.first.status,
        "\n".join(str(line) for line in stack),
        result.reproduce(timing),
        source=f"{culprit.file}:{culprit.line}",
    )


def _from_contention(result: ProfileResult, contention: Contention) -> ProfileFinding:
    operation = contention.timing.call.operation
    waits = " and ".join(
        f"{probe:.0f} ms (of {slow:.0f} ms; {alone:.0f} ms alone)"
        for slow, probe, alone in contention.tries
    )
    return ProfileFinding(
        CHECK,
        operation.method,
        operation.path,
        f"{operation.label} blocks the server's event loop: {contention.probe}, sent "
        f"{contention.delay_ms:.0f} ms after it, had to wait for it to finish: {waits}",
        contention.timing.first.status,
        contention.timing.first.excerpt,
        result.reproduce(contention.timing),
        Confidence.MEDIUM,
    )
