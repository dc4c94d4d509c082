"""What a rule is: fixed metadata, documentation in its module docstring, and a check."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar, Literal

from apismith.findings import Applicability, Confidence, Severity
from apismith.project.module import Module

if TYPE_CHECKING:
    from apismith.rules.context import Context

FAMILIES = ("security", "performance", "correctness", "maintainability", "testing")


@dataclass(frozen=True, slots=True)
class Report:
    """A rule's raw result: where, what, and optionally a per-finding remedy or rating."""

    module: Module
    node: ast.AST
    message: str
    fix: str | None = None
    severity: Severity | None = None
    confidence: Confidence | None = None


class Rule:
    """Base class of every rule. Subclasses set the class variables and override one check.

    ``check_module`` runs once per non-test module (the engine skips modules for which
    ``applies`` is false); ``check_project`` runs once for the whole project.

    ``scope`` says what a rule's findings in a module depend on: ``"file"`` when only on that
    module and the project modules it imports (its findings are cached per file), ``"project"``
    (the default) when on anything else: routes, dependencies, callers, taint summaries.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    family: ClassVar[str]
    severity: ClassVar[Severity]
    confidence: ClassVar[Confidence]
    cwe: ClassVar[int | None] = None
    fix_title: ClassVar[str]
    fix_applicability: ClassVar[Applicability] = Applicability.DISPLAY
    requires: ClassVar[tuple[str, ...]] = ("fastapi",)
    scope: ClassVar[Literal["file", "project"]] = "project"
    # The costly project analysis the rule reads with others ("taint", "access", "blocking"),
    # or None: rules that share one run as one task, in one process, when a review runs in
    # several.
    shares: ClassVar[str | None] = None
    doc: ClassVar[str] = ""

    def applies(self, module: Module) -> bool:
        """Cheap guard: whether the module imports what this rule is about."""
        return not self.requires or module.imports_any(*self.requires)

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        """Findings in one module."""
        return ()

    def check_project(self, context: Context) -> Iterable[Report]:
        """Findings that need the whole project (routes, tests)."""
        return ()

    @cached_property
    def sections(self) -> dict[str, str]:
        """The documentation split by its headings (``## What it does`` ...)."""
        return split_sections(self.doc)


DOC_SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Known problems",
    "Example",
    "Use instead",
    "Fix safety",
    "References",
)


def split_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into its ``## Heading`` sections."""
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in doc.splitlines():
        if line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = line[3:].strip(), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    return sections


def code_block(section: str) -> str:
    """The Python code of the first fenced block of a documentation section."""
    inside = False
    code: list[str] = []
    for line in section.splitlines():
        if line.strip().startswith("```"):
            if inside:
                break
            inside = True
        elif inside:
            code.append(line)
    return "\n".join(code) + "\n"
