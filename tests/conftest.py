"""Fixtures: an app per test on a freshly migrated SQLite file or PostgreSQL database.

PostgreSQL tests use TEST_DATABASE_URL, else a local server at 127.0.0.1:5432; they skip when
none answers, unless TICKETING_REQUIRE_POSTGRES=1 (set by .ci/run), which makes them fail.
"""
import os
import shutil
from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from jinja2 import BytecodeCache

from ticketing import create_app
from ticketing.extensions import db
from ticketing.models import Event, Screening, utcnow
from ticketing.services import accounts

ADMIN_PASSWORD = "a long enough secret"
# Staff passwords hashed cheaply in tests (the real scrypt costs ~0.1 s to make and again to check,
# at each of the suite's many logins); test_staff checks what a real deployment stores.
accounts.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

pytest_plugins = ["browser_support", "log_privacy"]  # browser fixtures; the check that no log line holds personal data

PG_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("TICKETING_REQUIRE_POSTGRES") == "1"
# Every table of the app, children first: emptied with DELETE, then the ids start again at 1.
# (TRUNCATE took about 180 ms a test on this machine, these DELETEs about 40 ms, connection included.)
EMPTY_POSTGRES = "".join(f"DELETE FROM {table.name};" for table in reversed(db.metadata.sorted_tables)) + """
DO $$ DECLARE s record; BEGIN
  FOR s IN SELECT schemaname, sequencename FROM pg_sequences WHERE schemaname = current_schema() LOOP
    EXECUTE format('ALTER SEQUENCE %I.%I RESTART', s.schemaname, s.sequencename);
  END LOOP;
END $$;"""


def empty_postgres(url):
    """Empty the PostgreSQL test database `url` (migrated once) for the next test."""
    with psycopg.connect(url) as conn:
        conn.execute(EMPTY_POSTGRES)


class SharedTemplateCache(BytecodeCache):
    """Jinja's compiled templates kept in memory for the whole run: each test builds its own app,
    and compiling every template again for each was a good part of a short test's time. (Jinja
    keys each entry by the template's name and a checksum of its source.)"""

    def __init__(self):
        self.entries = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.entries:
            bucket.bytecode_from_string(self.entries[bucket.key])

    def dump_bytecode(self, bucket):
        self.entries[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedTemplateCache()


def pytest_collection_modifyitems(config, items):
    """Run the slow multi-process and browser tests last, so quick failures show first."""
    items.sort(key=lambda item: ("browser" in item.nodeid, "concurrency" in item.nodeid))


def _pg_url(dbname):
    return sa.engine.make_url(PG_SERVER).set(database=dbname).render_as_string(hide_password=False)


def _pg_admin():
    return psycopg.connect(
        sa.engine.make_url(PG_SERVER).set(drivername="postgresql").render_as_string(hide_password=False),
        autocommit=True,
        connect_timeout=3,
    )


def make_test_app(database_url, instance_path, **overrides):
    """Create an app for tests on `database_url`."""
    os.environ["TICKETING_INSTANCE_PATH"] = str(instance_path)
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


def _migrate(database_url, instance_path):
    app = make_test_app(database_url, instance_path)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A PostgreSQL database of this test run, migrated once; dropped at the end."""
    try:
        admin = _pg_admin()
    except psycopg.OperationalError as error:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (TICKETING_REQUIRE_POSTGRES=1) but: {error}")
        pytest.skip(f"no PostgreSQL server answers: {error}")
    name = f"ticketing_test_{os.getpid()}"
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    url = _pg_url(name)
    _migrate(url, tmp_path_factory.mktemp("pg-instance"))
    yield url
    with _pg_admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file that each test copies."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path):
    """A fresh migrated SQLite file, for modules whose tests do not depend on the database (they
    override `database_url` with it, so that they do not run twice)."""
    path = tmp_path / "test.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty, migrated database: a SQLite file, or the PostgreSQL test database truncated."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture
def app(database_url, tmp_path):
    """The app on this test's database."""
    app = make_test_app(database_url, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An app context, for calling services directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(app, client):
    """The test client, logged in as an admin (test modules may define their own `admin`)."""
    from pages import hidden
    from ticketing.services.accounts import create_user

    with app.app_context():
        create_user("admin@example.org", "admin", ADMIN_PASSWORD)
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"email": "admin@example.org", "password": ADMIN_PASSWORD,
                                      "csrf_token": hidden(page, "csrf_token")})
    return client


@pytest.fixture
def inbox(app):
    """A real SMTP server on 127.0.0.1, and the app set to send to it."""
    from mail_support import PUBLIC_URL, Inbox, SMTPServer

    handler = Inbox()
    controller = SMTPServer(handler, hostname="127.0.0.1", port=0)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, PUBLIC_URL=PUBLIC_URL,
                      MAIL_DEFAULT_SENDER="tickets@festival.example")
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def make_event(app):
    """Create an event (defaults: a festival in Brussels) and return its id."""

    def make(**fields):
        values = dict(slug="fest", name="Test Festival", timezone="Europe/Brussels", venue="Hall A")
        values.update(fields)
        with app.app_context():
            event = Event(**values)
            db.session.add(event)
            db.session.commit()
            return event.id

    return make


@pytest.fixture
def make_screening(app, make_event):
    """Create a screening (defaults: open now, starts in 10 days, 50 seats) and return its id."""

    def make(event_id=None, **fields):
        if event_id is None:
            with app.app_context():
                event_id = db.session.scalar(sa.select(Event.id).limit(1)) or make_event()
        values = dict(
            title="Test Film",
            starts_at=utcnow() + timedelta(days=10),
            capacity=50,
            max_seats=4,
        )
        values.update(fields)
        with app.app_context():
            screening = Screening(event_id=event_id, **values)
            db.session.add(screening)
            db.session.commit()
            return screening.id

    return make
