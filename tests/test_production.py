"""Production serving: gunicorn with gunicorn.conf.py, /healthz, JSON logs, unsafe settings refused.

The gunicorn tests start the real server as a subprocess (on a free port, with the repository's
gunicorn.conf.py) on a SQLite file and on PostgreSQL, with Redis for the shared rate limits:
Redis tests skip when it does not answer, unless required (conftest.missing). Every server is
stopped by its pid at the end (SIGTERM, then SIGKILL).
"""
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import threading
import uuid

import httpx
import psycopg
import pytest

from conftest import empty_postgres, make_test_app
from gunicorn_support import BIN, Gunicorn, base_environment, closed_port, json_lines
from log_privacy import remember
from pages import hidden
from ticketing import create_app
from ticketing.config import ENV_KEYS
from ticketing.database import engine_options
from ticketing.production import UnsafeSettingsError

SECRET_KEY = secrets.token_hex(32)
SAFE = {  # a production configuration that passes the checks
    "TICKETING_ENV": "production",
    "SECRET_KEY": SECRET_KEY,
    "PUBLIC_URL": "https://tickets.example.org",
    "SESSION_COOKIE_SECURE": True,
    "TRUSTED_PROXIES": 1,  # https: a proxy serves it in front of gunicorn
    "RATELIMIT_STORAGE_URI": "memory://",
}
PEOPLE = [(f"Wiktoria Prodtest-{n}", f"wiktoria.prodtest{n}@example.org") for n in range(6)]


@pytest.fixture
def clean_environment(tmp_path, monkeypatch):
    """No deployment setting leaks in from the environment; instance/ is this test's."""
    for key in (*ENV_KEYS, "FLASK_DEBUG", "TICKETING_WORKERS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TICKETING_INSTANCE_PATH", str(tmp_path))
    return tmp_path


# --- start-up checks, in the process ----------------------------------------------------------------

UNSAFE = {
    "no secret key": ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
    "short secret key": ({"SECRET_KEY": "dev"}, "SECRET_KEY is too short (3 characters)"),
    "debug": ({"DEBUG": True}, "DEBUG is on"),
    "testing": ({"TESTING": True}, "TESTING is on"),
    "default public url": ({"PUBLIC_URL": "http://127.0.0.1:5000"}, "PUBLIC_URL is left at its default"),
    "public url not http": ({"PUBLIC_URL": "tickets.example.org"}, "is not an http:// or https:// address"),
    "insecure cookie over https": ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE is off while PUBLIC_URL is https"),
    "https without a trusted proxy": ({"TRUSTED_PROXIES": 0}, "TRUSTED_PROXIES is 0 while PUBLIC_URL is https"),
}


@pytest.mark.parametrize("case", UNSAFE, ids=list(UNSAFE))
def test_each_unsafe_setting_is_refused_in_production(case, clean_environment, sqlite_url):
    overrides, message = UNSAFE[case]
    with pytest.raises(UnsafeSettingsError) as refused:
        create_app({**SAFE, "DATABASE_URL": sqlite_url, **overrides})
    assert len(refused.value.problems) == 1 and message in str(refused.value)
    assert not (clean_environment / "secret_key").exists()  # refused before a key is generated


