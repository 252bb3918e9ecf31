"""Engine set-up per database, and the write transaction that keeps booking race-free.

SQLite: every connection runs in WAL mode with a busy timeout and synchronous=FULL; Python's sqlite3 driver is put in
autocommit mode so that SQLAlchemy's own BEGIN is the one that counts, and a write transaction
begins IMMEDIATE (it takes the write lock first, so a read inside it never goes stale).
PostgreSQL: READ COMMITTED; the services lock the rows they guard, always in one order so that
two transactions never wait for each other: screenings (by id), then registrations, then their
tickets and check-ins.
"""
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import make_url

from .extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15000
POSTGRES_CONNECT_TIMEOUT_S = 5


def engine_options(uri):
    """Return create_engine() options suited to the database behind `uri`."""
    if uri.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    options = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}
    # A database host that accepts the connection but never answers (or drops packets) would hold
    # each request, and /healthz, until the worker's timeout: give up connecting after a few
    # seconds and answer 503. A connect_timeout in DATABASE_URL's query wins.
    if "connect_timeout" not in make_url(uri).query:
        options["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
    return options


def configure_engine(engine):
    """Install the per-connection settings that the domain rules rely on."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # FULL: a commit reaches the disk before the answer, even if the machine dies next (R3).
        # It cost about 5% of sign-up throughput here (bench/signup_rush.py, 4 workers).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if connection.get_execution_options().get("write_lock"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction():
    """Run the block in one write transaction on the request's session; commit or roll back.

    On SQLite the transaction takes the write lock at BEGIN. Any transaction the session
    already had is rolled back first, so that the write lock is taken at the start.
    """
    session = db.session
    session.rollback()
    session.connection(execution_options={"write_lock": True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
