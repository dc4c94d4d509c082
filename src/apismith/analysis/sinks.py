"""Where untrusted data must not arrive unchecked, and what makes it safe for each kind of sink."""

from __future__ import annotations

import re
from dataclasses import dataclass

SQL, COMMAND, PATH, URL, REDIRECT, TEMPLATE, HTML, CODE, DESERIALIZE, XML, ARCHIVE = (
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
    "archive",
)


KINDS = frozenset(
    {SQL, COMMAND, PATH, URL, REDIRECT, TEMPLATE, HTML, CODE, DESERIALIZE, XML, ARCHIVE}
)
# Conditions a sink call must meet to be dangerous (see ``Sink.when``).
SHELL, HTML_MEDIA, EXEC = "shell", "html-media-type", "exec"


@dataclass(frozen=True, slots=True)
class Sink:
    """A callable whose argument ``argument`` (or keyword ``keyword``) is dangerous for ``kind``.

    ``when`` restricts it: ``shell`` (the whole command only with ``shell=True``, else the
    program of a list), ``html-media-type`` (only with ``media_type="text/html..."``),
    ``exec`` (arguments are the program's own: only the program, or the command after ``-c``
    when the program is a shell).
    ``also`` is a second dangerous ``(position, keyword)``, as the destination of a copy.
    """

    kind: str
    argument: int = 0
    keyword: str | None = None
    when: str | None = None
    also: tuple[int, str] | None = None


def _many(
    kind: str,
    names: str,
    argument: int = 0,
    keyword: str | None = None,
    when: str | None = None,
    also: tuple[int, str] | None = None,
) -> dict[str, Sink]:
    return {name: Sink(kind, argument, keyword, when, also) for name in names.split()}


HTTP_VERBS = "get post put patch delete head options"
DESERIALIZERS = (
    "pickle.loads pickle.load pickle.Unpickler _pickle.loads cPickle.loads cloudpickle.loads "
    "dill.loads dill.load marshal.loads marshal.load jsonpickle.decode jsonpickle.loads "
    "shelve.open pandas.read_pickle joblib.load"
)
XML_MODULES = (
    "xml.etree.ElementTree",
    "xml.etree.cElementTree",
    "xml.dom.minidom",
    "xml.dom.pulldom",
    "xml.sax",
    "lxml.etree",
    "lxml.objectify",
)
XML_CALLS = "fromstring parse parseString XML iterparse fromstringlist"
HTTP_CLIENTS = ("httpx", "httpx.Client", "httpx.AsyncClient", "requests", "requests.Session")

