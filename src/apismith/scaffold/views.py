"""Template-facing views of resource specs: what the resource templates read of each resource
and field (types, samples for tests, filters, migration columns, import lines)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from apismith.scaffold.spec import (
    LINE_LENGTH,
    FieldSpec,
    ResourceSpec,
    class_name,
    column_name,
    filters,
)


@dataclass(frozen=True)
class FieldView:
    """What the templates need to know about one field."""

    name: str
    type: str
    optional: bool
    column: str
    python_type: str
    sa_column: str
    pydantic_type: str
    filters: tuple[tuple[str, str], ...]
    sample: str
    other_sample: str
    migration_type: str
    choices: tuple[str, ...] = ()
    enum_class: str = ""
    ref: str = ""
    ref_module: str = ""
    ref_table: str = ""

    @property
    def contains_sample(self) -> str:
        """Part of ``sample`` in other case, which a ``contains`` filter must match."""
        return f'"{self.sample[2:5].upper()}"'


@dataclass(frozen=True)
class ResourceView:
    """What the templates need to know about one resource."""

    name: str
    module: str
    class_name: str
    plural: str
    table: str
    fields: tuple[FieldView, ...]
    idempotent: bool
    revision: str
    down_revision: str
    requires: tuple[str, ...] = ()

    @staticmethod
    def import_from(module: str, *names: str) -> str:
        """``from module import names`` on one line, or one name a line when it would not fit."""
        line = f"from {module} import {', '.join(names)}"
        if len(line) <= LINE_LENGTH:
            return line
        return "\n".join([f"from {module} import (", *(f"    {name}," for name in names), ")"])

    @staticmethod
    def keyword_call(indent: int, keyword: str, function: str, text: str) -> str:
        """``keyword=function("text"),`` at ``indent``, as ruff lays it out: on one line, or
        with the string on a line of its own when that would be too long."""
        pad = " " * indent
        line = f'{pad}{keyword}={function}("{text}"),'
        if len(line) <= LINE_LENGTH:
            return line
        return f'{pad}{keyword}={function}(\n{pad}    "{text}"\n{pad}),'

    @staticmethod
    def column_layout(field: FieldView) -> str:
        """How ruff lays out a model attribute: ``flat``, ``wrapped`` (parenthesised call) or
        ``split`` (annotation on its own line), by the length of its first line."""
        annotation = f"{field.python_type}{' | None' if field.optional else ''}"
        head = f"    {field.column}: Mapped[{annotation}] = "
        if len(head) + len("mapped_column(") <= LINE_LENGTH:
            return "flat"
        return "wrapped" if len(head) + 1 <= LINE_LENGTH else "split"

    @property
    def title(self) -> str:
        """The name in words, with its article: ``a line item``, ``an invoice``."""
        words = self.name.replace("_", " ")
        return f"an {words}" if words[0] in "aeiou" else f"a {words}"

    @property
    def enums(self) -> tuple[FieldView, ...]:
        """The enum fields, whose classes the model module defines."""
        return tuple(field for field in self.fields if field.type == "enum")

    @property
    def refs(self) -> tuple[FieldView, ...]:
        """The reference fields."""
        return tuple(field for field in self.fields if field.type == "ref")

    @property
    def ref_models(self) -> tuple[tuple[str, str], ...]:
        """(module, class) of the resources this one refers to, each once."""
        found = {(field.ref_module, field.ref) for field in self.refs if field.ref != "User"}
        return tuple(sorted(found))

    @property
    def service_models(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(module, imported names) of the models the service module uses, in import order."""
        own = (self.class_name, f"{self.class_name}IdempotencyKey")
        imports = {
            self.module: own if self.idempotent else own[:1],
            "user": ("User",),
            **{module: (name,) for module, name in self.ref_models},
        }
        if self.idempotent:
            imports["base"] = ("utcnow",)
        return tuple(sorted(imports.items()))

    @property
    def comparisons(self) -> frozenset[str]:
        """The comparisons the list endpoint's filters use (``eq``, ``contains``, ``min``...)."""
        return frozenset(comparison for field in self.fields for _, comparison in field.filters)

    @property
    def python_types(self) -> frozenset[str]:
        """Field types present, so templates import only what they use."""
        return frozenset(field.type for field in self.fields)

    @property
    def aliases(self) -> tuple[tuple[str, str], ...]:
        """The constrained pydantic types the schema module defines, as (name, definition)."""
        used = {field.pydantic_type for field in self.fields}
        return tuple((name, value) for name, value in PYDANTIC_ALIASES.items() if name in used)

    @property
    def required(self) -> tuple[FieldView, ...]:
        """The fields that may not be null."""
        return tuple(field for field in self.fields if not field.optional)

    @property
    def sa_names(self) -> tuple[str, ...]:
        """The SQLAlchemy names the model module imports."""
        names = {"ForeignKey", "Uuid"}
        names.update(
            field.sa_column.split("(")[0].split(",")[0]
            for field in self.fields
            if field.type != "datetime"
        )
        if self.idempotent:
            names.update({"Index", "Integer", "String", "Text", "UniqueConstraint"})
        return tuple(sorted(names))


