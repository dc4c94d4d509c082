"""Results cached by content: unchanged files, config and apismith version give the same answer.

The key hashes every file's path and content together with the configuration, the selected
rules, the apismith version and apismith's own code, so an edit to any file, a setting, an
upgrade or a change to a rule invalidates it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path

from apismith import __version__
from apismith.config import Config
from apismith.findings import Finding
from apismith.project.loader import FileProblem
from apismith.rules.base import Rule


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


def key(root: Path, sources: list[tuple[Path, str]], config: Config, rules: list[Rule]) -> str:
    """A digest of everything a review's result depends on."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{code_digest()}\0{config.fingerprint()}\0".encode())
    digest.update(",".join(rule.id for rule in rules).encode())
    for path, source in sources:
        digest.update(b"\0" + str(path.relative_to(root) if path != root else path.name).encode())
        digest.update(b"\0" + hashlib.sha1(source.encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()


def load(directory: Path, digest: str) -> tuple[list[Finding], list[FileProblem]] | None:
    """Cached findings and errors for ``digest``, or None (missing or unreadable entry)."""
    try:
        data = json.loads((directory / f"{digest}.json").read_text(encoding="utf-8"))
        findings = [Finding.from_dict(item) for item in data["findings"]]
        errors = [FileProblem(**item) for item in data["errors"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return findings, errors


def store(directory: Path, digest: str, findings: list[Finding], errors: list[FileProblem]) -> None:
    """Write an entry atomically; a cache that cannot be written is silently skipped."""
    data = {
        "findings": [f.to_dict() for f in findings],
        "errors": [
            {"path": e.path, "reason": e.reason, "line": e.line, "column": e.column} for e in errors
        ],
    }
    with contextlib.suppress(OSError):
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.json"):
            old.unlink()
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream)
        Path(temporary).replace(directory / f"{digest}.json")
