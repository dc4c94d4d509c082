"""``apismith profile``: how a running FastAPI app spends its time, per operation."""

from __future__ import annotations

from apismith.profile.result import Options, ProfileResult
from apismith.profile.run import profile
from apismith.profile.target import Target, TargetError, load_target

__all__ = ["Options", "ProfileResult", "Target", "TargetError", "load_target", "profile"]
