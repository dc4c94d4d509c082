"""Resource specs: ``apismith new resource NAME field:type ...`` parsed, checked and viewed.

A field is ``name:type`` with an optional ``?`` suffix (nullable, may be omitted on create).
Types: str, text, int, float, bool, decimal, datetime, date, uuid, email, ``enum(a|b|c)`` and
``ref=Target`` (a reference to ``User`` or to a resource declared before). Every resource has an
owner (the user who created it); ``owner:ref=User`` may be written but adds nothing.
"""

from __future__ import annotations

import hashlib
import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from apismith.errors import UsageError

SIMPLE_TYPES = (
    "str",
    "text",
    "int",
    "float",
    "bool",
    "decimal",
    "datetime",
    "date",
    "uuid",
    "email",
)
OWNER_FIELD = "owner:ref=User"
# Longer names would not fit the generated code's lines (and make poor table names).
MAX_RESOURCE_NAME = 20
MAX_FIELD_NAME = 28
LINE_LENGTH = 100

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
_FIELD = re.compile(r"(?P<name>[^:]*):(?P<type>.*?)(?P<optional>\?)?")
_ENUM = re.compile(r"enum\((?P<choices>[^()]*)\)")
_REF = re.compile(r"ref=(?P<target>.*)")

# Names the generated code uses itself: columns every resource has, attributes SQLAlchemy and
# pydantic reserve, and the names of the list endpoint's own query parameters and arguments.
RESERVED_NAMES = frozenset(
    {
        "id",
        "owner",
        "owner_id",
        "created_at",
        "updated_at",
        "metadata",
        "registry",
        "limit",
        "offset",
        "page",
        "session",
        "user",
        "service",
        "request",
        "response",
        "idempotency_key",
        "schema",
        "fields",
        "self",
        "cls",
    }
)
# The project's own modules, models and tables (users, outbox_messages, refresh_tokens, ...).
RESERVED_RESOURCES = frozenset(
    {
        "action_token",
        "auth",
        "base",
        "common",
        "health",
        "idempotency_key",
        "outbox",
        "outbox_message",
        "owner",
        "refresh_token",
        "token",
        "user",
        "users",
    }
)


class SpecError(UsageError):
    """A resource or field spec that cannot be used; the message says which part and why."""


@dataclass(frozen=True)
class FieldSpec:
    """One declared field: ``kind`` is a simple type, ``enum`` or ``ref``."""

    name: str
    kind: str
    optional: bool = False
    choices: tuple[str, ...] = ()
    ref: str = ""

    def __str__(self) -> str:
        if self.kind == "enum":
            kind = f"enum({'|'.join(self.choices)})"
        elif self.kind == "ref":
            kind = f"ref={self.ref}"
        else:
            kind = self.kind
        return f"{self.name}:{kind}{'?' if self.optional else ''}"

    @property
    def is_owner(self) -> bool:
        """True for the explicit ``owner:ref=User`` spelling of the implicit owner."""
        return str(self) == OWNER_FIELD


@dataclass(frozen=True)
class ResourceSpec:
    """A resource as recorded in ``.apismith/answers.json``."""

    name: str
    fields: tuple[FieldSpec, ...]
    idempotent: bool = False

    def to_json(self) -> dict[str, object]:
        """The answers-file form: fields as their spec strings."""
        return {
            "name": self.name,
            "fields": [str(field) for field in self.fields],
            "idempotent": self.idempotent,
        }


