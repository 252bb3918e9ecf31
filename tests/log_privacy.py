"""No personal data in the logs of a run of the suite: a pytest plugin that reads every log line.

What it reads, for each test's setup, call and teardown:
- every log record of the test process, formatted as the app's own handler formats it (a handler
  on the root logger collects them, wherever standard error points at the time: `flask` commands
  run by CliRunner, `pytest -s`);
- everything written to standard error (pytest captures it at the file-descriptor level, so the
  lines of the worker processes a test starts are there too);
and, at the end of the session, every `*.log` file the tests left under pytest's temporary
folder (gunicorn's access and error logs, the app's request logs of the load tests).

What it looks for: e-mail addresses, ticket codes (whole and short), self-service and import
links, bearer tokens and passwords written out, and every personal value the test stored: the
name, e-mail, self-service secret and ticket code of each registration and the e-mail of each
staff user, read from the test's database when its call ends (rows written by any process), or
seen by SQLAlchemy's ORM events; tests whose server process writes to a database of its own name
the values with `remember()`.

Not read: the output of a subprocess that a test reads through a pipe (the test checks it).
A test whose output holds personal data fails with the findings; files found at the end fail
the session.
"""
import logging
import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

PATTERNS = {
    "e-mail address": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "ticket code": re.compile(r"(?<![A-Za-z0-9])[A-Z2-7]{26}(?![A-Za-z0-9])"),
    "short ticket code": re.compile(r"(?<![A-Za-z0-9-])[A-Z2-7]{4}-[A-Z2-7]{4}(?![A-Za-z0-9-])"),
    "private link": re.compile(r"/(?:r|import)/(?!<)[A-Za-z0-9_-]{16,}"),
    "bearer token": re.compile(r"(?i)\bbearer\s+(?!<)[A-Za-z0-9_.~+/-]{16,}"),
    "password": re.compile(r"(?i)\bpassword[\"']?\s*[=:]\s*[\"']?(?!<)[^\s&\"',;<]{4,}"),
}
MIN_VALUE_LENGTH = 5  # shorter stored values ("Ann", "Bo") are too common as substrings to test
NOT_PERSONAL = {"Anonymised"}  # what the privacy purge writes in place of a name

_lock = threading.Lock()
_test_values = {}  # the current test's personal values -> their words
_session_values = {}  # every test's named or ORM-seen values, for the log files read at the end
_test_lines = []  # the current test's log records, formatted


def _words(value):
    return re.findall(r"\w+", value)


def remember(*values, session=True):
    """Count `values` as personal data that no log line may hold (a test that sends them to a
    server in another process calls this)."""
    kept = {str(v): _words(str(v)) for v in values
            if v and len(str(v)) >= MIN_VALUE_LENGTH and str(v) not in NOT_PERSONAL}
    kept = {value: words for value, words in kept.items() if words}
    with _lock:
        _test_values.update(kept)
        if session:
            _session_values.update(kept)


def findings(text, values=()):
    """Return the personal data found in `text`, as (kind, excerpt) pairs. `values`: personal
    values, or a mapping of them to their words (a value is looked for only where all its words are)."""
    found = []
    for kind, pattern in PATTERNS.items():
        found += [(kind, match.group(0)) for match in pattern.finditer(text)]
    if values:
        words = set(_words(text))
        pairs = values.items() if isinstance(values, dict) else ((v, _words(v)) for v in values)
        for value, needed in pairs:
            if all(word in words for word in needed) and (index := text.find(value)) >= 0:
                found.append(("stored personal value", text[max(0, index - 40):index + len(value) + 40]))
    return found


