"""
## What it does
Finds defaults that call a clock, an id or a random generator once, when the class or function
is defined, where a fresh value per object or per call is meant:
`created_at: datetime = datetime.utcnow()` on a pydantic model or dataclass,
`Field(default=uuid4())`, `Column(default=datetime.now())` / `mapped_column(default=...)`
(the function called instead of passed), and `def handler(since=datetime.now())`.

## Why is this bad?
The expression runs once, at import. Every object created afterwards gets the same timestamp or
"unique" id: all rows share one `created_at`, generated ids collide on the primary key, and
"the last 24 hours" is measured from the moment the worker started.

## Known problems
Only the usual time, uuid, random and `secrets` functions are recognised. Settings classes
(`BaseSettings`, classes named `...Settings` or `...Config`) and parameters of command-line
tools are skipped: a value generated once per process is what they usually mean.

## Example
```python
from datetime import datetime

from pydantic import BaseModel


class Event(BaseModel):
    name: str
    created_at: datetime = datetime.now()
```

## Use instead
```python
from datetime import datetime

from pydantic import BaseModel, Field


class Event(BaseModel):
    name: str
    created_at: datetime = Field(default_factory=datetime.now)
```

## Fix safety
Passing the function (`default_factory=datetime.now`, `default=datetime.now`) instead of its
result is safe unless code relies on all objects sharing one value.

## References
- https://docs.pydantic.dev/latest/concepts/fields/#default-values
- https://docs.sqlalchemy.org/en/20/core/defaults.html#python-executed-functions
- https://docs.astral.sh/ruff/rules/function-call-in-default-argument/
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from apismith.findings import Confidence, Severity
from apismith.project.module import Module, parameter_defaults
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

_VOLATILE = """
    datetime.datetime.now datetime.datetime.utcnow datetime.datetime.today
    datetime.date.today time.time time.time_ns time.monotonic time.perf_counter
    time.localtime time.gmtime uuid.uuid1 uuid.uuid4 uuid.uuid6 uuid.uuid7 uuid6.uuid7
    ulid.new ulid.ULID random.random random.randint random.choice random.uniform
    random.getrandbits secrets.token_hex secrets.token_urlsafe secrets.token_bytes
    secrets.randbelow secrets.choice os.urandom arrow.now arrow.utcnow pendulum.now
    pendulum.today django.utils.timezone.now bson.ObjectId bson.objectid.ObjectId
"""
VOLATILE = frozenset(_VOLATILE.split())
FIELD_CALLS = frozenset(
    {
        "pydantic.Field",
        "pydantic.fields.Field",
        "sqlmodel.Field",
        "dataclasses.field",
        "attr.ib",
        "attrs.field",
        "attr.field",
    }
)
COLUMN_CALLS = frozenset(
    {
        "sqlalchemy.Column",
        "sqlalchemy.schema.Column",
        "sqlalchemy.orm.mapped_column",
        "sqlalchemy.orm.column_property",
        "sqlmodel.Column",
    }
)
DEFAULT_KEYWORDS = frozenset({"default", "onupdate", "insert_default"})
DATACLASS_DECORATORS = frozenset(
    {
        "dataclasses.dataclass",
        "pydantic.dataclasses.dataclass",
        "attr.s",
        "attr.attrs",
        "attr.define",
        "attr.frozen",
        "attrs.define",
        "attrs.frozen",
    }
)


CLI_LIBRARIES = ("typer", "click", "argparse", "fire")
SETTINGS_NAMES = ("Settings", "Config", "Configuration")


class DefaultEvaluatedOnce(Rule):
    id = "COR007"
    name = "default-evaluated-once"
    family = "correctness"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    fix_title = "Pass the function (`default_factory=datetime.now`), not its result."
    requires = ()
    scope = "file"

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        for node in module.index.classes:
            if _is_model(context, module, node):
                for name, value in _fields(node):
                    yield from self._default(context, module, node.name, name, value)
        for call, _ in module.index.calls:
            defaults = [k.value for k in call.keywords if k.arg in DEFAULT_KEYWORDS]
            if defaults and context.project.resolve(module, call.func) in COLUMN_CALLS:
                for default in defaults:
                    yield from self._volatile(context, module, default, "column default")
        if module.imports_any(*CLI_LIBRARIES):
            return  # a command-line tool's import is its invocation
        for function in module.index.functions:
            for argument, default in parameter_defaults(function):
                if not _is_marker(context, module, default):
                    owner = f"parameter `{argument.arg}` of `{function.name}`"
                    yield from self._volatile(context, module, default, owner)

    def _default(
        self, context: Context, module: Module, model: str, name: str, value: ast.expr
    ) -> Iterator[Report]:
        owner = f"`{model}.{name}`"
        if isinstance(value, ast.Call):
            callee = context.project.resolve(module, value.func)
            if callee in FIELD_CALLS:
                default = next((k.value for k in value.keywords if k.arg == "default"), None)
                if default is None and value.args and callee != "dataclasses.field":
                    default = value.args[0]
                if default is not None:
                    yield from self._volatile(context, module, default, owner)
                return
            if callee in COLUMN_CALLS:
                return  # its keywords are checked with every other column call
        yield from self._volatile(context, module, value, owner)

    def _volatile(
        self, context: Context, module: Module, value: ast.expr, owner: str
    ) -> Iterator[Report]:
        for call in _calls(value):
            name = context.project.resolve(module, call.func)
            if name in VOLATILE:
                yield Report(
                    module,
                    call,
                    f"{owner} defaults to `{ast.unparse(call)}`, evaluated once at import: "
                    "every object and call shares that value",
                )
                return


def _calls(node: ast.expr) -> Iterator[ast.Call]:
    """Calls made when the expression is evaluated (not inside lambdas or comprehensions)."""
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Lambda | ast.ListComp | ast.DictComp | ast.SetComp):
            continue
        if isinstance(current, ast.Call):
            yield current
        stack.extend(ast.iter_child_nodes(current))


def _is_marker(context: Context, module: Module, node: ast.expr) -> bool:
    """Whether a parameter default is a FastAPI or pydantic marker (``Query()``, ``Field()``)."""
    if not isinstance(node, ast.Call):
        return False
    callee = context.project.resolve(module, node.func) or ""
    return callee.startswith("fastapi.") or callee in FIELD_CALLS


def _is_model(context: Context, module: Module, node: ast.ClassDef) -> bool:
    info = context.classes.get(f"{module.name}.{node.name}")
    if node.name.endswith(SETTINGS_NAMES):
        return False
    if info is not None:
        return info.kind != "settings"
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if context.project.resolve(module, target) in DATACLASS_DECORATORS:
            return True
    return False


def _fields(node: ast.ClassDef) -> Iterator[tuple[str, ast.expr]]:
    for statement in node.body:
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.value is not None
        ):
            if not _is_classvar(statement.annotation):
                yield statement.target.id, statement.value
        elif (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and not statement.targets[0].id.startswith("_")
        ):
            yield statement.targets[0].id, statement.value


def _is_classvar(annotation: ast.expr) -> bool:
    text = ast.unparse(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar", "Final", "typing.Final"))
