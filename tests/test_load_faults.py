"""Load and faults over HTTP, against real gunicorn processes on SQLite and PostgreSQL (issue 6):
a thousand people racing for a hundred seats through four workers, the server killed with
SIGKILL in the middle of a sign-up rush, and the database restarted under load (PostgreSQL only:
an SQLite file has no server to restart).

The simulated people all come from 127.0.0.1, so the per-address limits are switched off here
(tests/test_rate_limits.py tests them); everything else is the app as served.
"""
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from common import Gunicorn, free_port, request  # noqa: E402  (the benchmarks' server and small HTTP client)

from conftest import missing  # noqa: E402
from log_privacy import remember  # noqa: E402
from ticketing.extensions import db  # noqa: E402
from ticketing.models import Registration, Screening, Ticket  # noqa: E402

# Four gunicorn workers and a thousand clients load the whole machine, and a private PostgreSQL
# server is started and stopped: these run alone, after the parallel part of `make test`.
pytestmark = [pytest.mark.serial, pytest.mark.slow]

TOKEN = re.compile(r'name="(csrf_token|form_key)" type="hidden" value="([^"]*)"')
SECRET = re.compile(r"/r/([A-Za-z0-9_-]+)$")


@pytest.fixture
def served(app, tmp_path):
    """How to start gunicorn on this test's database, with the per-address limits off."""
    (tmp_path / "config.py").write_text("RATELIMIT_ENABLED = False\n")
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    return lambda workers: Gunicorn(url, tmp_path, workers)


async def sign_up(port, screening_id, number):
    """Open the form (own session), then press Register; return (status, Location or "")."""
    status, cookie, page = await request(port, "GET", f"/screenings/{screening_id}")
    assert status == 200, status
    fields = dict(TOKEN.findall(page.decode()))
    fields.update(name=f"Person {number}", email=f"person{number}@example.org", seats="1")
    remember(fields["name"], fields["email"])  # stored by a server process: no log line may hold them
    status, _, _, location = await _post(port, f"/screenings/{screening_id}", cookie, urlencode(fields).encode())
    return status, location


async def _post(port, path, cookie, body):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nCookie: {cookie}\r\n"
                  f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body)
    data = await reader.read()
    writer.close()
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    location = next((line.split(":", 1)[1].strip() for line in head[1:] if line.lower().startswith("location:")), "")
    return int(head[0].split()[1]), cookie, data, location


async def crowd(port, screening_id, people, concurrency, on_answer=None):
    """`people` sign-ups at `concurrency`; return [(number, status or None, location)]."""
    answers, numbers = [], iter(range(people))

    async def person():
        for number in numbers:
            try:
                status, location = await sign_up(port, screening_id, number)
            except (OSError, IndexError, AssertionError, ValueError):
                status, location = None, ""  # no answer: the connection died with the server
            answers.append((number, status, location))
            if on_answer:
                on_answer(answers)

    await asyncio.gather(*(person() for _ in range(concurrency)))
    return answers


def consistent(screening_id):
    """No half-written registration: every confirmed one has its ticket, and the seat counter
    equals the confirmed seats. Returns (confirmed seats, waitlisted count)."""
    db.session.rollback()
    confirmed = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Registration.seats), 0))
                                  .where(Registration.screening_id == screening_id, Registration.status == "confirmed"))
    without_ticket = db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).outerjoin(Ticket, Ticket.registration_id == Registration.id)
        .where(Registration.status == "confirmed", Ticket.id.is_(None)))
    waitlisted = db.session.scalar(sa.select(sa.func.count()).select_from(Registration)
                                   .where(Registration.status == "waitlisted"))
    assert without_ticket == 0
    assert db.session.get(Screening, screening_id).seats_taken == confirmed
    return confirmed, waitlisted


def test_a_thousand_sign_ups_race_for_a_hundred_seats_across_four_workers(ctx, served, make_screening):
    sid = make_screening(capacity=100, max_seats=1)
    with served(4) as server:
        answers = asyncio.run(crowd(server.port, sid, 1000, 48))
    statuses = {status for _number, status, _location in answers}
    assert statuses == {303}, statuses  # every person answered, none with an error (no 500)
    assert consistent(sid) == (100, 900)  # exactly the hall: not one seat more


