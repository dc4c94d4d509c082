"""Load a project from disk: discover, read, parse and index every file, once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from apismith.errors import SourceError
from apismith.project.classes import ClassCatalog
from apismith.project.discovery import discover
from apismith.project.module import Module, build_index, collect_bindings, is_test_path
from apismith.project.project import Project, module_names
from apismith.project.routes import RouteModel
from apismith.project.source import parse_python, read_source


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that could not be analysed, and why (``line`` for syntax errors)."""

    path: str
    reason: str
    line: int | None = None
    column: int | None = None


@dataclass(slots=True)
class LoadedProject:
    """A project with its models built, and the files that could not be loaded."""

    project: Project
    classes: ClassCatalog
    routes: RouteModel
    problems: list[FileProblem] = field(default_factory=list)


def relative(root: Path, path: Path) -> str:
    """``path`` relative to ``root``, ``/``-separated (the file name alone for a single file)."""
    try:
        return path.relative_to(root).as_posix() if path != root else path.name
    except ValueError:
        return path.as_posix()


def load_module(
    root: Path, path: Path, source: str, packages: dict[Path, tuple[str, ...]] | None = None
) -> Module:
    """Parse and index one file; raises :class:`SourceError` when it cannot be parsed.

    ``packages`` keeps the package chains of the folders seen, for the project's other files.
    """
    relpath = relative(root, path)
    tree = parse_python(source, relpath)
    names = module_names(root, path, packages)
    module = Module(
        path=path,
        relpath=relpath,
        name=names[0] if names else path.stem,
        source=source,
        tree=tree,
        is_package=path.name == "__init__.py",
        is_test=is_test_path(relpath),
        aliases=tuple(names[1:]),
        index=build_index(tree),
    )
    collect_bindings(module)
    return module


def read_files(
    root: Path, exclude: tuple[str, ...] = ()
) -> tuple[list[tuple[Path, str]], list[FileProblem]]:
    """Discover and read every Python file under ``root``; unreadable ones become problems."""
    base = root if root.is_dir() else root.parent
    found = discover(root, exclude)
    problems = [FileProblem(relative(base, p), reason) for p, reason in found.problems]
    sources: list[tuple[Path, str]] = []
    for path in found.files:
        try:
            sources.append((path, read_source(path)))
        except SourceError as error:
            problems.append(FileProblem(relative(base, path), error.reason))
    return sources, problems


def build_project(base: Path, sources: list[tuple[Path, str]]) -> LoadedProject:
    """Parse, index and model already-read sources; files that do not parse become problems."""
    modules: list[Module] = []
    problems: list[FileProblem] = []
    packages: dict[Path, tuple[str, ...]] = {}
    for path, source in sources:
        try:
            modules.append(load_module(base, path, source, packages))
        except SourceError as error:
            problems.append(
                FileProblem(relative(base, path), error.reason, error.line, error.column)
            )
        except (RecursionError, MemoryError, ValueError) as error:
            reason = f"cannot be parsed: {type(error).__name__}"
            problems.append(FileProblem(relative(base, path), reason))
    project = Project(base, modules)
    classes = ClassCatalog(project)
    return LoadedProject(project, classes, RouteModel(project, classes), problems)


def load_project(root: Path, exclude: tuple[str, ...] = ()) -> LoadedProject:
    """Read and model every Python file under ``root``."""
    sources, problems = read_files(root, exclude)
    loaded = build_project(root if root.is_dir() else root.parent, sources)
    loaded.problems[:0] = problems
    return loaded
