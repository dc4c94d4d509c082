"""Find the Python files of a project: .gitignore respected, tool and build folders skipped."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "build",
        "dist",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".eggs",
        "site-packages",
        ".apismith_cache",
    }
)


@dataclass(frozen=True, slots=True)
class Discovered:
    """The files to analyse and the ones that could not even be listed, with why."""

    files: list[Path]
    problems: list[tuple[Path, str]]


def _spec_for(directory: Path) -> pathspec.GitIgnoreSpec | None:
    ignore = directory / ".gitignore"
    try:
        lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def discover(root: Path, exclude: Sequence[str] = ()) -> Discovered:
    """List ``*.py`` files under ``root`` (or ``root`` itself), sorted, honouring ignores."""
    excluded = pathspec.GitIgnoreSpec.from_lines(exclude)
    if root.is_file():
        return Discovered([root], [])
    files: list[Path] = []
    problems: list[tuple[Path, str]] = []
    for path in _walk(root, root, [], excluded, problems):
        files.append(path)
    files.sort()
    return Discovered(files, problems)


def _walk(
    root: Path,
    directory: Path,
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]],
    excluded: pathspec.GitIgnoreSpec,
    problems: list[tuple[Path, str]],
) -> Iterator[Path]:
    own = _spec_for(directory)
    if own is not None:
        specs = [*specs, (directory, own)]
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as error:
        problems.append((directory, f"cannot list directory: {error.strerror}"))
        return
    for entry in entries:
        path = Path(entry.path)
        is_dir = entry.is_dir(follow_symlinks=False)
        if _ignored(root, path, is_dir, specs, excluded):
            continue
        if is_dir:
            if entry.name not in SKIPPED_DIRS and not entry.name.endswith(".egg-info"):
                yield from _walk(root, path, specs, excluded, problems)
        elif entry.name.endswith(".py"):
            yield path


def _ignored(
    root: Path,
    path: Path,
    is_dir: bool,
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]],
    excluded: pathspec.GitIgnoreSpec,
) -> bool:
    suffix = "/" if is_dir else ""
    if excluded.match_file(path.relative_to(root).as_posix() + suffix):
        return True
    verdict: bool | None = None
    for base, spec in specs:  # outermost first: as in git, a deeper .gitignore has the last word
        found = spec.check_file(path.relative_to(base).as_posix() + suffix).include
        if found is not None:
            verdict = found
    return bool(verdict)
