"""Renderers: each a function from a review result to text."""

from __future__ import annotations

from apismith.output.json import render_json
from apismith.output.sarif import render_sarif
from apismith.output.text import render_text

__all__ = ["render_json", "render_sarif", "render_text"]
