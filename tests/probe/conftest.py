"""Probe fixtures: the shared app writer and import-state guard, and the two notes apps."""

from __future__ import annotations

from pathlib import Path

from dynamic.conftest import _restore_import_state, write_app

APPS = Path(__file__).parent / "apps"

__all__ = ["APPS", "_restore_import_state", "write_app"]