def test_a_server_killed_mid_rush_loses_no_confirmed_sign_up(ctx, served, make_screening):
    """SIGKILL to gunicorn and its workers after 150 answers; restarted, every registration the
    attendee was shown is there (R3), and none is half written."""
    sid = make_screening(capacity=10_000, max_seats=1)
    server = served(2).__enter__()
    group = os.getpgid(server.process.pid)

    def kill_at_150(answers):
        if len(answers) == 150:
            os.killpg(group, signal.SIGKILL)

    try:
        answers = asyncio.run(crowd(server.port, sid, 600, 24, on_answer=kill_at_150))
    finally:
        if server.process.poll() is None:
            os.killpg(group, signal.SIGKILL)
        server.process.wait(timeout=30)
    shown = [SECRET.search(location).group(1) for _n, status, location in answers if status == 303]
    assert 150 <= len(shown) < 600  # the kill came in the middle of the rush
    confirmed, _waiting = consistent(sid)
    stored = set(db.session.scalars(sa.select(Registration.secret).where(Registration.status == "confirmed")))
    assert set(shown) <= stored and confirmed == len(stored)
    with served(2) as again:  # and the restarted server serves every ticket it confirmed
        pages = asyncio.run(_open_all(again.port, shown[:50]))
    assert pages == [200] * min(50, len(shown))


async def _open_all(port, secrets):
    return [(await request(port, "GET", f"/r/{secret}"))[0] for secret in secrets]


# --- The database restarted under load (PostgreSQL: a private server this test may stop) -------

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


class PrivatePostgreSQL:
    """A PostgreSQL server of its own (initdb in a temporary folder), so that stopping it touches
    nobody else's database. Run as the `postgres` user when the tests run as root."""

    def __init__(self):
        if PG_BIN is None or not (PG_BIN / "initdb").exists():
            missing("postgres", "PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.folder = Path(tempfile.mkdtemp(prefix="ticketing-pg-", dir="/tmp"))
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.folder / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE ticketing")

    def _run(self, program, *args):
        subprocess.run([*self.as_user, str(PG_BIN / program), *args], check=True, capture_output=True, timeout=120)

    def url(self, name="ticketing"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def start(self):
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-w", "-l", str(self.folder / "log"), "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self):
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-w", "-m", "immediate", "stop")

    def remove(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # stopped already
        shutil.rmtree(self.folder, ignore_errors=True)


def test_the_database_restarted_under_load_gives_503_then_the_app_recovers_by_itself(tmp_path):
    """PostgreSQL stopped (as by a crash) while people read the festival page and sign up: every
    answer meanwhile is a clean 503 page (nothing saved, Retry-After), never a 500; started again,
    the same gunicorn workers serve again without a restart, and nothing answered is lost."""
    from conftest import _migrate, make_test_app
    from ticketing.models import Event

    server = PrivatePostgreSQL()
    try:
        _migrate(server.url(), tmp_path)
        app = make_test_app(server.url(), tmp_path)
        with app.app_context():
            event = Event(slug="fest", name="Test Festival", timezone="Europe/Brussels", is_published=True)
            db.session.add(event)
            db.session.flush()
            screening = Screening(event_id=event.id, title="Film", capacity=5000, max_seats=1, is_published=True,
                                  starts_at=datetime.now(timezone.utc) + timedelta(days=3))
            db.session.add(screening)
            db.session.commit()
            sid = screening.id
            db.engine.dispose()
        (tmp_path / "config.py").write_text("RATELIMIT_ENABLED = False\n")
        with Gunicorn(server.url(), tmp_path, 2) as web:
            pids_before = _worker_pids(web.process.pid)
            phases = asyncio.run(_load_through_a_restart(web.port, sid, server))
            assert _worker_pids(web.process.pid) == pids_before  # no worker died or was replaced
    finally:
        server.remove()
    before, down, after = phases
    assert before and {status for status, _ in before} <= {200, 303}
    assert down and {status for status, _ in down} == {503}, {status for status, _ in down}
    assert all(retry == "5" for _status, retry in down)
    assert after and {status for status, _ in after} <= {200, 303}


async def _load_through_a_restart(port, screening_id, server):
    """Sign-ups and page reads before, during and after the database's restart."""
    phases, number = [], 0

    async def burst(count):
        nonlocal number
        answers = []
        for _ in range(count):
            number += 1
            answers.append(await _read(port, "/e/fest"))
            status, _location = await sign_up(port, screening_id, number) if answers[-1][0] == 200 else (None, "")
            if status is not None:
                answers.append((status, ""))
        return answers

    phases.append(await burst(10))
    await asyncio.to_thread(server.stop)
    phases.append(await burst(10))
    await asyncio.to_thread(server.start)
    await asyncio.sleep(1)
    phases.append(await burst(10))
    return phases


async def _read(port, path):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    retry = next((line.split(":", 1)[1].strip() for line in head[1:] if line.lower().startswith("retry-after:")), "")
    return int(head[0].split()[1]), retry


def _worker_pids(master):
    children = Path(f"/proc/{master}/task/{master}/children")
    return sorted(children.read_text().split()) if children.exists() else []
