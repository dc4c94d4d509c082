"""What blocks the event loop: the synchronous clients, sessions and functions apismith knows.

:mod:`apismith.analysis.blocking` follows calls through a project; this module is its table:
receivers (types whose methods wait on the network, a database, the disk or a child process,
with the objects they hand out), plain functions that do, and the names that mark code which
runs outside requests.
"""

from __future__ import annotations

from dataclasses import dataclass

NETWORK, DATABASE, SLEEP, PROCESS, HASHING, FILE = (
    "network",
    "database",
    "sleep",
    "process",
    "hashing",
    "file",
)

SYNC_SESSIONS = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.orm.scoping.scoped_session",
        "sqlmodel.Session",
        "sqlmodel.orm.session.Session",
    }
)
ASYNC_SESSIONS = frozenset(
    {
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlalchemy.ext.asyncio.async_scoped_session",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)

_HTTP = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_SESSION = frozenset(
    {
        "execute",
        "exec",
        "query",
        "get",
        "get_one",
        "scalars",
        "scalar",
        "commit",
        "flush",
        "refresh",
        "delete",
        "merge",
        "bulk_save_objects",
        "bulk_insert_mappings",
        "bulk_update_mappings",
    }
)
_CONNECTION = frozenset({"execute", "exec_driver_sql", "scalar", "scalars", "commit"})
_DBAPI = frozenset(
    {"execute", "executemany", "executescript", "commit", "fetchone", "fetchall", "fetchmany"}
)
_MONGO = frozenset(
    {
        "find",
        "find_one",
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "replace_one",
        "delete_one",
        "delete_many",
        "aggregate",
        "count_documents",
        "distinct",
        "bulk_write",
        "find_one_and_update",
        "find_one_and_delete",
        "find_one_and_replace",
        "create_index",
        "list_collection_names",
        "command",
    }
)
PASSLIB_HASH_METHODS = frozenset({"hash", "verify", "verify_and_update", "encrypt"})
STRIPE_METHODS = frozenset(
    {"create", "retrieve", "modify", "list", "delete", "cancel", "capture", "confirm", "search"}
)
LOCAL_METHODS = frozenset(
    {
        "pipeline",
        "pubsub",
        "lock",
        "register_script",
        "close",
        "generate_presigned_url",
        "generate_presigned_post",
        "get_paginator",
        "get_waiter",
        "can_paginate",
        "with_options",
    }
)
ANY = frozenset({"*"})
SESSION_QUERIES = frozenset(
    {"get", "get_one", "execute", "exec", "scalar", "scalars", "query", "stream", "stream_scalars"}
)
STATEMENT_METHODS = frozenset({"execute", "scalars", "exec", "stream", "stream_scalars"})
SELECTS = frozenset(
    {
        "sqlalchemy.select",
        "sqlalchemy.future.select",
        "sqlalchemy.sql.select",
        "sqlalchemy.sql.expression.select",
        "sqlmodel.select",
        "sqlmodel.sql.expression.select",
    }
)
STATEMENTS = SELECTS | {
    f"{package}.{name}"
    for package in ("sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression", "sqlmodel")
    for name in ("text", "insert", "update", "delete")
}


@dataclass(frozen=True, slots=True)
class Receiver:
    """What blocks on an object of one type: some (or ``ANY``) of its methods and of those of
    the objects it hands out (a cursor, a connection, a pipeline)."""

    kind: str
    label: str
    methods: frozenset[str]
    derived: frozenset[str] = frozenset()


def _receivers() -> dict[str, Receiver]:
    table: dict[str, Receiver] = {}

    def add(names: str, receiver: Receiver) -> None:
        table.update(dict.fromkeys(names.split(), receiver))

    add(
        "requests.Session requests.sessions.Session",
        Receiver(NETWORK, "requests session", _HTTP | {"send"}),
    )
    add("httpx.Client", Receiver(NETWORK, "synchronous httpx client", _HTTP | {"send", "stream"}))
    add("subprocess.Popen", Receiver(PROCESS, "subprocess", frozenset({"communicate", "wait"})))
    add(
        "smtplib.SMTP smtplib.SMTP_SSL",
        Receiver(
            NETWORK,
            "SMTP connection",
            frozenset({"sendmail", "send_message", "login", "starttls", "connect", "ehlo", "quit"}),
        ),
    )
    add(
        "socket.socket socket.create_connection",
        Receiver(
            NETWORK,
            "socket",
            frozenset({"connect", "recv", "recv_into", "recvfrom", "send", "sendall", "accept"}),
        ),
    )
    add(" ".join(SYNC_SESSIONS), Receiver(DATABASE, "synchronous SQLAlchemy session", _SESSION))
    add(
        "sqlalchemy.create_engine sqlalchemy.engine.create_engine sqlmodel.create_engine "
        "sqlalchemy.Engine sqlalchemy.engine.Engine sqlalchemy.engine.base.Engine",
        Receiver(
            DATABASE,
            "synchronous SQLAlchemy engine",
            frozenset({"connect", "begin", "execute", "raw_connection"}),
            _CONNECTION,
        ),
    )
    add(
        "sqlalchemy.Connection sqlalchemy.engine.Connection sqlalchemy.engine.base.Connection",
        Receiver(DATABASE, "synchronous SQLAlchemy connection", _CONNECTION),
    )
    add(
        "sqlite3.connect sqlite3.Connection psycopg2.connect psycopg.connect pymysql.connect "
        "mysql.connector.connect",
        Receiver(DATABASE, "DB-API connection", _DBAPI, _DBAPI),
    )
    add(
        "redis.Redis redis.StrictRedis redis.client.Redis redis.client.StrictRedis redis.from_url "
        "redis.Redis.from_url redis.StrictRedis.from_url redis.client.Redis.from_url",
        Receiver(DATABASE, "synchronous Redis client", ANY, frozenset({"execute"})),
    )
    add(
        "pymongo.MongoClient pymongo.mongo_client.MongoClient",
        Receiver(DATABASE, "synchronous MongoDB client", _MONGO, _MONGO),
    )
    add(
        "boto3.client boto3.resource boto3.Session.client boto3.Session.resource "
        "boto3.session.Session.client boto3.session.Session.resource",
        Receiver(NETWORK, "boto3 client", ANY, ANY),
    )
    add(
        "passlib.context.CryptContext argon2.PasswordHasher pwdlib.PasswordHash",
        Receiver(HASHING, "password hasher", PASSLIB_HASH_METHODS, PASSLIB_HASH_METHODS),
    )
    add(
        "urllib3.PoolManager urllib3.HTTPConnectionPool urllib3.HTTPSConnectionPool",
        Receiver(NETWORK, "urllib3 pool", frozenset({"request", "urlopen"})),
    )
    add(
        "http.client.HTTPConnection http.client.HTTPSConnection",
        Receiver(NETWORK, "HTTP connection", frozenset({"request", "getresponse", "connect"})),
    )
    add(
        "elasticsearch.Elasticsearch openai.OpenAI openai.AzureOpenAI anthropic.Anthropic",
        Receiver(NETWORK, "synchronous API client", ANY, ANY),
    )
    add(
        "pathlib.Path pathlib.PosixPath",
        Receiver(
            FILE,
            "path",
            frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open"}),
        ),
    )
    return table


RECEIVERS = _receivers()


def _functions() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(kind: str, names: str) -> None:
        table.update(dict.fromkeys(names.split(), kind))

    for verb in _HTTP:
        add(NETWORK, f"requests.{verb} requests.api.{verb} httpx.{verb}")
    add(
        NETWORK,
        "httpx.stream urllib.request.urlopen urllib.request.urlretrieve socket.create_connection "
        "socket.getaddrinfo socket.gethostbyname smtplib.SMTP smtplib.SMTP_SSL",
    )
    add(SLEEP, "time.sleep")
    add(
        PROCESS,
        "subprocess.run subprocess.call subprocess.check_call subprocess.check_output "
        "subprocess.getoutput subprocess.getstatusoutput os.system os.popen",
    )
    add(
        DATABASE,
        "sqlite3.connect psycopg2.connect psycopg.connect pymysql.connect mysql.connector.connect",
    )
    add(HASHING, "bcrypt.hashpw bcrypt.checkpw bcrypt.kdf hashlib.pbkdf2_hmac hashlib.scrypt")
    add(
        FILE,
        "open io.open shutil.copyfileobj shutil.copyfile shutil.copy shutil.copy2 "
        "shutil.copytree shutil.rmtree shutil.move",
    )
    return table


FUNCTIONS = _functions()
PATH_ATTRIBUTES = frozenset({"parent"})
PATH_METHODS = frozenset(
    {"joinpath", "with_name", "with_suffix", "with_stem", "resolve", "absolute", "expanduser"}
)
OFFLINE_IMPORTS = ("alembic", "click", "typer")
OFFLINE_DIRECTORIES = frozenset({"scripts", "migrations", "alembic", "versions", "seeds"})
CONTEXT_MANAGERS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})
CACHES = frozenset(
    {"functools.cache", "functools.lru_cache", "functools.cached_property", "cachetools.cached"}
)
