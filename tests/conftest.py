"""Fixtures: an app per test on a freshly migrated SQLite file or PostgreSQL database.

PostgreSQL tests use TEST_DATABASE_URL, else a local server at 127.0.0.1:5432; they skip when
none answers, unless TICKETING_REQUIRE_POSTGRES=1 or CI=true (set by .ci/run), which make them fail.
In a parallel run (pytest-xdist) each worker has a database of its own (isolation.py).

Markers (pyproject.toml) are put on tests here, from what they use: `postgres` (the PostgreSQL
database), `browser` (Chromium); modules mark themselves `slow` or `serial`.
"""
import os
import shutil
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from werkzeug.routing import Rule

import factories
import isolation
from ticketing import create_app
from ticketing.config import Defaults
from ticketing.extensions import db
from ticketing.models import Event, Screening, utcnow
from ticketing.services import accounts

# Staff passwords hashed cheaply in tests (the real scrypt costs ~0.1 s to make and again to check,
# at each of the suite's many logins); test_staff checks what a real deployment stores.
accounts.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

pytest_plugins = ["browser_support", "log_privacy"]  # browser fixtures; the check that no log line holds personal data

PG_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# The font PDF tickets embed, where the app will look for it (TICKET_FONT_DIR, else Debian's folder).
FONT_FILE = Path(os.environ.get("TICKET_FONT_DIR") or Defaults.TICKET_FONT_DIR) / "DejaVuSans.ttf"
REDIS_SERVER = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_URL = isolation.redis_url(REDIS_SERVER)  # this worker's database number on it


def required(what):
    """Whether a missing `what` ("postgres", "browser", "redis", "tools") fails the tests that need
    it instead of skipping them: in CI (CI=true, set by .ci/run), or when TICKETING_REQUIRE_<WHAT>=1."""
    return os.environ.get("CI") == "true" or os.environ.get(f"TICKETING_REQUIRE_{what.upper()}") == "1"


def missing(what, reason):
    """Skip the test because `reason` (a tool it needs is missing), or fail it when `what` is required."""
    if required(what):
        pytest.fail(f"{reason} (required: CI=true or TICKETING_REQUIRE_{what.upper()}=1)", pytrace=False)
    pytest.skip(reason)

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


def _cache_route_builders():
    """Werkzeug compiles two Python functions for each URL rule of each app (about 80 ms of every
    test's app, ~70 rules); the functions depend only on the rule's text, its parts and defaults,
    so the tests' apps share them. Without werkzeug's internals as known, nothing is cached."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "shared", False):
        return
    built = {}

    def shared_builder(self, append_unknown=True):
        try:
            key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())),
                   tuple(sorted((name, type(c).__name__) for name, c in self._converters.items())),
                   append_unknown)
        except (AttributeError, TypeError):
            return compile_builder(self, append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    shared_builder.shared = True
    Rule._compile_builder = shared_builder


def _cache_route_parsing():
    """Parsing each rule into its parts, converters and regular expressions was the other half of
    every test app's routing cost (5 % of the suite's CPU): the parts depend only on the rule's text
    and the map's settings, and werkzeug's converters keep nothing of their map once made, so a
    rule parsed once is copied into the next app's rule of the same text."""
    compile_rule = getattr(Rule, "compile", None)
    if compile_rule is None or getattr(compile_rule, "shared", False):
        return
    parsed = {}

    def shared_compile(self):
        try:
            key = (self.rule, self.map.host_matching, self.host, self.subdomain, self.merge_slashes,
                   repr(sorted((self.defaults or {}).items())), tuple(sorted(self.map.converters.items())))
        except (AttributeError, TypeError):
            return compile_rule(self)
        if key not in parsed:
            compile_rule(self)
            parsed[key] = (list(self._parts), list(self._trace), dict(self._converters), set(self.arguments))
            return
        parts, trace, converters, arguments = parsed[key]
        self._parts, self._trace, self._converters = list(parts), list(trace), dict(converters)
        self.arguments.update(arguments)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    shared_compile.shared = True
    Rule.compile = shared_compile


