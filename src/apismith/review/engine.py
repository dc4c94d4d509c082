"""The review engine: load once, run every selected rule, turn reports into findings."""

from __future__ import annotations

import fnmatch
import gc
import os
import pickle
import re
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from apismith.config import Config
from apismith.errors import UsageError
from apismith.findings import Confidence, Finding, Fix, Severity
from apismith.project.loader import FileProblem, LoadedProject, build_project, read_files
from apismith.project.module import Module
from apismith.review import cache
from apismith.review.imports import closure_digests
from apismith.rules import select_rules
from apismith.rules.base import Report, Rule

SUPPRESSION = re.compile(r"#\s*apismith:\s*ignore\[([A-Za-z0-9_,\s-]+)\]")
Progress = Callable[[str], None]
Tagged = list[tuple[str, Finding]]  # each finding with the id of the rule that reported it
PARALLEL_FROM = 150  # modules; below this a second process costs more than it saves


@dataclass(slots=True)
class ReviewResult:
    """What a review found, what it could not analyse, and how much it looked at."""

    root: Path
    findings: list[Finding]
    errors: list[FileProblem]
    files: int
    rules: tuple[str, ...]  # the ids of the rules run
    cached: bool = False
    seconds: float = 0.0
    suppressed: int = field(default=0)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely: a review allocates millions of AST nodes that
    are never garbage, and the default thresholds spend a fifth of the time scanning them."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def review(
    path: Path,
    config: Config,
    *,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    verbose: bool = False,
) -> ReviewResult:
    """Review the project at ``path`` with ``config``."""
    with _few_collections():
        return _review(path, config, use_cache, cache_dir, progress, verbose)


def _review(
    path: Path,
    config: Config,
    use_cache: bool,
    cache_dir: Path | None,
    progress: Progress | None,
    verbose: bool,
) -> ReviewResult:
    started = time.perf_counter()
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    root = path if path.is_dir() else path.parent
    sources, read_problems = read_files(path, config.exclude)
    if progress is not None:
        progress(f"read {len(sources)} files")
    directory = (cache_dir or cache.default_dir(root)) if use_cache else None
    key = cache.key(root, sources, config)
    hit = cache.load(directory, key) if directory is not None else None
    if hit is not None:  # no rule module (nor the analyses they import) is loaded
        seconds = time.perf_counter() - started
        return ReviewResult(
            root, hit.findings, hit.errors, len(sources), hit.rules, True, seconds, hit.suppressed
        )
    rules = select_rules(config.select, config.ignore, config.extend_select)
    ids = tuple(rule.id for rule in rules)
    loaded = build_project(root, sources)
    if progress is not None:
        progress(
            f"parsed {len(loaded.project.modules)} modules, {len(loaded.routes.routes)} routes"
        )
    errors = sorted([*read_problems, *loaded.problems], key=lambda e: e.path)
    modules = {m.relpath: m for m in loaded.project.modules}
    scoped = [rule for rule in rules if rule.scope == "file"]
    keys = cache.file_keys(closure_digests(loaded.project), config, scoped)
    known = cache.load_files(directory, set(keys.values())) if directory is not None else {}
    files = {relpath: known[k] for relpath, k in keys.items() if k in known}
    fresh = set(keys) - set(files)
    workers = default_workers(len(loaded.project.modules))
    ran = _run(loaded, config, rules, progress, verbose, workers, fresh)
    per_file, rest = _split(ran, {rule.id for rule in scoped}, fresh)
    for relpath, reported in per_file.items():
        files[relpath] = cache.FileResult(*_filter(modules, config, _dedupe(reported)))
    findings, suppressed = _filter(modules, config, [*_syntax_findings(loaded), *_dedupe(rest)])
    for result in files.values():
        findings.extend(result.findings)
        suppressed += result.suppressed
    findings.sort(key=lambda f: f.sort_key)
    if directory is not None:
        stored = {keys[relpath]: result for relpath, result in files.items() if relpath in keys}
        cache.store(directory, key, cache.TreeResult(findings, errors, suppressed, stored, ids))
    seconds = time.perf_counter() - started
    return ReviewResult(root, findings, errors, len(sources), ids, False, seconds, suppressed)


