"""The class catalog: pydantic, settings and ORM models, their fields and relationships."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from apismith.project.classes import ClassCatalog, ClassInfo
from apismith.project.loader import load_project

Tree = Callable[[dict[str, str]], Path]


def catalog(tree: Tree, files: dict[str, str]) -> ClassCatalog:
    loaded = load_project(tree(files))
    assert loaded.problems == []
    return loaded.classes


def kinds(classes: ClassCatalog) -> dict[str, str]:
    return {name.removeprefix("project."): info.kind for name, info in classes.classes.items()}


MODELS = {
    "shop/__init__.py": "",
    "shop/db.py": """
        from sqlalchemy.orm import DeclarativeBase, declarative_base, registry
        import sqlalchemy.ext.declarative as legacy

        class Base(DeclarativeBase):
            pass

        OldBase = declarative_base()
        LegacyBase = legacy.declarative_base()
        mapper_registry = registry()
        RegistryBase = mapper_registry.generate_base()
        NotABase = dict()
        Alias = OldBase
    """,
    "shop/orm.py": """
        from sqlalchemy import Column, ForeignKey, Integer, String
        from sqlalchemy.orm import Mapped, mapped_column, relationship
        from shop.db import Alias, Base, LegacyBase, NotABase, OldBase, RegistryBase

        class Owner(Base):
            __tablename__ = "owners"
            id: Mapped[int] = mapped_column(primary_key=True)
            pets: Mapped[list["Pet"]] = relationship(back_populates="owner", lazy="selectin")
            friends = relationship("Owner", lazy=LAZY)
            rivals = relationship("Owner")
            a = b = Column(Integer)
            x, y = 1, 2

        class Pet(OldBase):
            __tablename__ = "pets"
            id = Column(Integer, primary_key=True)
            owner_id = Column(ForeignKey("owners.id"))
            owner = relationship("Owner", lazy="joined")

        class Legacy(LegacyBase):
            __tablename__ = "legacy"
            name = Column(String)

        class Registered(RegistryBase):
            __tablename__ = "registered"

        class Unmapped(NotABase):
            pass

        class Aliased(Alias):
            pass

        class Special(Owner):
            nickname: Mapped[str]
            pets = relationship("Pet", lazy="raise")
    """,
    "shop/schemas.py": """
        import pydantic
        from pydantic import BaseModel, ConfigDict
        from pydantic_settings import BaseSettings

        class ItemIn(BaseModel):
            model_config = ConfigDict(extra="forbid")
            __slots__ = ()
            name: str
            price: float = 0.0
            tags = []

        class ItemOut(ItemIn):
            id: int

        class Legacy(pydantic.main.BaseModel):
            value: int

        class Settings(BaseSettings):
            database_url: str = "sqlite://"

        class Mixin:
            extra: str = ""

        class WithMixin(Mixin, ItemIn):
            pass

        class NotAModel(Exception):
            pass

        class NoBases:
            pass

        class FromCall(make_base()):
            pass
    """,
}


def test_model_kinds_across_bases_and_factories(tree: Tree) -> None:
    classes = catalog(tree, MODELS)
    assert kinds(classes) == {
        "shop.orm.Owner": "orm",
        "shop.orm.Pet": "orm",
        "shop.orm.Aliased": "orm",
        "shop.orm.Legacy": "orm",
        "shop.orm.Registered": "orm",
        "shop.orm.Special": "orm",
        "shop.db.Base": "orm",
        "shop.schemas.ItemIn": "pydantic",
        "shop.schemas.ItemOut": "pydantic",
        "shop.schemas.Legacy": "pydantic",
        "shop.schemas.Settings": "settings",
        "shop.schemas.WithMixin": "pydantic",
    }


def test_fields_and_relationship_loading(tree: Tree) -> None:
    classes = catalog(tree, MODELS)
    owner = classes.get("shop.orm.Owner")
    assert isinstance(owner, ClassInfo)
    assert owner.name == "Owner"
    assert list(owner.fields) == ["id", "pets", "friends", "rivals"]
    assert owner.relationships == {"pets": "selectin", "friends": None, "rivals": None}
    pet = classes.get("shop.orm.Pet")
    assert pet is not None
    assert pet.relationships == {"owner": "joined"}
    assert set(pet.fields) == {"id", "owner_id", "owner"}
    special = classes.get("shop.orm.Special")
    assert special is not None
    # Own declarations win over inherited ones; the rest is inherited.
    assert special.relationships == {"pets": "raise", "friends": None, "rivals": None}
    assert list(special.fields) == ["nickname", "pets", "id", "friends", "rivals"]
    item = classes.get("shop.schemas.ItemOut")
    assert item is not None
    assert list(item.fields) == ["id", "name", "price", "tags"]
    assert isinstance(item.fields["price"], ast.AnnAssign)
    assert isinstance(item.fields["tags"], ast.Assign)
    mixed = classes.get("shop.schemas.WithMixin")
    assert mixed is not None
    assert set(mixed.fields) == {"extra", "name", "price", "tags"}


def test_get_by_re_exported_name(tree: Tree) -> None:
    files = {
        **MODELS,
        "shop/__init__.py": "from shop.schemas import ItemIn\n",
    }
    classes = catalog(tree, files)
    assert classes.get(None) is None
    assert classes.get("shop.ItemIn") is classes.get("shop.schemas.ItemIn")
    assert classes.get("shop.Nothing") is None
    assert classes.get("shop.schemas.NotAModel") is None


SQLMODEL = {
    "heroes.py": """
        from typing import Optional
        from sqlmodel import Field, Relationship, SQLModel

        class TeamBase(SQLModel):
            name: str

        class Team(TeamBase, table=True):
            id: Optional[int] = Field(default=None, primary_key=True)
            heroes: list["Hero"] = Relationship(
                back_populates="team", sa_relationship_kwargs={"lazy": "selectin"}
            )
            sidekicks: list["Hero"] = Relationship(sa_relationship_kwargs={"viewonly": True})
            villains: list["Hero"] = Relationship(sa_relationship_kwargs=OPTIONS)
            rivals: list[Team] = Relationship(sa_relationship_kwargs={**KW, "lazy": "joined"})

        class TeamRead(TeamBase):
            id: int

        class Hero(SQLModel, table=True):
            id: Optional[int] = Field(default=None, primary_key=True)
            team: Optional[Team] = Relationship(back_populates="heroes", lazy="noload")

        class NotTable(SQLModel, table=False):
            value: int
    """,
}


def test_sqlmodel_tables_and_relationship_kwargs(tree: Tree) -> None:
    classes = catalog(tree, SQLMODEL)
    assert kinds(classes) == {
        "heroes.TeamBase": "pydantic",
        "heroes.Team": "orm",
        "heroes.TeamRead": "pydantic",
        "heroes.Hero": "orm",
        "heroes.NotTable": "pydantic",
    }
    team = classes.get("heroes.Team")
    assert team is not None
    assert team.relationships == {
        "heroes": "selectin",
        "sidekicks": None,
        "villains": None,
        "rivals": "joined",
    }
    assert set(team.fields) == {"id", "heroes", "sidekicks", "villains", "rivals", "name"}
    hero = classes.get("heroes.Hero")
    assert hero is not None
    assert hero.relationships == {"team": "noload"}


def test_inheritance_cycles_and_self_reference_terminate(tree: Tree) -> None:
    files = {
        "cycle.py": """
            from pydantic import BaseModel

            class A(B, BaseModel):
                a: int

            class B(A):
                b: int

            class Selfish(Selfish, BaseModel):
                s: int

            class Loop(Loop):
                pass
        """,
    }
    classes = catalog(tree, files)
    assert kinds(classes) == {"cycle.A": "pydantic", "cycle.Selfish": "pydantic"}
    a = classes.get("cycle.A")
    assert a is not None
    assert set(a.fields) == {"a", "b"}
    selfish = classes.get("cycle.Selfish")
    assert selfish is not None
    assert list(selfish.fields) == ["s"]


def test_deep_inheritance_is_bounded(tree: Tree) -> None:
    chain = "\n".join(f"class C{n}(C{n - 1}):\n    f{n}: int\n" for n in range(1, 25))
    files = {
        "deep.py": "from pydantic import BaseModel\nclass C0(BaseModel):\n    f0: int\n" + chain
    }
    classes = catalog(tree, files)
    assert len(classes.classes) == 25
    deepest = classes.get("deep.C24")
    assert deepest is not None
    # Fields are gathered from at most 22 levels (the class and 21 ancestors).
    assert "f24" in deepest.fields and "f3" in deepest.fields
    assert "f0" not in deepest.fields


def test_deep_inheritance_declared_deepest_first(tree: Tree) -> None:
    chain = "\n".join(f"class C{n}(C{n - 1}):\n    pass\n" for n in range(24, 0, -1))
    files = {"deep.py": chain + "from pydantic import BaseModel\nclass C0(BaseModel):\n    pass\n"}
    classes = catalog(tree, files)
    assert classes.get("deep.C0") is not None
    # The walk from C24 gives up past depth 20: classes met beyond it are not recognised.
    assert classes.get("deep.C24") is None


def test_base_through_plain_alias(tree: Tree) -> None:
    files = {
        "db.py": """
            from sqlalchemy.orm import DeclarativeBase

            class Base(DeclarativeBase):
                pass

            class Stamped(Base):
                __abstract__ = True
                created: Mapped[int]

            Model = Base
            Timestamped = Stamped
            Again = Timestamped
            Loop = Loop2
            Loop2 = Loop
            Made = make_base()

            class User(Model):
                __tablename__ = "users"

            class Post(Again):
                __tablename__ = "posts"

            class Odd(Loop):
                pass

            class Strange(Made):
                pass
        """,
    }
    found = catalog(tree, files)
    assert kinds(found).get("db.User") == "orm"
    assert kinds(found).get("db.Post") == "orm"
    post = found.get("db.Post")
    assert post is not None and "created" in post.fields
    assert "db.Odd" not in kinds(found)
    assert "db.Strange" not in kinds(found)
