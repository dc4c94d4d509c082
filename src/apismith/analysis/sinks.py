"""Where untrusted data must not arrive unchecked, and what makes it safe for each kind of sink."""

from __future__ import annotations

from dataclasses import dataclass

SQL, COMMAND, PATH, URL, REDIRECT, TEMPLATE, HTML, CODE, DESERIALIZE, XML = (
    "sql",
    "command",
    "path",
    "url",
    "redirect",
    "template",
    "html",
    "code",
    "deserialize",
    "xml",
)


@dataclass(frozen=True, slots=True)
class Sink:
    """A callable whose argument ``argument`` (or keyword ``keyword``) is dangerous for ``kind``."""

    kind: str
    argument: int = 0
    keyword: str | None = None
    needs_shell: bool = False


def _many(kind: str, names: str, argument: int = 0, keyword: str | None = None) -> dict[str, Sink]:
    return {name: Sink(kind, argument, keyword) for name in names.split()}


HTTP_VERBS = "get post put patch delete head options"
HTTP_CLIENTS = ("httpx", "httpx.Client", "httpx.AsyncClient", "requests", "requests.Session")

SINKS: dict[str, Sink] = {
    **_many(
        SQL,
        "sqlalchemy.text sqlalchemy.sql.text sqlalchemy.sql.expression.text sqlmodel.text "
        "sqlalchemy.literal_column sqlalchemy.sql.expression.literal_column "
        "pandas.read_sql pandas.read_sql_query",
        keyword="sql",
    ),
    **_many(COMMAND, "os.system os.popen subprocess.getoutput subprocess.getstatusoutput"),
    **_many(COMMAND, "asyncio.create_subprocess_shell pexpect.spawn pexpect.run", keyword="cmd"),
    **{
        name: Sink(COMMAND, 0, "args", needs_shell=True)
        for name in (
            "subprocess.run subprocess.call subprocess.check_call subprocess.check_output "
            "subprocess.Popen"
        ).split()
    },
    **_many(
        PATH,
        "open io.open os.open aiofiles.open codecs.open os.remove os.unlink os.rmdir "
        "os.listdir os.scandir shutil.rmtree shutil.copy shutil.copyfile shutil.move",
        keyword="file",
    ),
    **_many(
        PATH,
        "fastapi.responses.FileResponse starlette.responses.FileResponse",
        keyword="path",
    ),
    **{
        f"{client}.{verb}": Sink(URL, 0, "url")
        for client in HTTP_CLIENTS
        for verb in [*HTTP_VERBS.split(), "stream_url"]
    },
    **{f"{client}.request": Sink(URL, 1, "url") for client in HTTP_CLIENTS},
    **{f"{client}.stream": Sink(URL, 1, "url") for client in HTTP_CLIENTS[:3]},
    **_many(
        URL,
        "urllib.request.urlopen urllib.request.Request urllib.request.urlretrieve "
        "aiohttp.ClientSession.get aiohttp.ClientSession.post aiohttp.ClientSession.put "
        "aiohttp.ClientSession.delete aiohttp.ClientSession.patch",
        keyword="url",
    ),
    **_many(URL, "aiohttp.ClientSession.request urllib3.PoolManager.request", 1, "url"),
    **_many(
        REDIRECT,
        "fastapi.responses.RedirectResponse starlette.responses.RedirectResponse",
        keyword="url",
    ),
    **_many(
        TEMPLATE,
        "jinja2.Template jinja2.Environment.from_string mako.template.Template",
        keyword="source",
    ),
    **_many(
        HTML,
        "fastapi.responses.HTMLResponse starlette.responses.HTMLResponse markupsafe.Markup",
        keyword="content",
    ),
    **_many(CODE, "eval exec compile", keyword="source"),
    **_many(
        DESERIALIZE,
        "pickle.loads pickle.load cPickle.loads dill.loads marshal.loads jsonpickle.decode "
        "shelve.open yaml.unsafe_load",
        keyword="data",
    ),
    **_many(
        XML,
        "xml.etree.ElementTree.fromstring xml.etree.ElementTree.parse xml.dom.minidom.parseString "
        "xml.sax.parseString lxml.etree.fromstring lxml.etree.parse lxml.etree.XML",
        keyword="text",
    ),
}

# Methods that run SQL, whatever the receiver (DB-API cursors, sessions, connections, engines).
SQL_METHODS = frozenset({"execute", "executemany", "executescript", "exec_driver_sql", "mogrify"})
# Methods of a path object that touch the file system: the receiver is the dangerous value.
PATH_METHODS = frozenset(
    {"open", "read_text", "read_bytes", "write_text", "write_bytes", "unlink", "rmdir", "iterdir"}
)

SANITIZERS: dict[str, frozenset[str]] = {
    "os.path.basename": frozenset({PATH}),
    "werkzeug.utils.secure_filename": frozenset({PATH}),
    "shlex.quote": frozenset({COMMAND}),
    "html.escape": frozenset({HTML, TEMPLATE}),
    "markupsafe.escape": frozenset({HTML, TEMPLATE}),
    "bleach.clean": frozenset({HTML}),
    "urllib.parse.quote": frozenset({PATH, COMMAND, REDIRECT}),
    "urllib.parse.quote_plus": frozenset({PATH, COMMAND, REDIRECT}),
}
# Calls whose result carries none of the input's control: numbers, hashes, ids, sizes.
CLEANSERS = frozenset(
    {
        "int",
        "float",
        "bool",
        "len",
        "abs",
        "round",
        "hash",
        "id",
        "uuid.UUID",
        "decimal.Decimal",
        "hashlib.sha256",
        "hashlib.md5",
        "hashlib.sha1",
        "hmac.new",
        "hmac.compare_digest",
        "secrets.compare_digest",
        "isinstance",
        "datetime.datetime.fromisoformat",
        "datetime.date.fromisoformat",
    }
)
SAFE_TYPES = frozenset(
    {
        "int",
        "float",
        "bool",
        "uuid.UUID",
        "datetime.datetime",
        "datetime.date",
        "datetime.time",
        "datetime.timedelta",
        "decimal.Decimal",
        "pydantic.UUID4",
        "pydantic.PositiveInt",
        "pydantic.NonNegativeInt",
        "pydantic.conint",
        "pydantic.EmailStr",
        "pydantic.HttpUrl",
        "pydantic.types.UUID4",
        "fastapi.UploadFile",
        "starlette.datastructures.UploadFile",
    }
)
# String methods that pass taint from their receiver or arguments into the result.
STRING_METHODS = frozenset(
    {
        "format",
        "join",
        "replace",
        "strip",
        "lstrip",
        "rstrip",
        "lower",
        "upper",
        "title",
        "casefold",
        "encode",
        "decode",
        "split",
        "rsplit",
        "splitlines",
        "removeprefix",
        "removesuffix",
        "zfill",
        "ljust",
        "rjust",
        "center",
        "expandtabs",
        "format_map",
        "translate",
        "partition",
        "rpartition",
    }
)
# Request attributes and methods that return what the client sent.
REQUEST_SOURCES = frozenset(
    {"query_params", "headers", "cookies", "path_params", "url", "json", "form", "body", "stream"}
)