SINKS: dict[str, Sink] = {
    **_many(
        SQL,
        "sqlalchemy.text sqlalchemy.sql.text sqlalchemy.sql.expression.text sqlmodel.text "
        "sqlalchemy.literal_column sqlalchemy.sql.expression.literal_column "
        "pandas.read_sql pandas.read_sql_query",
        keyword="sql",
    ),
    **_many(SQL, "psycopg2.sql.SQL psycopg.sql.SQL", keyword="string"),
    **_many(COMMAND, "os.system os.popen subprocess.getoutput subprocess.getstatusoutput"),
    **_many(COMMAND, "asyncio.create_subprocess_shell pexpect.spawn pexpect.run", keyword="cmd"),
    **_many(
        COMMAND,
        "paramiko.SSHClient.exec_command paramiko.client.SSHClient.exec_command "
        "fabric.Connection.run fabric.Connection.sudo invoke.run",
        keyword="command",
    ),
    **_many(
        COMMAND,
        "asyncio.create_subprocess_exec os.execv os.execvp os.execl os.execlp",
        keyword="program",
        when=EXEC,
    ),
    **_many(
        COMMAND,
        "subprocess.run subprocess.call subprocess.check_call subprocess.check_output "
        "subprocess.Popen",
        keyword="args",
        when=SHELL,
    ),
    **_many(
        PATH,
        "open io.open os.open aiofiles.open codecs.open os.remove os.unlink os.rmdir "
        "os.listdir os.scandir os.makedirs shutil.rmtree aiofiles.os.remove aiofiles.os.unlink",
        keyword="file",
    ),
    **_many(
        PATH,
        "shutil.copy shutil.copy2 shutil.copyfile shutil.copytree shutil.move",
        keyword="src",
        also=(1, "dst"),
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
    # A client whose base URL the client chooses sends every request there.
    **_many(URL, "httpx.Client httpx.AsyncClient aiohttp.ClientSession", 99, "base_url"),
    **_many(
        URL,
        "http.client.HTTPConnection http.client.HTTPSConnection smtplib.SMTP smtplib.SMTP_SSL "
        "ftplib.FTP socket.create_connection",
        keyword="host",
    ),
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
    **_many(
        HTML,
        "fastapi.Response fastapi.responses.Response starlette.responses.Response",
        keyword="content",
        when=HTML_MEDIA,
    ),
    **_many(CODE, "eval exec compile builtins.eval builtins.exec", keyword="source"),
    **_many(DESERIALIZE, DESERIALIZERS, keyword="data"),
    **_many(
        DESERIALIZE, "yaml.load yaml.load_all yaml.unsafe_load yaml.unsafe_load_all", 0, "stream"
    ),
    **_many(
        XML,
        " ".join(f"{parser}.{call}" for parser in XML_MODULES for call in XML_CALLS.split()),
        keyword="source",
    ),
}

# Methods that run SQL, whatever the receiver (DB-API cursors, sessions, connections, engines).
SQL_METHODS = frozenset(
    {"execute", "executemany", "executescript", "exec_driver_sql", "mogrify", "execute_sql"}
)
# What a path check looks for: ``if ".." in name`` or ``if "/" in name: raise ...``.
SEPARATORS = frozenset({"..", "/", "\\"})
# Path methods whose result is the receiver extended by their arguments.
PATH_JOINERS = frozenset({"joinpath", "with_name", "with_stem", "with_suffix"})
# Methods that put their arguments into their receiver (``parts.append(value)``).
MUTATORS = frozenset(
    {"append", "extend", "insert", "appendleft", "extendleft", "write", "writelines"}
)
# Methods that run the SQL they are given when it is SQL: raw-query APIs of ``databases``,
# asyncpg and others, whose names other libraries also use.
SQL_QUERY_METHODS = frozenset(
    {"fetch", "fetch_all", "fetch_one", "fetch_val", "fetchrow", "fetchval", "iterate", "query"}
    | {"raw", "exec", "scalar", "scalars"}
)
# First words of SQL statements.
SQL_STATEMENT = re.compile(
    r"\s*(select|insert|update|delete|with|replace|merge|create|drop|alter|truncate|call|"
    r"exec|set|show|pragma|grant|revoke|copy|vacuum|analyze)\b",
    re.IGNORECASE,
)
# Tar archives: ``extractall()`` writes wherever the member names point unless a ``filter``
# is given (zip files strip ``..`` and absolute names themselves).
TAR_ARCHIVES = frozenset({"tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open"})
EXTRACTORS = frozenset({"extractall", "extract"})
# Methods of a path object that touch the file system: the receiver is the dangerous value.
PATH_METHODS = frozenset(
    {"open", "read_text", "read_bytes", "write_text", "write_bytes", "unlink", "rmdir", "iterdir"}
)

SANITIZERS: dict[str, frozenset[str]] = {
    "os.path.basename": frozenset({PATH}),
    "werkzeug.utils.secure_filename": frozenset({PATH}),
    "shlex.quote": frozenset({COMMAND}),
    "slugify.slugify": frozenset({PATH, COMMAND, REDIRECT}),
    "django.utils.text.slugify": frozenset({PATH, COMMAND, REDIRECT}),
    "pathvalidate.sanitize_filename": frozenset({PATH}),
    "html.escape": frozenset({HTML}),
    "markupsafe.escape": frozenset({HTML}),
    "jinja2.escape": frozenset({HTML}),
    "bleach.clean": frozenset({HTML}),
    "nh3.clean": frozenset({HTML}),
    "urllib.parse.quote": frozenset({PATH, COMMAND, REDIRECT}),
    "urllib.parse.quote_plus": frozenset({PATH, COMMAND, REDIRECT}),
    **{
        f"{package}.sql.{name}": frozenset({SQL})
        for package in ("psycopg2", "psycopg")
        for name in ("Identifier", "Literal")
    },
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
        "zoneinfo.ZoneInfo",
    }
)
# SQL expression constructors: what they build is bound parameters, whatever the values (raw
# SQL inside them has to go through ``text()``, a sink of its own).
SQL_BUILDERS = frozenset(
    f"{package}.{name}"
    for package in ("sqlalchemy", "sqlalchemy.sql", "sqlalchemy.future", "sqlmodel")
    for name in ("select", "insert", "update", "delete", "union", "union_all", "exists")
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
        "pydantic.types.UUID4",
        "pydantic_extra_types.timezone_name.TimeZoneName",
        "fastapi.UploadFile",
        "starlette.datastructures.UploadFile",
    }
)
# Types whose values the client still chooses, but only where a URL matters.
URL_TYPES = frozenset(
    f"pydantic{module}.{name}"
    for module in ("", ".networks")
    for name in ("HttpUrl", "AnyUrl", "AnyHttpUrl")
)
UPLOAD_TYPES = frozenset({"fastapi.UploadFile", "starlette.datastructures.UploadFile"})
# What an uploaded file carries from the client: its name, headers and content.
UPLOAD_SOURCES = frozenset({"filename", "file", "content_type", "headers", "read"})
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
# Request (and WebSocket) attributes and methods that return what the client sent.
REQUEST_SOURCES = frozenset(
    {"query_params", "headers", "cookies", "path_params", "url", "json", "form", "body", "stream"}
    | {"receive_text", "receive_json", "receive_bytes", "iter_text", "iter_json", "iter_bytes"}
)
# Request attributes the client sends but cannot point elsewhere (the server's own URL).
OWN_URL_SOURCES = frozenset({"url", "base_url"})
# Ways to run a project function later with arguments: ``(qualified or method name, position
# of the function)``; the arguments that follow it are passed to it.
DEFERRED_CALLS = {
    "add_task": 0,
    "starlette.concurrency.run_in_threadpool": 0,
    "fastapi.concurrency.run_in_threadpool": 0,
    "anyio.to_thread.run_sync": 0,
    "asyncio.to_thread": 0,
    "run_in_executor": 1,
    "submit": 0,
}
# Decorators of GraphQL resolvers, and the resolver parameters that are not the client's.
GRAPHQL_FIELDS = frozenset(
    f"strawberry.{name}" for name in ("field", "mutation", "subscription")
) | {"strawberry.federation.field", "strawberry.federation.mutation"}
RESOLVER_CONTEXT = frozenset({"info", "root", "parent", "obj", "_", "self", "cls"})
# Names of programs that run their ``-c`` argument as a shell command.
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "/bin/sh", "/bin/bash", "/usr/bin/bash"})
