"""Writing a new project: ``apismith new project NAME``.

The name is checked before anything is written; the files are the pristine render of the
answers, and ``.apismith/`` records the answers and that render so later additions and updates
can merge three ways.
"""

from __future__ import annotations

import json
import keyword
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from apismith import __version__
from apismith.errors import UsageError
from apismith.scaffold.render import Answers, render_project

ANSWERS_FILE = ".apismith/answers.json"
BASE_FILE = ".apismith/base.json"
EXECUTABLE_DIRS = ("scripts/",)

_PACKAGE_NAME = re.compile(r"[a-z][a-z0-9_]*")
# Longer names would push generated lines past the 100 columns the project's ruff allows.
MAX_NAME_LENGTH = 40
# Top-level names the generated project imports, which a package of the same name would shadow.
_TAKEN = frozenset(
    {
        "alembic",
        "app",
        "argon2",
        "asyncpg",
        "email_validator",
        "fastapi",
        "httpx",
        "hypothesis",
        "jwt",
        "migrations",
        "pydantic",
        "pydantic_settings",
        "pytest",
        "redis",
        "sqlalchemy",
        "starlette",
        "structlog",
        "tests",
        "uvicorn",
    }
)


@dataclass(frozen=True)
class NewProject:
    """What ``new project`` wrote: the directory and how many files."""

    root: Path
    files: int


def check_project_name(name: str) -> None:
    """Refuse a name that cannot be the project's Python package, saying why."""
    if not _PACKAGE_NAME.fullmatch(name):
        raise UsageError(
            f"invalid project name {name!r}: it names the Python package, so use lower-case"
            " letters, digits and underscores, starting with a letter (such as billing_api)"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(
            f"invalid project name {name!r}: at most {MAX_NAME_LENGTH} characters, please"
        )
    if name.endswith("_"):
        raise UsageError(f"invalid project name {name!r}: it must not end with an underscore")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise UsageError(f"invalid project name {name!r}: it is a Python keyword")
    if name in sys.stdlib_module_names or name in _TAKEN:
        raise UsageError(
            f"invalid project name {name!r}: it would shadow the module {name!r}"
            " the project imports; choose another name"
        )


def write_atomic(path: Path, text: str, executable: bool = False) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        mode = 0o755 if executable else 0o644
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_files(root: Path, files: Mapping[str, str]) -> None:
    """Write rendered files under ``root``; scripts are made executable."""
    for relative, text in files.items():
        write_atomic(root / relative, text, executable=relative.startswith(EXECUTABLE_DIRS))


def record(root: Path, answers: Answers, pristine: Mapping[str, str]) -> None:
    """Record the answers and the pristine render under ``.apismith/``."""
    data = {
        "apismith_version": answers.apismith_version,
        "project": answers.project,
        "resources": [],
    }
    write_atomic(root / ANSWERS_FILE, json.dumps(data, indent=2) + "\n")
    write_atomic(root / BASE_FILE, json.dumps(dict(pristine), indent=1, sort_keys=True) + "\n")


def new_project(name: str, parent: Path, force: bool = False) -> NewProject:
    """Generate project ``name`` in ``parent/name``; refuse a non-empty directory unless forced."""
    check_project_name(name)
    root = parent / name
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: exists and is not a directory")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise UsageError(f"{root}: directory is not empty (use --force to write into it)")
    answers = Answers(project=name, apismith_version=__version__)
    files = render_project(answers)
    try:
        write_files(root, files)
        record(root, answers, files)
    except OSError as error:
        where = error.filename or root
        raise UsageError(f"{where}: cannot write: {error.strerror or error}") from None
    return NewProject(root=root, files=len(files))