def check_identifier(name: str, what: str, longest: int = MAX_FIELD_NAME) -> None:
    """Refuse anything but a lower-case ASCII identifier that is not a Python keyword."""
    if len(name) > longest:
        raise SpecError(f"invalid {what} {name[:longest]!r}...: at most {longest} characters")
    if not _IDENTIFIER.fullmatch(name):
        raise SpecError(
            f"invalid {what} {name!r}: use lower-case letters, digits and underscores,"
            " starting with a letter"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise SpecError(f"invalid {what} {name!r}: it is a Python keyword")
    if name.endswith("_"):
        raise SpecError(f"invalid {what} {name!r}: it must not end with an underscore")


def class_name(name: str) -> str:
    """``line_item`` -> ``LineItem``."""
    return "".join(part.capitalize() for part in name.split("_"))


def plural(name: str) -> str:
    """English plural of a snake_case name's last word: ``category`` -> ``categories``."""
    if name.endswith("y") and not name.endswith(("ay", "ey", "oy", "uy")):
        return name[:-1] + "ies"
    if name.endswith(("s", "x", "z", "ch", "sh")):
        return name + "es"
    return name + "s"


def parse_field(text: str) -> FieldSpec:
    """Parse one ``name:type[?]`` argument."""
    match = _FIELD.fullmatch(text)
    if match is None:
        raise SpecError(f"invalid field {text!r}: expected name:type, such as title:str")
    name, kind, optional = match["name"], match["type"], match["optional"] is not None
    check_identifier(name, "field name")
    if kind in SIMPLE_TYPES:
        return FieldSpec(name, kind, optional)
    if enum := _ENUM.fullmatch(kind):
        choices = tuple(enum["choices"].split("|"))
        for choice in choices:
            check_identifier(choice, f"enum value of {name!r}")
        if len(set(choices)) != len(choices):
            raise SpecError(f"invalid field {text!r}: enum values must be distinct")
        return FieldSpec(name, "enum", optional, choices=choices)
    if ref := _REF.fullmatch(kind):
        target = ref["target"]
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", target):
            raise SpecError(f"invalid field {text!r}: a reference names a class, such as ref=User")
        return FieldSpec(name, "ref", optional, ref=target)
    raise SpecError(
        f"unknown type {kind!r} in field {text!r}: use one of {', '.join(SIMPLE_TYPES)},"
        " enum(a|b|c) or ref=Class"
    )


def parse_resource(
    name: str,
    field_texts: Sequence[str],
    idempotent: bool = False,
    existing: Sequence[ResourceSpec] = (),
) -> ResourceSpec:
    """Parse and check a new resource against the resources already in the project."""
    check_identifier(name, "resource name", MAX_RESOURCE_NAME)
    if name in RESERVED_RESOURCES:
        raise SpecError(f"invalid resource name {name!r}: the project already uses it")
    if any(resource.name == name for resource in existing):
        raise SpecError(f"resource {name!r} already exists in this project")
    taken = {plural(resource.name) for resource in existing} | {
        class_name(resource.name) for resource in existing
    }
    if plural(name) in taken or class_name(name) in taken:
        raise SpecError(f"resource {name!r} would clash with an existing resource's names")
    fields = tuple(parse_field(text) for text in field_texts)
    if all(field.is_owner for field in fields):
        raise SpecError(f"resource {name!r} needs at least one field, such as title:str")
    targets = {"User"} | {class_name(resource.name) for resource in existing}
    columns: set[str] = set()
    for field in fields:
        if field.is_owner:
            if field.name in columns:
                raise SpecError(f"duplicate field {field.name!r}")
            columns.add(field.name)
            continue
        if field.name in RESERVED_NAMES or field.name.startswith("model_"):
            raise SpecError(f"field name {field.name!r} is reserved: choose another name")
        if field.kind == "ref" and field.ref not in targets:
            raise SpecError(
                f"field {str(field)!r} refers to unknown class {field.ref!r}:"
                f" known are {', '.join(sorted(targets))}"
            )
        for column in {field.name, column_name(field)}:
            if column in columns:
                raise SpecError(f"duplicate field {field.name!r}")
            columns.add(column)
    return ResourceSpec(name, fields, idempotent)


def column_name(field: FieldSpec) -> str:
    """The attribute and column name: references get an ``_id`` suffix."""
    return f"{field.name}_id" if field.kind == "ref" else field.name


def resource_from_json(data: object, existing: Sequence[ResourceSpec]) -> ResourceSpec:
    """Read one resource of an answers file, checked like a new one."""
    if not isinstance(data, dict):
        raise SpecError("a resource in the answers file is not an object")
    name, fields, idempotent = data.get("name"), data.get("fields"), data.get("idempotent", False)
    if not isinstance(name, str) or not isinstance(idempotent, bool):
        raise SpecError("a resource in the answers file lacks a name or has a bad 'idempotent'")
    if not isinstance(fields, list) or not all(isinstance(field, str) for field in fields):
        raise SpecError(f"resource {name!r} in the answers file has no list of field specs")
    return parse_resource(name, fields, idempotent, existing)


def resources_from_json(items: Iterable[object]) -> tuple[ResourceSpec, ...]:
    """Read the answers file's resources in order, each checked against those before it."""
    resources: list[ResourceSpec] = []
    for item in items:
        resources.append(resource_from_json(item, resources))
    return tuple(resources)


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
    filterable: bool
    sample: str
    other_sample: str
    migration_type: str
    choices: tuple[str, ...] = ()
    enum_class: str = ""
    ref: str = ""
    ref_module: str = ""
    ref_table: str = ""


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
        return tuple(sorted(imports.items()))

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
            names.update({"Integer", "String", "Text", "UniqueConstraint"})
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
_UNFILTERED = frozenset({"text", "float", "datetime"})


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
            filterable=True,
            sample=f'"{field.choices[0]}"',
            other_sample=f'"{field.choices[-1]}"',
            migration_type=(
                f'sa.Enum({values}, name="{enum_class.lower()}", native_enum=False, length=50)'
            ),
            choices=field.choices,
            enum_class=enum_class,
        )
    if field.kind == "ref":
        target = next(
            (spec.name for spec in resources if class_name(spec.name) == field.ref), "user"
        )
        ondelete = "SET NULL" if field.optional else "CASCADE"
        foreign_key = f'ForeignKey("{plural(target)}.id", ondelete="{ondelete}")'
        return FieldView(
            name=field.name,
            type="ref",
            optional=field.optional,
            column=column_name(field),
            python_type="uuid.UUID",
            sa_column=f"Uuid, {foreign_key}",
            pydantic_type="uuid.UUID",
            filterable=True,
            sample="",
            other_sample="",
            migration_type=f"sa.Uuid(), sa.{foreign_key}",
            ref=field.ref,
            ref_module=target,
            ref_table=plural(target),
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
        filterable=field.kind not in _UNFILTERED,
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
                plural=plural(spec.name),
                table=plural(spec.name),
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
