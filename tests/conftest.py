"""Shared helpers: write small projects to disk, review them, import them for real."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

DUMP_ROUTES = r"""
import importlib, json, sys
from starlette.routing import Mount
try:
    from fastapi.routing import _iter_routes_with_context as iterate
except ImportError:
    def iterate(routes):
        for route in routes:
            yield route, None
from fastapi.routing import APIRoute

def walk(routes, prefix=""):
    for route, context in iterate(routes):
        if isinstance(route, APIRoute):
            path = context.path if context is not None else route.path
            for method in sorted(route.methods):
                yield method, prefix + path
        elif isinstance(route, Mount) and hasattr(route.app, "routes"):
            yield from walk(route.app.routes, prefix + route.path)

sys.path.insert(0, sys.argv[1])
module_name, _, attribute = sys.argv[2].partition(":")
app = getattr(importlib.import_module(module_name), attribute)
print(json.dumps(sorted(set(walk(app.routes)))))
"""


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: source}`` under ``root`` (sources are dedented)."""
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Factory writing a project into a fresh temporary directory."""

    def make(files: dict[str, str]) -> Path:
        return write_tree(tmp_path / "project", files)

    return make


def registered_routes(root: Path, target: str) -> set[tuple[str, str]]:
    """(method, path) of every route a real import of ``target`` registers."""
    completed = subprocess.run(
        [sys.executable, "-c", DUMP_ROUTES, str(root), target],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return {(method, path) for method, path in json.loads(completed.stdout)}