class _Collector(logging.Handler):
    """Every record of this process, formatted by the app's handler's formatter (or a plain one)."""

    def emit(self, record):
        try:
            from ticketing.logs import _MARK, TextFormatter
        except ImportError:
            _MARK, TextFormatter = None, logging.Formatter
        ours = next((h for h in logging.getLogger().handlers if _MARK and getattr(h, _MARK, False)), None)
        try:
            line = (ours.formatter if ours and ours.formatter else TextFormatter()).format(record)
        except Exception:  # noqa: BLE001: a record that cannot be formatted is not written either
            return
        with _lock:
            _test_lines.append(line)


def _stored_values(item):
    """The personal values in the test's database (registrations, tickets, staff users)."""
    app = item.funcargs.get("app") if hasattr(item, "funcargs") else None
    if app is None and isinstance(item.funcargs.get("live") if hasattr(item, "funcargs") else None, tuple):
        app = item.funcargs["live"][0]
    if app is None:
        return []
    try:
        from ticketing.extensions import db

        with app.app_context():
            values = []
            for query in ("SELECT name, email, secret FROM registrations", "SELECT code FROM tickets",
                          "SELECT email FROM users"):
                values += [v for row in db.session.execute(sa.text(query)) for v in row]
            db.session.remove()
            return values
    except Exception:  # noqa: BLE001: the database may be gone (fault tests): the events' values stay
        return []


def _watch_models():
    """Remember the personal values of registrations, tickets and users as they are written."""
    from ticketing.models import Registration, Ticket, User

    def registration(mapper, connection, target):
        remember(target.name, target.email, target.secret)

    def ticket(mapper, connection, target):
        remember(target.code)

    def user(mapper, connection, target):
        remember(target.email)

    for model, listener in ((Registration, registration), (Ticket, ticket), (User, user)):
        sa.event.listen(model, "before_insert", listener)
        sa.event.listen(model, "before_update", listener)


def pytest_configure(config):
    try:
        _watch_models()
    except ImportError:  # the plugin's own test runs it in a folder without the app
        pass
    logging.getLogger().addHandler(_Collector())
    config._log_privacy_files = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    with _lock:
        _test_values.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    with _lock:
        lines = list(_test_lines)
        _test_lines.clear()
    written = "\n".join(lines + [content for title, content in report.sections
                                  if title == f"Captured stderr {call.when}"])
    if not written:
        return
    if call.when == "call":
        remember(*_stored_values(item), session=False)
    with _lock:
        values = dict(_test_values)
    found = findings(written, values)
    if found and not report.failed:
        report.outcome = "failed"
        report.longrepr = "personal data in the logs:\n" + "\n".join(
            f"  {kind}: {excerpt!r}" for kind, excerpt in found[:20])


def pytest_sessionfinish(session, exitstatus):
    """Read the log files under this process's temporary folder. In a parallel run (pytest-xdist)
    each worker reads its own folder, with the values its tests stored, and sends its findings to
    the process that started the run (pytest_testnodedown), which reports them."""
    config = session.config
    if config.pluginmanager.hasplugin("dsession"):  # the controller of a parallel run: its workers read
        problems = config._log_privacy_files
    else:
        problems = _log_file_problems(config)
        if hasattr(config, "workeroutput"):
            config.workeroutput["log_privacy_files"] = problems
    config._log_privacy_files = problems
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """A worker of a parallel run has ended: keep what it found in its log files."""
    node.config._log_privacy_files += getattr(node, "workeroutput", {}).get("log_privacy_files", [])


def _log_file_problems(config):
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return []
    try:
        base = factory.getbasetemp()
    except (OSError, ValueError):
        return []
    with _lock:
        values = dict(_session_values)
    problems = []
    for path in sorted(Path(base).rglob("*.log")):
        found = findings(path.read_text(encoding="utf-8", errors="replace"), values)
        problems += [f"  {path.relative_to(base)}: {kind}: {excerpt!r}" for kind, excerpt in found[:5]]
    return problems


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    problems = getattr(config, "_log_privacy_files", [])
    if problems:
        terminalreporter.section("personal data in the log files", red=True)
        for line in problems[:50]:
            terminalreporter.write_line(line)
