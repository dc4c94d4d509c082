"""``apismith profile``: how a running FastAPI app spends its time, per operation."""

from __future__ import annotations

from apismith.profile.result import Options, ProfileResult
from apismith.profile.run import profile

__all__ = ["Options", "ProfileResult", "profile"]
