"""The shared shape of taint rules: one report per sink reached by client data."""

from __future__ import annotations

from collections.abc import Iterator

from apismith.rules.base import Report
from apismith.rules.context import Context


def taint_reports(context: Context, kind: str, template: str) -> Iterator[Report]:
    """Reports for every hit of ``kind``; ``{sources}`` in ``template`` names the inputs."""
    for hit in context.hits(kind):
        sources = ", ".join(f"`{source}`" for source in hit.sources)
        message = template.format(sources=sources)
        if hit.runs_at:
            message += f" (run by the helper at {hit.runs_at})"
        elif hit.via:
            message += f" (through the call at {hit.via[0]})"
        yield Report(hit.module, hit.node, message)