def _split(
    ran: Tagged, file_ids: set[str], fresh: set[str]
) -> tuple[dict[str, list[Finding]], list[Finding]]:
    """The findings of file-scoped rules by file (every fresh file listed), and the others."""
    per_file: dict[str, list[Finding]] = {relpath: [] for relpath in fresh}
    rest: list[Finding] = []
    for rule_id, finding in ran:
        if rule_id in file_ids:
            per_file.setdefault(finding.path, []).append(finding)
        else:
            rest.append(finding)
    return per_file, rest


def default_workers(modules: int) -> int:
    """Processes to run rules in: ``$APISMITH_WORKERS``, else two cores for large projects."""
    chosen = os.environ.get("APISMITH_WORKERS", "")
    if chosen.isdigit() and int(chosen) > 0:
        return int(chosen)
    return min(os.cpu_count() or 1, 2) if modules >= PARALLEL_FROM else 1


def run_rules(
    loaded: LoadedProject,
    config: Config,
    rules: Iterable[Rule],
    progress: Progress | None = None,
    verbose: bool = False,
    workers: int = 1,
) -> list[Finding]:
    """Run rules; a rule that raises becomes an ``E900`` finding and the run goes on.

    With ``workers`` > 1 the rules that share the taint or access analysis, and the security
    rules that need no analysis at all, run in a forked copy of this process (the project model
    is shared copy-on-write, nothing is parsed twice) while the others run here: each shared
    analysis is computed in one process only, and on large projects the two halves cost about
    the same.
    """
    ran = _run(loaded, config, list(rules), progress, verbose, workers, None)
    return _dedupe([finding for _, finding in ran])


def _run(
    loaded: LoadedProject,
    config: Config,
    rules: list[Rule],
    progress: Progress | None,
    verbose: bool,
    workers: int,
    fresh: set[str] | None,
) -> Tagged:
    """Run ``rules``, file-scoped ones only on the modules in ``fresh`` (all when None)."""
    if workers > 1 and hasattr(os, "fork"):
        shared = [rule for rule in rules if _forks(rule)]
        others = [rule for rule in rules if not _forks(rule)]
        if shared and others:
            return _forked(loaded, config, shared, others, verbose, fresh)
    return _serial(loaded, config, rules, progress, verbose, fresh)


def _forks(rule: Rule) -> bool:
    """Whether a rule runs in the forked half (see :func:`run_rules`)."""
    return rule.shares is not None or (rule.family == "security" and rule.scope == "file")


