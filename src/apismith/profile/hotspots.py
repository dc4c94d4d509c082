"""A call profile of one request with pyinstrument: the app's hotspots and the full HTML.

The request is sent once more in-process under the profiler. pyinstrument samples one thread,
so while it runs, work FastAPI would hand to its thread pool (``def`` path operations and
dependencies) runs inline on the event loop's thread, where the profiler sees it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from pyinstrument import Profiler
from pyinstrument.frame import Frame

from apismith.profile.watchdog import is_app_file, shown_path

T = TypeVar("T")
MIN_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class Hotspot:
    """Time spent in one function of the app, callees outside the app included."""

    function: str
    file: str
    line: int
    seconds: float
    share: float

    @property
    def where(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class CallProfile:
    """The hotspots of one profiled request and its rendered HTML profile."""

    label: str
    seconds: float
    hotspots: tuple[Hotspot, ...]
    html: str

    def save(self, path: Path) -> None:
        """Write the full pyinstrument HTML profile."""
        path.write_text(self.html, encoding="utf-8")


@contextmanager
def threads_inline() -> Iterator[None]:
    """Run ``anyio.to_thread.run_sync`` calls on the calling thread while inside."""
    original = anyio.to_thread.run_sync

    async def inline(func: Callable[..., T], *args: Any, **_: Any) -> T:
        return func(*args)

    setattr(anyio.to_thread, "run_sync", inline)  # noqa: B010
    try:
        yield
    finally:
        setattr(anyio.to_thread, "run_sync", original)  # noqa: B010


async def profile_call(
    label: str, send: Callable[[], Awaitable[object]], top: int = 5
) -> CallProfile:
    """Profile ``send()`` and keep the ``top`` hotspots of the app's code (1% or more)."""
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    with threads_inline():
        profiler.start()
        try:
            await send()
        finally:
            session = profiler.stop()
    root = session.root_frame()
    total = session.duration or 1e-9
    spent: dict[tuple[str, str, int], float] = {}
    if root is not None:
        _collect(root, spent)
    ranked = sorted(spent.items(), key=lambda item: -item[1])[:top]
    hotspots = tuple(
        Hotspot(function, file, line, round(seconds, 4), round(min(seconds / total, 1.0), 3))
        for (function, file, line), seconds in ranked
        if seconds >= MIN_SHARE * total
    )
    return CallProfile(label, total, hotspots, profiler.output_html())


def _collect(frame: Frame, spent: dict[tuple[str, str, int], float]) -> None:
    """Add each app frame's time less the time of the app frames it calls."""
    for child in frame.children:
        _collect(child, spent)
    if not frame.file_path or not is_app_file(frame.file_path):
        return
    nested = sum(_app_time(child) for child in frame.children)
    key = (frame.function or "?", shown_path(frame.file_path), frame.line_no or 0)
    spent[key] = spent.get(key, 0.0) + max(frame.time - nested, 0.0)


def _app_time(frame: Frame) -> float:
    """Time of the outermost app frames at or below ``frame``."""
    if frame.file_path and is_app_file(frame.file_path):
        return frame.time
    return sum(_app_time(child) for child in frame.children)
