"""Resource specs: ``apismith new resource NAME field:type ...`` parsed, checked and viewed.

A field is ``name:type`` with an optional ``?`` suffix (nullable, may be omitted on create).
Types: str, text, int, float, bool, decimal, datetime, date, uuid, email, ``enum(a|b|c)`` and
``ref=Target`` (a reference to ``User`` or to a resource declared before). Every resource has an
owner (the user who created it); ``owner:ref=User`` may be written but adds nothing. A resource's
plural names its routes and table: English rules by default, or given with ``--plural``.
"""

from __future__ import annotations

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
# As long as the longest derived plural (``...y`` -> ``...ies``): generated lines must fit.
MAX_PLURAL_NAME = MAX_RESOURCE_NAME + 2
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


# Tables and route prefixes the project has before any resource.
RESERVED_PLURALS = frozenset(
    {"action_tokens", "auth", "health", "outbox_messages", "refresh_tokens", "users"}
)
# The list endpoint's filters: which query parameters each field type gets (see ``filters``).
FILTERS_BY_KIND: dict[str, tuple[str, ...]] = {
    "str": ("eq", "contains"),
    "text": ("contains",),
    "email": ("eq",),
    "enum": ("eq",),
    "bool": ("eq",),
    "uuid": ("eq",),
    "ref": ("eq",),
    "int": ("eq", "min", "max"),
    "date": ("eq", "min", "max"),
    "float": ("min", "max"),
    "decimal": ("min", "max"),
    "datetime": ("min", "max"),
}
_IRREGULAR_PLURALS = {"child": "children", "person": "people"}


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
    plural: str = ""

    @property
    def plural_name(self) -> str:
        """The name of its routes and table: the one given, else the English plural."""
        return self.plural or plural(self.name)

    def to_json(self) -> dict[str, object]:
        """The answers-file form: fields as their spec strings; a plural only when given."""
        data: dict[str, object] = {
            "name": self.name,
            "fields": [str(field) for field in self.fields],
            "idempotent": self.idempotent,
        }
        if self.plural:
            data["plural"] = self.plural
        return data


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
    head, _, last = name.rpartition("_")
    if last in _IRREGULAR_PLURALS:
        return f"{head}_{_IRREGULAR_PLURALS[last]}" if head else _IRREGULAR_PLURALS[last]
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


def filters(field: FieldSpec) -> tuple[tuple[str, str], ...]:
    """The list endpoint's query parameters for ``field`` as (parameter, comparison): ``eq``
    matches exactly, ``contains`` ignores case, ``min`` and ``max`` bound a range inclusively."""
    column = column_name(field)
    return tuple(
        (column if comparison == "eq" else f"{column}_{comparison}", comparison)
        for comparison in FILTERS_BY_KIND[field.kind]
    )


def _check_plural(name: str, given: str, existing: Sequence[ResourceSpec]) -> None:
    """Refuse a plural (given or derived) that another resource or the project already uses."""
    if given:
        check_identifier(given, "plural", MAX_PLURAL_NAME)
    chosen = given or plural(name)
    if chosen in RESERVED_PLURALS:
        raise SpecError(
            f"plural {chosen!r} of resource {name!r} is the project's own: choose another"
            " with --plural"
        )
    for resource in existing:
        names = {resource.name, resource.plural_name}
        if chosen in names or name in names:
            raise SpecError(
                f"plural {chosen!r} of resource {name!r} clashes with resource"
                f" {resource.name!r} (plural {resource.plural_name!r}): choose another"
                " name or --plural"
            )


def parse_resource(
    name: str,
    field_texts: Sequence[str],
    idempotent: bool = False,
    existing: Sequence[ResourceSpec] = (),
    plural_name: str = "",
) -> ResourceSpec:
    """Parse and check a new resource against the resources already in the project."""
    check_identifier(name, "resource name", MAX_RESOURCE_NAME)
    if name in RESERVED_RESOURCES:
        raise SpecError(f"invalid resource name {name!r}: the project already uses it")
    if any(resource.name == name for resource in existing):
        raise SpecError(f"resource {name!r} already exists in this project")
    if class_name(name) in {class_name(resource.name) for resource in existing}:
        raise SpecError(f"resource {name!r} would clash with an existing resource's class name")
    _check_plural(name, plural_name, existing)
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
    _check_filters(fields)
    return ResourceSpec(name, fields, idempotent, plural_name)


def _check_filters(fields: Sequence[FieldSpec]) -> None:
    """Refuse fields whose filter parameters would share a name (``price`` and ``price_min``)."""
    owners: dict[str, str] = {}
    for field in fields:
        if field.is_owner:
            continue
        for parameter, _ in filters(field):
            if parameter in owners:
                raise SpecError(
                    f"field {field.name!r}: its filter {parameter!r} clashes with field"
                    f" {owners[parameter]!r}'s; rename one of them"
                )
            owners[parameter] = field.name


def column_name(field: FieldSpec) -> str:
    """The attribute and column name: references get an ``_id`` suffix."""
    return f"{field.name}_id" if field.kind == "ref" else field.name


def resource_from_json(data: object, existing: Sequence[ResourceSpec]) -> ResourceSpec:
    """Read one resource of an answers file, checked like a new one."""
    if not isinstance(data, dict):
        raise SpecError("a resource in the answers file is not an object")
    name, fields, idempotent = data.get("name"), data.get("fields"), data.get("idempotent", False)
    plural_name = data.get("plural", "")
    if not isinstance(name, str) or not isinstance(idempotent, bool):
        raise SpecError("a resource in the answers file lacks a name or has a bad 'idempotent'")
    if not isinstance(plural_name, str):
        raise SpecError(f"resource {name!r} in the answers file has a plural that is not text")
    if not isinstance(fields, list) or not all(isinstance(field, str) for field in fields):
        raise SpecError(f"resource {name!r} in the answers file has no list of field specs")
    return parse_resource(name, fields, idempotent, existing, plural_name)


def resources_from_json(items: Iterable[object]) -> tuple[ResourceSpec, ...]:
    """Read the answers file's resources in order, each checked against those before it."""
    resources: list[ResourceSpec] = []
    for item in items:
        resources.append(resource_from_json(item, resources))
    return tuple(resources)
