"""The review engine: load once, run every selected rule, turn reports into findings."""

from __future__ import annotations

import fnmatch
import gc
import os
import pickle
import re
import struct
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from apismith.config import Config
from apismith.errors import UsageError
from apismith.findings import Confidence, Finding, Fix, Severity
from apismith.project.loader import FileProblem, LoadedProject, build_project, read_files
from apismith.project.module import Module
from apismith.review import cache
from apismith.review.imports import closure_digests
from apismith.rules import select_rules
from apismith.rules.base import Report, Rule

if TYPE_CHECKING:
    from apismith.rules.context import Context

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
def _no_collections() -> Iterator[None]:
    """Pause the cyclic garbage collector: a review allocates millions of AST nodes that are
    never garbage and makes almost no cycles (a few MB on a large project), and scanning those
    nodes would cost a tenth of the time spent building the model.

    Everything allocated meanwhile is still in the youngest generation when the collector is
    resumed, and its first collection would scan it all (0.2 s on a large project): freezing
    and unfreezing moves it to the oldest generation without a scan, where the next full
    collection finds what became garbage. Not when the caller froze objects of its own, which
    unfreezing would release.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


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
    with _no_collections():
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
    keys: dict[str, str] = {}  # per-file cache keys, by relative path
    files: dict[str, cache.FileResult] = {}  # the results the cache holds
    if directory is not None:
        keys = cache.file_keys(closure_digests(loaded.project), config, scoped)
        known = cache.load_files(directory, set(keys.values()))
        files = {relpath: known[k] for relpath, k in keys.items() if k in known}
    fresh = set(modules) - set(files)
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

    With ``workers`` > 1 the rules run in that many processes, forked from this one (the
    project model is shared copy-on-write, nothing is parsed twice). The rules that share a
    costly analysis (``Rule.shares``) form one task, so that it is computed in one process;
    every other rule is a task of its own. Each process takes the next task when it is done
    with one, so the processes finish together whatever each task costs on this project.
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
    from apismith.rules.context import Context  # the analyses: not needed on a cache hit

    tasks = _tasks(rules)
    if workers > 1 and len(tasks) > 1 and hasattr(os, "fork"):
        contexts = partial(Context, loaded, config)
        return _forked(contexts, tasks, min(workers, len(tasks)), verbose, fresh)
    return _serial(Context(loaded, config), rules, progress, verbose, fresh)


def _tasks(rules: list[Rule]) -> list[list[Rule]]:
    """Rules in units of work: those that share an analysis together, the largest groups first,
    then every other rule alone, so that the last tasks handed out are the small ones."""
    groups: dict[str, list[Rule]] = {}
    alone: list[list[Rule]] = []
    for rule in rules:
        if rule.shares is None:
            alone.append([rule])
        else:
            groups.setdefault(rule.shares, []).append(rule)
    return [*sorted(groups.values(), key=len, reverse=True), *alone]


def _forked(
    contexts: Callable[[], Context],
    tasks: list[list[Rule]],
    workers: int,
    verbose: bool,
    fresh: set[str] | None,
) -> Tagged:
    """Run ``tasks`` in this process and ``workers - 1`` forked ones, which take them from a
    shared queue: a pipe holding one fixed-size record per task, which the kernel hands to
    one reader each. A child that fails has its tasks run again here."""
    queue_out, queue_in = os.pipe()
    os.write(queue_in, b"".join(_TASK.pack(number) for number in range(len(tasks))))
    os.close(queue_in)
    children: list[tuple[int, int]] = []
    for _ in range(workers - 1):
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which coverage does not follow
            code = 1  # whatever happens, the child never returns into its parent's code
            try:
                os.close(reader)
                done = _take(queue_out, contexts(), tasks, verbose, fresh)
                with os.fdopen(writer, "wb") as stream:
                    pickle.dump(done, stream)
                code = 0
            finally:
                os._exit(code)
        os.close(writer)
        children.append((pid, reader))
    context = contexts()  # one per process: its tasks share its analyses
    done = _take(queue_out, context, tasks, verbose, fresh)
    os.close(queue_out)
    for pid, reader in children:
        done.update(_collect(pid, reader))
    for number, task in enumerate(tasks):
        if number not in done:  # a child failed: its tasks are run here
            done[number] = _serial(context, task, None, verbose, fresh)
    return [tagged for number in range(len(tasks)) for tagged in done[number]]


_TASK = struct.Struct("<H")


def _take(
    queue: int,
    context: Context,
    tasks: list[list[Rule]],
    verbose: bool,
    fresh: set[str] | None,
) -> dict[int, Tagged]:
    """Run tasks taken from ``queue`` until it is empty; their findings by task number."""
    done: dict[int, Tagged] = {}
    while len(record := os.read(queue, _TASK.size)) == _TASK.size:
        (number,) = _TASK.unpack(record)
        done[number] = _serial(context, tasks[number], None, verbose, fresh)
    return done


def _collect(pid: int, reader: int) -> dict[int, Tagged]:
    """What a child ran, or nothing when it failed."""
    with os.fdopen(reader, "rb") as stream:
        data = stream.read()
    _, status = os.waitpid(pid, 0)
    done: dict[int, Tagged] = pickle.loads(data) if status == 0 else {}
    return done


def _serial(
    context: Context,
    rules: list[Rule],
    progress: Progress | None,
    verbose: bool,
    fresh: set[str] | None,
) -> Tagged:
    """Run ``rules`` one after the other on ``context``, whose analyses they share."""
    modules = [m for m in context.project.modules if not m.is_test]
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
