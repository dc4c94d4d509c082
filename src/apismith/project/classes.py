"""Pydantic and SQLAlchemy classes of the project: their fields and relationships."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from apismith.project.module import Module
from apismith.project.project import Project

PYDANTIC_BASES = frozenset(
    {"pydantic.BaseModel", "pydantic.main.BaseModel", "sqlmodel.SQLModel", "ninja.Schema"}
)
SETTINGS_BASES = frozenset({"pydantic_settings.BaseSettings", "pydantic.BaseSettings"})
DECLARATIVE_BASES = frozenset(
    {
        "sqlalchemy.orm.DeclarativeBase",
        "sqlalchemy.orm.DeclarativeBaseNoMeta",
        "sqlalchemy.orm.decl_api.DeclarativeBase",
    }
)
DECLARATIVE_FACTORIES = frozenset(
    {
        "sqlalchemy.orm.declarative_base",
        "sqlalchemy.ext.declarative.declarative_base",
        "sqlalchemy.orm.registry.generate_base",
    }
)
RELATIONSHIP_CALLS = frozenset({"sqlalchemy.orm.relationship", "sqlmodel.Relationship"})


@dataclass(slots=True)
class ClassInfo:
    """A pydantic model or ORM model: its fields by name, relationships with their loading."""

    qualname: str
    module: Module
    node: ast.ClassDef
    kind: str  # "pydantic", "settings" or "orm"
    fields: dict[str, ast.stmt] = field(default_factory=dict)
    relationships: dict[str, str | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The class name as written."""
        return self.node.name


class ClassCatalog:
    """Finds the project's pydantic and ORM classes, following bases across modules."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.classes: dict[str, ClassInfo] = {}
        self._kinds: dict[str, str | None] = {}
        for module in project.modules:
            for node in module.index.classes:
                qualname = f"{module.name}.{node.name}"
                kind = self._kind(module, node, 0)
                if kind is not None:
                    self.classes[qualname] = _describe(project, module, node, qualname, kind)

    def get(self, qualname: str | None) -> ClassInfo | None:
        """The class a qualified name denotes, if it is a model the catalog knows."""
        if qualname is None:
            return None
        return self.classes.get(qualname) or self.classes.get(self.project.canonical(qualname))

    def _kind(self, module: Module, node: ast.ClassDef, depth: int) -> str | None:
        key = f"{module.name}.{node.name}"
        if key in self._kinds:
            return self._kinds[key]
        self._kinds[key] = None
        kind: str | None = None
        for base in node.bases:
            kind = self._base_kind(module, base, node, depth)
            if kind is not None:
                break
        self._kinds[key] = kind
        return kind

    def _base_kind(
        self, module: Module, base: ast.expr, node: ast.ClassDef, depth: int
    ) -> str | None:
        name = self.project.resolve(module, base)
        if name is None or depth > 20:
            return None
        if name in SETTINGS_BASES:
            return "settings"
        if name == "sqlmodel.SQLModel":
            table = any(
                k.arg == "table" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
            return "orm" if table else "pydantic"
        if name in PYDANTIC_BASES:
            return "pydantic"
        if name in DECLARATIVE_BASES:
            return "orm"
        found = self.project.lookup(name)
        if found is None:
            return None
        owner, definition = found
        if isinstance(definition, ast.ClassDef):
            inherited = self._kind(owner, definition, depth + 1)
            if inherited == "pydantic" and _is_table(node):
                return "orm"
            return inherited
        if isinstance(definition, ast.Call):
            factory = self.project.resolve(owner, definition.func)
            if factory in DECLARATIVE_FACTORIES:
                return "orm"
        if isinstance(definition, ast.Name | ast.Attribute):  # ``Model = Base``
            return self._base_kind(owner, definition, node, depth + 1)
        return None


def _class_through_aliases(
    project: Project, module: Module, node: ast.expr
) -> tuple[Module, ast.ClassDef] | None:
    """The project class an expression names, following ``Alias = Class`` bindings."""
    for _ in range(10):
        found = project.lookup(project.resolve(module, node) or "")
        if found is None:
            return None
        module, definition = found
        if isinstance(definition, ast.ClassDef):
            return module, definition
        if not isinstance(definition, ast.Name | ast.Attribute):
            return None
        node = definition
    return None


def allows_extra(project: Project, module: Module, node: ast.ClassDef, depth: int = 0) -> bool:
    """Whether a pydantic model keeps undeclared fields (``extra="allow"`` in the class
    keywords, ``model_config`` or ``class Config``, here or in a base): their names are the
    client's."""
    settings: list[ast.expr] = [k.value for k in node.keywords if k.arg == "extra"]
    for statement in node.body:
        if isinstance(statement, ast.ClassDef) and statement.name == "Config":
            settings += [
                s.value
                for s in statement.body
                if isinstance(s, ast.Assign) and any(_named(t, "extra") for t in s.targets)
            ]
        value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        if value is not None and any(_named(t, "model_config") for t in targets):
            if isinstance(value, ast.Call):
                settings += [k.value for k in value.keywords if k.arg == "extra"]
            elif isinstance(value, ast.Dict):
                settings += [
                    v
                    for k, v in zip(value.keys, value.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "extra"
                ]
    if any(
        (isinstance(v, ast.Constant) and v.value == "allow")
        or (isinstance(v, ast.Attribute) and v.attr == "allow")
        for v in settings
    ):
        return True
    for base in node.bases:
        found = project.lookup(project.resolve(module, base) or "")
        if (
            found is not None
            and isinstance(found[1], ast.ClassDef)
            and depth < 10
            and allows_extra(project, found[0], found[1], depth + 1)
        ):
            return True
    return False


def _named(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_table(node: ast.ClassDef) -> bool:
    return any(
        k.arg == "table" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in node.keywords
    )


def _describe(
    project: Project, module: Module, node: ast.ClassDef, qualname: str, kind: str, depth: int = 0
) -> ClassInfo:
    info = ClassInfo(qualname, module, node, kind)
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name, value = statement.target.id, statement.value
        elif (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            name, value = statement.targets[0].id, statement.value
        else:
            continue
        if name.startswith("__") or name == "model_config":
            continue
        info.fields[name] = statement
        if (
            isinstance(value, ast.Call)
            and project.resolve(module, value.func) in RELATIONSHIP_CALLS
        ):
            lazy = next((k.value for k in value.keywords if k.arg == "lazy"), None)
            if lazy is None:
                options = next(
                    (k.value for k in value.keywords if k.arg == "sa_relationship_kwargs"), None
                )
                if isinstance(options, ast.Dict):
                    for key, item in zip(options.keys, options.values, strict=True):
                        if isinstance(key, ast.Constant) and key.value == "lazy":
                            lazy = item
            strategy = lazy.value if isinstance(lazy, ast.Constant) else None
            info.relationships[name] = strategy if isinstance(strategy, str) else None
    if depth > 20:
        return info
    for base in node.bases:
        parent = _class_through_aliases(project, module, base)
        if parent is not None and parent[1] is not node:
            inherited = _describe(project, parent[0], parent[1], "", kind, depth + 1)
            for name, statement in inherited.fields.items():
                info.fields.setdefault(name, statement)
            for name, strategy in inherited.relationships.items():
                info.relationships.setdefault(name, strategy)
    return info
