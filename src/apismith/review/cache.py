"""Review results cached by content, for the whole tree and for each file.

Two levels, both invalidated by the configuration, the selected rules, the apismith version
and apismith's own code:

- **Tree.** The key hashes every file's path and content, the configuration (its rule
  selectors included) and the code digest, which together fix the selected rules: an unchanged
  tree gives the whole result back without parsing anything, or even loading the rules.
- **File.** Rules whose ``scope`` is ``"file"`` find in a module only what that module and the
  project modules it imports (transitively) contain. Their findings in a module are stored
  under a key of that module's path, name and content and a digest of its import closure
  (:mod:`apismith.review.imports`). When the tree changed, every file is parsed again and the
  project-scoped rules run again, but the file-scoped rules run only on modules whose key is
  new: editing a router reruns them on that router and on the modules that import it.

Each entry is one JSON file named by its tree key, holding the result and the per-file table
of that tree; it is written to a temporary file and renamed, so concurrent runs never see half
an entry. Only the newest ``KEEP`` entries are kept. A cache that cannot be read or written is
silently skipped: the review runs uncached.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apismith import __version__
from apismith.config import Config
from apismith.findings import Finding
from apismith.project.loader import FileProblem
from apismith.rules.base import Rule

KEEP = 4  # tree entries kept: a few trees (branches, --select variants) stay warm
STALE_TEMPORARY = 3600.0  # seconds after which a leftover temporary file is removed
FORMAT = 3


@dataclass(frozen=True, slots=True)
class FileResult:
    """What the file-scoped rules report in one file, and how many findings it suppressed."""

    findings: list[Finding]
    suppressed: int = 0


@dataclass(frozen=True, slots=True)
class TreeResult:
    """A whole review's result, and the per-file results it was assembled from."""

    findings: list[Finding]
    errors: list[FileProblem]
    suppressed: int
    files: dict[str, FileResult]
    rules: tuple[str, ...] = ()  # the ids of the rules run


def default_dir(root: Path) -> Path:
    """The cache folder of a project, outside it: ``$APISMITH_CACHE_DIR`` or the user cache."""
    base = os.environ.get("APISMITH_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    home = Path(base) if base else Path.home() / ".cache"
    if not os.environ.get("APISMITH_CACHE_DIR"):
        home = home / "apismith"
    return home / hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]


@functools.cache
def code_digest() -> str:
    """A digest of apismith's own code, so that any change to a rule invalidates the cache
    (the version alone does not change between development builds)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _settings(config: Config, rules: list[Rule]) -> bytes:
    ids = ",".join(rule.id for rule in rules)
    return f"{FORMAT}\0{__version__}\0{code_digest()}\0{config.fingerprint()}\0{ids}\0".encode()


def key(root: Path, sources: list[tuple[Path, str]], config: Config) -> str:
    """A digest of everything a review's result depends on. The rules are not loaded for it:
    the configuration's selectors and apismith's code digest determine which ones run."""
    digest = hashlib.sha256(_settings(config, []))
    prefix = str(root).rstrip(os.sep) + os.sep  # cutting it off is 10x faster than relative_to
    for path, source in sources:
        text = str(path)
        name = text[len(prefix) :] if text.startswith(prefix) else _relative(root, path)
        digest.update(b"\0" + name.encode())
        digest.update(b"\0" + hashlib.sha1(source.encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()


def _relative(root: Path, path: Path) -> str:
    return str(path.relative_to(root) if path != root else path.name)


def file_keys(closures: dict[str, str], config: Config, rules: list[Rule]) -> dict[str, str]:
    """The per-file key of each module (by relative path) for the file-scoped ``rules``."""
    settings = _settings(config, rules)
    return {
        path: hashlib.sha256(settings + closure.encode()).hexdigest()
        for path, closure in closures.items()
    }


def load(directory: Path, digest: str) -> TreeResult | None:
    """The cached result of the tree whose key is ``digest``, or None."""
    path = directory / f"{digest}.json"
    data = _read(path)
    if data is None:
        return None
    try:
        result = TreeResult(
            [Finding.from_dict(item) for item in data["findings"]],
            [FileProblem(**item) for item in data["errors"]],
            int(data["suppressed"]),
            {},
            tuple(str(rule) for rule in data["rules"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used entries survive pruning
    return result


def load_files(directory: Path, wanted: Collection[str]) -> dict[str, FileResult]:
    """The per-file results the kept entries hold for the per-file keys in ``wanted``."""
    found: dict[str, FileResult] = {}
    with contextlib.suppress(OSError):
        for path in directory.glob("*.json"):
            data = _read(path)
            if data is None:
                continue
            with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                table = {
                    file_key: FileResult(
                        [Finding.from_dict(item) for item in entry["findings"]],
                        int(entry["suppressed"]),
                    )
                    for file_key, entry in data["files"].items()
                    if file_key in wanted and file_key not in found
                }
                found.update(table)
    return found


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def store(directory: Path, digest: str, result: TreeResult) -> None:
    """Write an entry atomically and prune old ones; a cache that cannot be written is
    silently skipped."""
    data = {
        "format": FORMAT,
        "findings": [f.to_dict() for f in result.findings],
        "errors": [
            {"path": e.path, "reason": e.reason, "line": e.line, "column": e.column}
            for e in result.errors
        ],
        "suppressed": result.suppressed,
        "rules": list(result.rules),
        "files": {
            file_key: {
                "findings": [f.to_dict() for f in entry.findings],
                "suppressed": entry.suppressed,
            }
            for file_key, entry in result.files.items()
        },
    }
    with contextlib.suppress(OSError):
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream)
        Path(temporary).replace(directory / f"{digest}.json")
        _prune(directory)


def _prune(directory: Path) -> None:
    """Keep the ``KEEP`` newest entries; remove temporary files a killed run left behind."""
    now = time.time()
    entries: list[tuple[float, Path]] = []
    for path in directory.iterdir():
        with contextlib.suppress(OSError):
            modified = path.stat().st_mtime
            if path.suffix == ".json":
                entries.append((modified, path))
            elif path.suffix == ".tmp" and now - modified > STALE_TEMPORARY:
                path.unlink()
    entries.sort(reverse=True)
    for _, path in entries[KEEP:]:
        with contextlib.suppress(OSError):
            path.unlink()