def _forked(
    loaded: LoadedProject,
    config: Config,
    theirs: list[Rule],
    ours: list[Rule],
    verbose: bool,
    fresh: set[str] | None,
) -> Tagged:
    """Run ``theirs`` in a child process and ``ours`` here; fall back to serial on failure."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which coverage does not follow
        os.close(reader)
        with os.fdopen(writer, "wb") as stream:
            pickle.dump(_serial(loaded, config, theirs, None, verbose, fresh), stream)
        os._exit(0)
    os.close(writer)
    found = _serial(loaded, config, ours, None, verbose, fresh)
    with os.fdopen(reader, "rb") as stream:
        data = stream.read()
    _, status = os.waitpid(pid, 0)
    try:
        child: Tagged = pickle.loads(data) if status == 0 else []
    except (pickle.UnpicklingError, EOFError):
        child = []
    if status != 0 or not isinstance(child, list):
        child = _serial(loaded, config, theirs, None, verbose, fresh)
    return [*child, *found]


def _serial(
    loaded: LoadedProject,
    config: Config,
    rules: list[Rule],
    progress: Progress | None,
    verbose: bool,
    fresh: set[str] | None,
) -> Tagged:
    from apismith.rules.context import Context  # the analyses: not needed on a cache hit

    context = Context(loaded, config)
    modules = [m for m in loaded.project.modules if not m.is_test]
    findings: Tagged = []
    for rule in rules:
        try:
            for report in rule.check_project(context):
                findings.append((rule.id, to_finding(rule, report)))
        except Exception as error:
            findings.append((rule.id, _crash(rule, None, error, verbose)))
        for module in modules:
            if not rule.applies(module) or (
                fresh is not None and rule.scope == "file" and module.relpath not in fresh
            ):
                continue
            try:
                for report in rule.check_module(module, context):
                    findings.append((rule.id, to_finding(rule, report)))
            except Exception as error:
                findings.append((rule.id, _crash(rule, module.relpath, error, verbose)))
        if progress is not None:
            progress(f"ran {rule.id}")
    return findings


def to_finding(rule: Rule, report: Report) -> Finding:
    """A rule's report with the rule's metadata, position and excerpt filled in."""
    node = report.node
    line = getattr(node, "lineno", 1)
    end_line = getattr(node, "end_lineno", None) or line
    column = getattr(node, "col_offset", 0) + 1
    end_column = (getattr(node, "end_col_offset", None) or column - 1) + 1
    excerpt = "\n".join(report.module.line(n) for n in range(line, min(end_line, line + 2) + 1))
    return Finding(
        rule=rule.id,
        name=rule.name,
        family=rule.family,
        severity=report.severity or rule.severity,
        confidence=report.confidence or rule.confidence,
        cwe=rule.cwe,
        path=report.module.relpath,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        message=report.message,
        fix=Fix(report.fix or rule.fix_title, rule.fix_applicability),
        excerpt=excerpt,
    )


def _crash(rule: Rule, path: str | None, error: Exception, verbose: bool) -> Finding:
    detail = (
        "".join(traceback.format_exception(error))
        if verbose
        else f"{type(error).__name__}: {error}"
    )
    return Finding(
        rule="E900",
        name="rule-crashed",
        family="error",
        severity=Severity.INFO,
        confidence=Confidence.HIGH,
        cwe=None,
        path=path or ".",
        line=1,
        column=1,
        end_line=1,
        end_column=1,
        message=f"rule {rule.id} ({rule.name}) crashed: {detail}",
        fix=Fix("Report this to the apismith maintainers with the file that triggers it."),
    )


def _syntax_findings(loaded: LoadedProject) -> list[Finding]:
    found: list[Finding] = []
    for problem in loaded.problems:
        line = problem.line or 1
        found.append(
            Finding(
                rule="E001",
                name="syntax-error",
                family="error",
                severity=Severity.HIGH,
                confidence=Confidence.HIGH,
                cwe=None,
                path=problem.path,
                line=line,
                column=problem.column or 1,
                end_line=line,
                end_column=problem.column or 1,
                message=f"cannot analyse {problem.path}: {problem.reason}",
                fix=Fix("Fix the syntax error; the file was skipped."),
            )
        )
    return found


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, str]] = set()
    unique: list[Finding] = []
    for finding in findings:
        key = (finding.rule, finding.path, finding.line, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def _filter(
    modules: dict[str, Module], config: Config, findings: list[Finding]
) -> tuple[list[Finding], int]:
    """Findings above the minimum severity, not ignored for their file nor suppressed on their
    line, and how many were suppressed."""
    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        if finding.severity < config.min_severity and finding.family != "error":
            continue
        if _ignored_for_file(config, finding):
            continue
        module = modules.get(finding.path)
        if module is not None and _suppressed(module.line(finding.line), finding.rule):
            suppressed += 1
            continue
        kept.append(finding)
    return kept, suppressed


def _ignored_for_file(config: Config, finding: Finding) -> bool:
    for pattern, selectors in config.per_file_ignores.items():
        if fnmatch.fnmatch(finding.path, pattern) and any(
            finding.rule.startswith(s.upper()) or s.lower() == finding.family for s in selectors
        ):
            return True
    return False


def _suppressed(line: str, rule: str) -> bool:
    match = SUPPRESSION.search(line)
    if match is None:
        return False
    return any(rule == item.strip().upper() for item in match.group(1).split(","))