def test_memory_rate_limits_are_refused_with_several_workers_only(clean_environment, sqlite_url, monkeypatch):
    monkeypatch.setenv("TICKETING_WORKERS", "3")
    with pytest.raises(UnsafeSettingsError, match=r"RATELIMIT_STORAGE_URI is memory:// with 3 worker processes"):
        create_app({**SAFE, "DATABASE_URL": sqlite_url})
    create_app({**SAFE, "DATABASE_URL": sqlite_url, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
    create_app({**SAFE, "DATABASE_URL": sqlite_url, "RATELIMIT_ENABLED": False})  # no limits, nothing to share
    monkeypatch.setenv("TICKETING_WORKERS", "1")
    create_app({**SAFE, "DATABASE_URL": sqlite_url})


def test_safe_production_settings_start_and_hide_sql_parameters(clean_environment, sqlite_url):
    app = create_app({**SAFE, "DATABASE_URL": sqlite_url})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    assert app.config["SECRET_KEY"] == SECRET_KEY and not (clean_environment / "secret_key").exists()


def test_outside_production_nothing_is_refused(clean_environment, sqlite_url):
    app = create_app({"DATABASE_URL": sqlite_url, "DEBUG": True})
    assert app.config["TICKETING_ENV"] == "development" and len(app.config["SECRET_KEY"]) == 64
    assert "hide_parameters" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]


@pytest.mark.slow
def test_flask_commands_still_work_in_production_and_warn_about_unsafe_settings(tmp_path, sqlite_url):
    env = base_environment(tmp_path, TICKETING_ENV="production", DATABASE_URL=sqlite_url)
    result = subprocess.run([BIN / "flask", "outbox", "status"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "waiting: 0" in result.stdout
    warnings = [json.loads(line) for line in result.stderr.splitlines()]
    assert {"SECRET_KEY", "PUBLIC_URL"} <= {w["message"].split()[0] for w in warnings if w["level"] == "WARNING"}


# --- /healthz, in the process -----------------------------------------------------------------------

@pytest.fixture
def database_url(sqlite_url):
    """The in-process tests here do not depend on the database: SQLite only."""
    return sqlite_url


def test_healthz_answers_ok_without_a_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", [
    "postgresql://ticketing:hunter2-db-password@127.0.0.1:{port}/nowhere",
    "sqlite:////nonexistent-folder-{port}/ticketing.sqlite3",
])
def test_healthz_answers_503_when_the_database_is_unreachable(url, tmp_path):
    app = make_test_app(url.format(port=closed_port()), tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    assert "Set-Cookie" not in response.headers


@pytest.mark.slow
def test_healthz_answers_503_when_the_database_host_accepts_but_never_answers(tmp_path):
    """A host that completes the TCP handshake and then says nothing (a hung server, a firewall
    that drops packets) ends in a 503 after the connect timeout, not a request held forever."""
    silent = socket.create_server(("127.0.0.1", 0))  # the kernel accepts; nobody ever answers
    answers = []
    try:
        app = make_test_app(f"postgresql://ticketing@127.0.0.1:{silent.getsockname()[1]}/silent", tmp_path)
        thread = threading.Thread(target=lambda: answers.append(app.test_client().get("/healthz")), daemon=True)
        thread.start()
        thread.join(timeout=60)  # without a connect timeout the call would never come back
    finally:
        silent.close()
    assert answers and answers[0].status_code == 503
    assert answers[0].get_json() == {"status": "error", "database": "unreachable"}


def test_a_connect_timeout_in_database_url_wins():
    assert engine_options("postgresql+psycopg://db.example/app")["connect_args"] == {"connect_timeout": 5}
    assert "connect_args" not in engine_options("postgresql+psycopg://db.example/app?connect_timeout=30")


def test_healthz_recovers_by_itself_when_the_database_comes_back(tmp_path):
    folder = tmp_path / "not-yet"
    app = make_test_app(f"sqlite:///{folder}/ticketing.sqlite3", tmp_path)
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    folder.mkdir()
    assert client.get("/healthz").get_json() == {"status": "ok"}


# --- gunicorn ---------------------------------------------------------------------------------------

@pytest.fixture
def start_gunicorn(tmp_path):
    """Start gunicorn servers for a test; each is stopped at the end, whatever happened."""
    started = []

    def start(env, folder=None):
        server = Gunicorn(folder or tmp_path, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory, redis_url):
    """gunicorn with 3 workers on a database holding the demo festival, Redis for the limits."""
    folder = tmp_path_factory.mktemp(f"served-{request.param}")
    if request.param == "sqlite":
        path = folder / "ticketing.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    prefix = f"ticketing-prodtest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    # No TICKETING_ENV: gunicorn.conf.py marks production itself.
    env = base_environment(folder, DATABASE_URL=url, SECRET_KEY=SECRET_KEY, PUBLIC_URL="http://tickets.example.org",
                           RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix, WEB_CONCURRENCY=3)
    demo = subprocess.run([BIN / "flask", "demo"], env={**env, "TICKETING_ENV": "production"}, cwd=folder,
                          capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    server = Gunicorn(folder, env)
    try:
        assert server.wait_until_answering().status_code == 200
        yield server, url, signups(server)
    finally:
        server.stop()
        import redis

        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"LIMITS:LIMITER/{prefix}/*", count=1000))
        if keys:
            client.delete(*keys)


def signups(server):
    """Sign PEOPLE up through the form, all at once, as browsers would (a private link with a query
    string, a Referer and a User-Agent holding private values included); return, for each, the
    secret, the CSRF token and the session cookie."""
    with httpx.Client(base_url=server.url, follow_redirects=True, timeout=30) as client:
        page = client.get("/").text
    screening = re.search(r'href="/screenings/(\d+)"', page).group(1)
    secrets_, lock = [], threading.Lock()

    def sign_up(name, email):
        remember(name, email)  # stored by the server process: no log line may hold them
        with httpx.Client(base_url=server.url, timeout=60) as browser:
            form = browser.get(f"/screenings/{screening}").text
            answer = browser.post(f"/screenings/{screening}", data={
                "csrf_token": hidden(form, "csrf_token"), "form_key": hidden(form, "form_key"),
                "name": name, "email": email, "seats": "1"}, headers={"Referer": f"{server.url}/screenings/{screening}"})
            assert answer.status_code == 303, answer.text
            secret = answer.headers["Location"].rsplit("/r/", 1)[1]
            remember(secret)
            ticket = browser.get(f"/r/{secret}?email={email}", headers={
                "Referer": f"{server.url}/r/{secret}", "User-Agent": f"Phone of {name} <{email}>"})
            assert ticket.status_code == 200
            assert browser.get(f"/r/{secret}/ticket.png").status_code == 200
        with lock:
            secrets_.append((secret, hidden(form, "csrf_token"), browser.cookies.get("session")))

    threads = [threading.Thread(target=sign_up, args=person) for person in PEOPLE]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(secrets_) == len(PEOPLE)
    return secrets_


def ticket_codes(url):
    query = "SELECT code FROM tickets"
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return [row[0] for row in conn.execute(query)]
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute(query)]


