"""Which project functions some call of the project runs, asked one function at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from apismith.analysis.blocking import BlockingCalls
from apismith.analysis.reach import Callers
from apismith.project.loader import load_project
from apismith.project.module import Function

Tree = Callable[[dict[str, str]], Path]

FILES = {
    "jobs/__init__.py": "from jobs.tokens import rotate as renew\n",
    "jobs/tokens.py": """
class Base:
    def __init__(self, key):
        self.key = key

    def check(self, other):
        return self.key == other

    def unused(self):
        return None


class Signer(Base):
    pass


class Lonely:
    def __init__(self):
        self.value = 1


def rotate():
    return Signer("k").check("x")


def forgotten():
    return None
""",
    "jobs/worker.py": """
import jobs

def nightly():
    jobs.renew()
""",
}


def _functions(tree: Tree) -> tuple[Callers, dict[str, Function]]:
    project = load_project(tree(FILES)).project
    module = project.by_name["jobs.tokens"]
    found: dict[str, Function] = {}
    for function in module.index.functions:
        klass = module.index.method_class.get(id(function))
        found[f"{klass.name}.{function.name}" if klass else function.name] = function
    return Callers(BlockingCalls(project)), found


def test_calls_by_name_alias_method_and_inherited_constructor(tree: Tree) -> None:
    callers, functions = _functions(tree)
    assert callers.calls(functions["rotate"])  # called as ``jobs.renew()``, a re-exported alias
    assert callers.calls(functions["Base.check"])  # a method, through a constructed object
    assert callers.calls(functions["Base.__init__"])  # run by ``Signer(...)``, inherited
    assert not callers.calls(functions["Lonely.__init__"])
    assert not callers.calls(functions["Base.unused"])
    assert not callers.calls(functions["forgotten"])