def pytest_collection_modifyitems(config, items):
    """Mark each test by what it uses (`postgres`, `browser`); run the slow multi-process and
    browser tests last, so quick failures show first."""
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params
        fixtures = getattr(item, "fixturenames", ())
        if "postgres_url" in fixtures or (params and "postgresql" in params.values()):
            item.add_marker(pytest.mark.postgres)
        if "playwright" in fixtures:
            item.add_marker(pytest.mark.browser)
        if "inbox" in fixtures or "pdf" in item.name.lower():  # a ticket e-mail carries the PDF
            item.add_marker(pytest.mark.pdf)
    items.sort(key=lambda item: (item.get_closest_marker("browser") is not None,
                                 item.get_closest_marker("slow") is not None))


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
    """This worker's PostgreSQL database: a copy of the run's template (migrated once, by the
    first worker that needs it); dropped at the end (the template by the process that started the run)."""
    try:
        admin = _pg_admin()
    except psycopg.OperationalError as error:
        missing("postgres", f"no PostgreSQL server answers: {error}")
    name, template = isolation.database_name(), isolation.template_name()
    with admin:
        # One worker at a time: the first migrates the template (under a temporary name, so that
        # a failed migration leaves no template behind); each copies it.
        admin.execute("SELECT pg_advisory_lock(hashtext(%s))", [template])
        try:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone() is None:
                admin.execute(f"DROP DATABASE IF EXISTS {template}_new WITH (FORCE)")
                admin.execute(f"CREATE DATABASE {template}_new")
                _migrate(_pg_url(f"{template}_new"), tmp_path_factory.mktemp("pg-instance"))
                admin.execute(f"ALTER DATABASE {template}_new RENAME TO {template}")
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        finally:
            admin.execute("SELECT pg_advisory_unlock(hashtext(%s))", [template])
    yield _pg_url(name)
    with _pg_admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _cache_regex_strategies():
    """Schemathesis builds its requests' strategies when the suite is collected, in every worker:
    the name's pattern (a character class of every code point but the hidden ones, 1.1 million)
    was turned into a Hypothesis strategy 39 times, one code point at a time: 16 of the 23 s that
    collecting the suite took. A strategy is immutable, and the one of a pattern depends only on
    its text, its flags and its alphabet, so the first one made is handed out again."""
    from hypothesis.strategies._internal import regex

    build = getattr(regex, "base_regex_strategy", None)
    if build is None or getattr(build, "shared", False):
        return
    made = {}

    def shared_build(pattern, *, parsed=None, alphabet):
        try:
            key = (pattern.pattern, pattern.flags, repr(alphabet))
        except AttributeError:
            return build(pattern, parsed=parsed, alphabet=alphabet)
        if key not in made:
            made[key] = build(pattern, parsed=parsed, alphabet=alphabet)
        return made[key]

    shared_build.shared = True
    regex.base_regex_strategy = shared_build


def pytest_configure(config):
    isolation.run_id()  # made here, before xdist starts the workers, which inherit it
    _cache_route_builders()
    _cache_route_parsing()
    _cache_regex_strategies()


def pytest_unconfigure(config):
    """The process that started the run drops the run's PostgreSQL template, if one was made."""
    if hasattr(config, "workerinput"):
        return
    try:
        with _pg_admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {isolation.template_name()} WITH (FORCE)")
    except psycopg.OperationalError:
        pass


@pytest.fixture(scope="session")
def redis_url():
    """This worker's database on the test Redis server (TEST_REDIS_URL, default
    redis://127.0.0.1:6379/0, plus the worker's index); skips when none answers (fails when required)."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:  # ImportError, ConnectionError, a timeout...
        missing("redis", f"no Redis answers at {REDIS_SERVER}: {error}")
    return REDIS_URL


def pytest_terminal_summary(terminalreporter):
    """The skipped tests, counted by reason (a missing tool skips hundreds; one line each says it)."""
    reasons = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        terminalreporter.section("skipped, by reason")
        for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
            terminalreporter.write_line(f"{count:5d}  {reason}")


@pytest.fixture(autouse=True)
def _fonts_for_pdf_tickets(request):
    """Tests marked `pdf` need the fonts PDF tickets embed (Debian: fonts-dejavu-core)."""
    if request.node.get_closest_marker("pdf") and not FONT_FILE.exists():
        missing("tools", f"{FONT_FILE} is missing: PDF tickets cannot be made (apt-get install fonts-dejavu-core)")


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
    """The test client, logged in as admin@example.org; with its `user_id` and the CSRF token of
    its session (`csrf`)."""
    return factories.logged_in(app, "admin", client=client)


@pytest.fixture
def booked(ctx):
    """Book `seats` for a new person (`name`) on screening `sid`; return the ticket's code."""
    numbers = iter(range(1, 100_000))

    def book(sid, seats=1, name="Алия Ануарбек", email=None):
        return factories.make_ticket(sid, name, email or f"person{next(numbers)}@example.org", seats)

    return book


@pytest.fixture
def door_user(app):
    """A door volunteer's account (door@example.org), not logged in; its id."""
    return factories.make_user(app, "door@example.org", "door")


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
