"""Command-line values converted without pydantic where the result is certain.

Typer converts every value but a flag's through a pydantic ``TypeAdapter`` that it builds when
the parameter is first processed: loading pydantic and building the adapters costs about 60 ms,
a third of a cached review. :class:`Command` puts a cheap converter in front of each parameter
for the shapes apismith's commands use (text, paths with no checks asked, enum choices, lists
of text). Any other value, and any value Typer might refuse, goes to Typer's own conversion, so
what a command receives and every error message stay Typer's.

The converter sits where Typer keeps its own, lazily built one (``_runtime_param``). A Typer
without that slot (older ones convert through click's types) is left alone: nothing to skip.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin

from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Context, Parameter
    from typer.models import ParameterInfo

UNSURE = object()


class Command(TyperCommand):
    """A Typer command whose parameters convert common values without loading pydantic."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        quicken(self.get_params(ctx))
        return super().parse_args(ctx, args)


class Group(TyperGroup):
    """A Typer group whose own options convert common values without loading pydantic."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        quicken(self.get_params(ctx))
        return super().parse_args(ctx, args)


def quicken(params: list[Parameter]) -> None:
    """Put a :class:`Quick` converter on each parameter whose Typer converter is not built."""
    for param in params:
        typed: Any = param
        if getattr(typed, "_runtime_param", False) is None and hasattr(typed, "type_descriptor"):
            typed._runtime_param = Quick(typed.type_descriptor)


class Quick:
    """Converts the values :func:`certain` knows; hands the parameter to Typer at the first
    value it does not."""

    def __init__(self, descriptor: Any) -> None:
        self.annotation: Any = descriptor.annotation
        self.info: ParameterInfo = descriptor.parameter_info

    def coerce(self, value: Any, param: Any, ctx: Context) -> Any:
        """What Typer's ``coerce`` returns for ``value``."""
        if value is None:  # an option not given: as Typer, no value or no values
            return () if param.multiple or param.nargs == -1 else None
        converted = certain(self.annotation, self.info, value, ctx)
        if converted is not UNSURE:
            return converted
        param._runtime_param = None
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


def certain(annotation: Any, info: ParameterInfo, value: Any, ctx: Context) -> Any:
    """What Typer would make of ``value``, or ``UNSURE``."""
    if info.parser is not None:
        return UNSURE
    if annotation is str:
        return value if type(value) is str else UNSURE
    if get_origin(annotation) is list and get_args(annotation) == (str,):
        if isinstance(value, list | tuple) and all(type(item) is str for item in value):
            return list(value)
        return UNSURE
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _choice(annotation, info, value, ctx)
    if annotation is Path:
        return _path(info, value)
    return UNSURE


def _choice(enum: type[Enum], info: ParameterInfo, value: Any, ctx: Context) -> Any:
    """The member whose value is ``value`` exactly (the default is a member already)."""
    if isinstance(value, enum):
        return value
    if type(value) is not str or not info.case_sensitive or ctx.token_normalize_func:
        return UNSURE
    return next((member for member in enum if str(member.value) == value), UNSURE)


def _path(info: ParameterInfo, value: Any) -> Any:
    """A path, when the parameter asks for no check that could refuse it."""
    checks = (
        info.path_type is not None
        or info.exists
        or info.resolve_path
        or info.writable
        or not info.file_okay
        or not info.dir_okay
        or (info.allow_dash and value == "-")
    )
    if checks:
        return UNSURE
    if isinstance(value, Path):
        path = value
    elif type(value) is str and value and "\0" not in value:
        path = Path(value)
    else:
        return UNSURE
    try:
        path.stat()  # as Typer: a path it cannot stat is taken as it is
    except OSError:
        return path
    return UNSURE if info.readable and not os.access(path, os.R_OK) else path
