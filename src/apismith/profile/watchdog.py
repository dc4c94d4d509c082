"""Event-loop blocking: a thread that pings the loop and samples its stack when it is late.

Every ``interval`` the watchdog schedules a no-op on the loop. When the loop has not run it
within ``threshold``, some code is holding it: the watchdog samples the loop thread's stack
(``sys._current_frames()``) and keeps the first sample that shows the app's own code, then
waits for the loop to come back and records the whole pause against the current ``label``.
"""

from __future__ import annotations

import asyncio
import site
import sys
import sysconfig
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

_APISMITH = str(Path(__file__).resolve().parents[1])
_LIBRARY_ROOTS = tuple(
    {
        str(Path(p).resolve())
        for p in (
            sys.prefix,
            sys.base_prefix,
            sys.exec_prefix,
            sysconfig.get_paths()["stdlib"],
            *site.getsitepackages(),
            _APISMITH,
        )
    }
)


def is_app_file(filename: str) -> bool:
    """Whether a code file belongs to the profiled app rather than Python, a library or apismith."""
    if filename.startswith("<") or "site-packages" in filename or "dist-packages" in filename:
        return False
    resolved = str(Path(filename).resolve())
    return not any(resolved.startswith(root) for root in _LIBRARY_ROOTS)


def shown_path(filename: str) -> str:
    """A file name relative to the working directory when it is inside it."""
    path = Path(filename)
    try:
        return str(path.relative_to(Path.cwd())) if path.is_absolute() else filename
    except ValueError:
        return filename


@dataclass(frozen=True, slots=True)
class StackLine:
    """One frame of a sampled stack."""

    file: str
    line: int
    function: str
    code: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} in {self.function}" + (
            f"\n    {self.code}" if self.code else ""
        )


@dataclass(frozen=True, slots=True)
class Block:
    """The loop held for ``seconds`` while ``label`` was being served, blocked in ``stack``."""

    label: str
    seconds: float
    stack: tuple[StackLine, ...]


def app_stack(frame: FrameType) -> tuple[StackLine, ...]:
    """The app's frames of a stack (outermost first) and the innermost frame below them."""
    summary = traceback.extract_stack(frame)
    lines = [
        StackLine(shown_path(item.filename), item.lineno or 0, item.name, (item.line or "").strip())
        for item in summary
    ]
    ours = [index for index, item in enumerate(summary) if item.filename.startswith(_APISMITH)]
    if ours:
        lines = lines[ours[-1] + 1 :]
    inside = [index for index, line in enumerate(lines) if is_app_file(line.file)]
    if not inside:
        return ()
    kept = [lines[index] for index in inside]
    if inside[-1] != len(lines) - 1:
        kept.append(lines[-1])
    return tuple(kept)


def innermost_app(stack: tuple[StackLine, ...]) -> StackLine:
    """The deepest frame of the app in a stack made by :func:`app_stack`."""
    return next(line for line in reversed(stack) if is_app_file(line.file))


class Watchdog:
    """Watches one event loop from a thread; use as a context manager inside the loop."""

    def __init__(self, threshold: float, interval: float = 0.01) -> None:
        self.threshold = threshold
        self.interval = interval
        self.label = ""
        self.blocks: list[Block] = []
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._thread = threading.Thread(target=self._watch, name="apismith-watchdog", daemon=True)

    def __enter__(self) -> Watchdog:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        assert self._loop is not None
        while not self._stop.is_set():
            answered = threading.Event()
            label = self.label
            started = time.perf_counter()
            try:
                self._loop.call_soon_threadsafe(answered.set)
            except RuntimeError:
                return
            if not answered.wait(self.threshold):
                stack = self._sample(answered)
                if not self._resumed(answered):
                    return
                if stack:
                    self.blocks.append(Block(label, time.perf_counter() - started, stack))
            self._stop.wait(self.interval)

    def _sample(self, answered: threading.Event) -> tuple[StackLine, ...]:
        """The first stack of the blocked loop that shows app code, sampled until it resumes."""
        while not answered.is_set() and not self._stop.is_set():
            frame = sys._current_frames().get(self._loop_thread)
            stack = app_stack(frame) if frame is not None else ()
            if stack:
                return stack
            answered.wait(self.threshold / 4)
        return ()

    def _resumed(self, answered: threading.Event) -> bool:
        """Wait for the loop to run the ping; False when told to stop first (the loop is
        then busy joining this thread)."""
        while not answered.wait(self.interval):
            if self._stop.is_set():
                return False
        return True