# type -> (python annotation, SQLAlchemy column type, pydantic annotation, sample, other sample);
# the pydantic annotations are aliases the schema module defines (see PYDANTIC_ALIASES).
_TYPES: dict[str, tuple[str, str, str, str, str]] = {
    "str": ("str", "String(200)", "ShortText", '"alpha"', '"beta"'),
    "text": ("str", "Text", "LongText", '"some text"', '"more text"'),
    "int": ("int", "Integer", "Int32", "7", "8"),
    "float": ("float", "Float", "FiniteFloat", "1.5", "2.5"),
    "bool": ("bool", "Boolean", "bool", "True", "False"),
    "decimal": ("Decimal", "Numeric(12, 2)", "Money", '"12.50"', '"99.99"'),
    "datetime": (
        "datetime",
        "UtcDateTime()",
        "UtcDatetime",
        '"2030-01-02T03:04:05Z"',
        '"2031-05-06T07:08:09Z"',
    ),
    "date": ("date", "Date", "date", '"2030-01-02"', '"2031-05-06"'),
    "uuid": (
        "uuid.UUID",
        "Uuid",
        "uuid.UUID",
        '"8f9b2f7e-6d4c-4b8a-9f1e-2a3b4c5d6e7f"',
        '"0e1d2c3b-4a59-4687-b6a5-9c8d7e6f5a4b"',
    ),
    "email": ("str", "String(320)", "EmailStr", '"ada@example.com"', '"bob@example.com"'),
}
PYDANTIC_ALIASES = {
    "ShortText": "Annotated[str, Field(max_length=200)]",
    "LongText": "Annotated[str, Field(max_length=20000)]",
    "Int32": "Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]",
    "FiniteFloat": "Annotated[float, Field(allow_inf_nan=False)]",
    "Money": "Annotated[Decimal, Field(max_digits=12, decimal_places=2)]",
}
_MIGRATION_TYPES = {
    "str": "sa.String(200)",
    "text": "sa.Text()",
    "int": "sa.Integer()",
    "float": "sa.Float()",
    "bool": "sa.Boolean()",
    "decimal": "sa.Numeric(12, 2)",
    "datetime": "sa.DateTime(timezone=True)",
    "date": "sa.Date()",
    "uuid": "sa.Uuid()",
    "email": "sa.String(320)",
}


def field_view(field: FieldSpec, resource: str, resources: Sequence[ResourceSpec]) -> FieldView:
    """Derive the template-facing view of one field."""
    if field.kind == "enum":
        enum_class = class_name(resource) + class_name(field.name)
        values = ", ".join(f'"{choice}"' for choice in field.choices)
        return FieldView(
            name=field.name,
            type="enum",
            optional=field.optional,
            column=field.name,
            python_type=enum_class,
            sa_column=f"Enum({enum_class}, native_enum=False, length=50)",
            pydantic_type=enum_class,
            filters=filters(field),
            sample=f'"{field.choices[0]}"',
            other_sample=f'"{field.choices[-1]}"',
            migration_type=(
                f'sa.Enum({values}, name="{enum_class.lower()}", native_enum=False, length=50)'
            ),
            choices=field.choices,
            enum_class=enum_class,
        )
    if field.kind == "ref":
        target, table = next(
            (
                (spec.name, spec.plural_name)
                for spec in resources
                if class_name(spec.name) == field.ref
            ),
            ("user", "users"),
        )
        ondelete = "SET NULL" if field.optional else "CASCADE"
        foreign_key = f'ForeignKey("{table}.id", ondelete="{ondelete}")'
        return FieldView(
            name=field.name,
            type="ref",
            optional=field.optional,
            column=column_name(field),
            python_type="uuid.UUID",
            sa_column=f"Uuid, {foreign_key}",
            pydantic_type="uuid.UUID",
            filters=filters(field),
            sample="",
            other_sample="",
            migration_type=f"sa.Uuid(), sa.{foreign_key}",
            ref=field.ref,
            ref_module=target,
            ref_table=table,
        )
    python_type, sa_column, pydantic_type, sample, other = _TYPES[field.kind]
    return FieldView(
        name=field.name,
        type=field.kind,
        optional=field.optional,
        column=field.name,
        python_type=python_type,
        sa_column=sa_column,
        pydantic_type=pydantic_type,
        filters=filters(field),
        sample=sample,
        other_sample=other,
        migration_type=_MIGRATION_TYPES[field.kind],
    )


def revision(index: int, spec: ResourceSpec) -> str:
    """A deterministic Alembic revision id: position plus a digest of the resource's name."""
    digest = hashlib.sha256(spec.name.encode()).hexdigest()[:8]
    return f"{index + 2:04d}_{digest}"


def resource_views(resources: Sequence[ResourceSpec]) -> tuple[ResourceView, ...]:
    """The views of every resource, in order, with Alembic revisions chained after ``0001``."""
    views: list[ResourceView] = []
    down = "0001"
    requires: dict[str, set[str]] = {}
    for index, spec in enumerate(resources):
        rev = revision(index, spec)
        targets = {
            resource.name
            for field in spec.fields
            for resource in resources[:index]
            if field.kind == "ref" and class_name(resource.name) == field.ref
        }
        requires[spec.name] = targets.union(*(requires[target] for target in targets))
        views.append(
            ResourceView(
                name=spec.name,
                module=spec.name,
                class_name=class_name(spec.name),
                plural=spec.plural_name,
                table=spec.plural_name,
                fields=tuple(
                    field_view(field, spec.name, resources)
                    for field in spec.fields
                    if not field.is_owner
                ),
                idempotent=spec.idempotent,
                revision=rev,
                down_revision=down,
                requires=tuple(
                    resource.name for resource in resources if resource.name in requires[spec.name]
                ),
            )
        )
        down = rev
    return tuple(views)
