"""Fixtures for dynamic targets: apps written to disk under unique module names."""

from __future__ import annotations

import itertools
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_counter = itertools.count()

AppFactory = Callable[[str], tuple[str, Path]]


@pytest.fixture(autouse=True)
def _restore_import_state() -> Iterator[None]:
    """Undo what importing a target does to ``sys.path``."""
    saved = list(sys.path)
    yield
    sys.path[:] = saved


@pytest.fixture
def write_app(tmp_path: Path) -> AppFactory:
    """Write ``source`` as a fresh module; return (module name, its directory)."""

    def make(source: str) -> tuple[str, Path]:
        name = f"dynamic_app_{next(_counter)}_{tmp_path.name[-8:].replace('-', '_')}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        return name, tmp_path

    return make
