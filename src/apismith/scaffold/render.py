"""Rendering a project from its answers: a pure function from answers to ``{path: text}``.

The templates are real Jinja2 files under ``templates/``: ``templates/project/**`` is rendered
once with the whole answers, ``templates/resource/**`` once per resource. Paths may hold
placeholders (``src/{{project}}/...``) and are rendered too; the ``.jinja`` suffix is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Protocol

import jinja2

TEMPLATE_SUFFIX = ".jinja"


class ResourceTemplateView(Protocol):
    """What the project templates read of a resource (the full view lives with the specs)."""

    @property
    def module(self) -> str: ...

    @property
    def class_name(self) -> str: ...

    @property
    def plural(self) -> str: ...


@dataclass(frozen=True)
class Answers:
    """What a project is rendered from: its name, the apismith version and its resources."""

    project: str
    apismith_version: str
    resources: Sequence[ResourceTemplateView] = field(default_factory=tuple)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def template_files(tree: str) -> Iterator[tuple[str, str]]:
    """Each ``(relative path, template text)`` under ``templates/<tree>``, in path order."""
    root = resources.files("apismith.scaffold").joinpath("templates", tree)

    def walk(node: Traversable, prefix: str) -> Iterator[tuple[str, str]]:
        for child in sorted(node.iterdir(), key=lambda item: item.name):
            path = f"{prefix}{child.name}"
            if child.is_dir():
                yield from walk(child, f"{path}/")
            else:
                yield path, child.read_text(encoding="utf-8")

    if root.is_dir():
        yield from walk(root, "")


def render_tree(tree: str, context: Mapping[str, object]) -> dict[str, str]:
    """Render every template of one tree with ``context``: paths and contents alike."""
    environment = _environment()
    rendered: dict[str, str] = {}
    for path, text in template_files(tree):
        target = environment.from_string(path.removesuffix(TEMPLATE_SUFFIX)).render(context)
        rendered[target] = environment.from_string(text).render(context)
    return rendered


def render_project(answers: Answers) -> dict[str, str]:
    """The whole project as ``{relative POSIX path: text}``: project files, then resources."""
    views = list(answers.resources)
    context: dict[str, object] = {
        "project": answers.project,
        "resources": views,
        "apismith_version": answers.apismith_version,
    }
    files = render_tree("project", context)
    for index, view in enumerate(views):
        files.update(render_tree("resource", {**context, "r": view, "index": index}))
    return files