@pytest.mark.slow
def test_several_workers_serve_the_requests(served):
    server = served[0]
    workers = server.workers()
    assert len(workers) == 3
    seen = set()

    def hammer():
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for _ in range(10):
                assert client.get("/healthz").json() == {"status": "ok"}

    for _ in range(50):  # until the access log shows two workers or more (3,000 requests at most)
        threads = [threading.Thread(target=hammer) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seen = {line["pid"] for line in json_lines(server.settled_logs()[0]) if line.get("path") == "/healthz"}
        if len(seen & workers) >= 2:
            break
    assert len(seen & workers) >= 2 and seen <= workers, (seen, workers)


@pytest.mark.slow
def test_logs_are_json_lines_without_personal_data(served):
    server, url, signed = served
    access, errors = (json_lines(text) for text in server.settled_logs())
    assert access and all(entry["logger"] == "gunicorn.access" for entry in access)
    for entry in access:
        assert {"time", "level", "message", "pid", "method", "path", "status", "duration_ms", "request_id"} <= set(entry)
        assert "?" not in entry["path"] and not {"referer", "user_agent", "remote_addr"} & set(entry)
    assert {"/r/<redacted>", "/r/<redacted>/ticket.png"} <= {entry["path"] for entry in access}
    requests = [entry for entry in errors if entry["logger"] == "ticketing.request"]
    assert {"/r/<secret>", "/r/<secret>/ticket.png", "/screenings/<int:screening_id>"} <= {e["route"] for e in requests}
    assert all({"request_id", "method", "route", "status", "duration_ms"} <= set(e) for e in requests)
    assert {e["request_id"] for e in requests} <= {e["request_id"] for e in access}  # one id in both logs
    assert any(e["logger"] == "ticketing.production" for e in errors)  # production, marked by gunicorn.conf.py
    codes = ticket_codes(url)
    assert len(codes) >= len(PEOPLE)
    private = [value for person in PEOPLE for value in person] + codes + [code[:4] + "-" + code[4:8] for code in codes]
    private += [value for row in signed for value in row if value]  # secrets, CSRF tokens, session cookies
    text = server.access() + server.errors()
    private += ["Phone of", SECRET_KEY]
    assert not [value for value in private if value in text]


@pytest.mark.slow
def test_healthz_answers_503_while_the_database_is_down_and_the_server_keeps_running(start_gunicorn, tmp_path):
    url = f"postgresql://ticketing:hunter2-db-password@127.0.0.1:{closed_port()}/nowhere"
    env = base_environment(tmp_path, DATABASE_URL=url, SECRET_KEY=SECRET_KEY, PUBLIC_URL="https://tickets.example.org",
                           SESSION_COOKIE_SECURE=1, TRUSTED_PROXIES=1, WEB_CONCURRENCY=1)
    server = start_gunicorn(env)
    first = server.wait_until_answering()
    for response in (first, httpx.get(server.url + "/healthz", timeout=10)):
        assert response.status_code == 503 and response.json() == {"status": "error", "database": "unreachable"}
    assert server.process.poll() is None and len(server.workers()) == 1
    assert "hunter2" not in server.errors() + server.access()
    assert any(e["message"] == "Health check failed: the database is unreachable (OperationalError)"
               for e in json_lines(server.errors()))


@pytest.mark.slow
def test_healthz_is_never_rate_limited(start_gunicorn, tmp_path, sqlite_url):
    (tmp_path / "config.py").write_text('RATELIMIT_APPLICATION = "3 per minute"\n')
    env = base_environment(tmp_path, DATABASE_URL=sqlite_url, SECRET_KEY=SECRET_KEY,
                           PUBLIC_URL="https://tickets.example.org", SESSION_COOKIE_SECURE=1, TRUSTED_PROXIES=1,
                           WEB_CONCURRENCY=1)
    server = start_gunicorn(env)
    server.wait_until_answering()
    assert [httpx.get(server.url + "/healthz").status_code for _ in range(8)] == [200] * 8
    assert 429 in [httpx.get(server.url + "/staff/login").status_code for _ in range(5)]  # the limit is on


REFUSED = {
    "no secret key": ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
    "debug": ({"FLASK_DEBUG": "1"}, "DEBUG is on"),
    "default public url": ({"PUBLIC_URL": None}, "PUBLIC_URL is left at its default"),
    "insecure cookie over https": ({"SESSION_COOKIE_SECURE": None}, "SESSION_COOKIE_SECURE is off"),
    "https without a trusted proxy": ({"TRUSTED_PROXIES": None}, "TRUSTED_PROXIES is 0 while PUBLIC_URL is https"),
    "memory limits with 2 workers": ({"WEB_CONCURRENCY": "2"}, "RATELIMIT_STORAGE_URI is memory:// with 2 worker processes"),
    "testing": ({"instance": "TESTING = True\n"}, "TESTING is on"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_gunicorn_refuses_each_unsafe_setting_with_its_message(case, start_gunicorn, tmp_path, sqlite_url):
    changes, message = REFUSED[case]
    changes = dict(changes)
    if "instance" in changes:
        (tmp_path / "config.py").write_text(changes.pop("instance"))
    values = {"DATABASE_URL": sqlite_url, "SECRET_KEY": SECRET_KEY, "PUBLIC_URL": "https://tickets.example.org",
              "SESSION_COOKIE_SECURE": "1", "TRUSTED_PROXIES": "1", "WEB_CONCURRENCY": "1", **changes}
    server = start_gunicorn(base_environment(tmp_path, **values))
    assert server.wait_for_exit() == 3
    lines = json_lines(server.errors())
    refusal = [line["message"] for line in lines if line["level"] == "ERROR"]
    assert refusal[0].startswith("Refusing to start with unsafe settings") and any(message in m for m in refusal[1:])
    assert not [line for line in lines if line["message"].startswith("Booting worker")]  # refused before any
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + "/healthz", timeout=2)
