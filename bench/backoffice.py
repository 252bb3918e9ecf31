"""Back-office benchmark: the organizer's pages and exports with 100,000 registrations in one event.

Fills the demo festival's event with registrations spread over its screenings (Core bulk inserts,
with their tickets and some check-ins; the first screening has started an hour ago, so that its
door and no-show figures are real), then measures, over HTTP against gunicorn (one sync worker,
logged in as an admin through the real login form): the attendee lists (first page and a
search), the dashboards, and the CSV and XLSX exports of the whole event. Prints the median time
of several runs per operation and database, and for the exports the worker's peak resident
memory (VmHWM) after each export, next to its size before the first one.

    .venv/bin/python bench/backoffice.py [--registrations 100000] [--runs 5] [--export-runs 3]
                                         [--databases sqlite,postgresql]
"""
import argparse
import asyncio
import os
import platform
import re
import statistics
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from common import BIN, ROOT, Gunicorn, app_env, engine_for, prepare_database, request

ADMIN, PASSWORD = "bench-admin@example.org", "a long enough bench secret"
FIRST = ["Aliya", "Baqyt", "Çağrı", "Zoë", "Jean", "Marie", "Nurlan", "Әлия", "Дана", "Pieter", "Sofie", "Timur"]
LAST = ["Şahin", "Anuarbek", "Dubois", "Janssens", "Qasymov", "Peeters", "Ерланқызы", "Lefèvre", "Nurlanuly"]
CHUNK = 10_000


def fill(url, count):
    """Insert `count` registrations with tickets into the event's screenings; return
    (event id, screening ids, seconds taken)."""
    from ticketing.models import CheckIn, Registration, Screening, Ticket, utcnow
    from ticketing.services.tickets import new_code, new_secret

    started = time.perf_counter()
    engine = engine_for(url)
    now = utcnow()
    with engine.begin() as conn:
        screenings = conn.execute(sa.select(Screening.id, Screening.event_id).order_by(Screening.starts_at)).all()
        event_id, ids = screenings[0].event_id, [s.id for s in screenings]
        per = count // len(ids) + 1
        for index, screening_id in enumerate(ids):
            # The first screening began an hour ago: it has a door log and no-shows to count.
            starts = now - timedelta(hours=1) if index == 0 else now + timedelta(days=index)
            conn.execute(sa.update(Screening).where(Screening.id == screening_id)
                         .values(capacity=per * 2, starts_at=starts, registration_opens_at=None, registration_closes_at=None))
    next_id = 1
    confirmed_seats = dict.fromkeys(ids, 0)
    for offset in range(0, count, CHUNK):
        registrations, tickets, checkins = [], [], []
        for i in range(offset, min(offset + CHUNK, count)):
            screening_id = ids[i % len(ids)]
            name = f"{FIRST[i % len(FIRST)]} {LAST[i // 7 % len(LAST)]} {i}"
            seats = 1 + (i % 10 == 0)
            status = "waitlisted" if i % 50 == 1 else "cancelled" if i % 40 == 3 else "confirmed"
            created = now - timedelta(days=30) + timedelta(seconds=i * 25)
            registrations.append(dict(
                id=next_id, screening_id=screening_id, name=name, name_normalized=name.casefold(),
                email=f"person{i}@example.org", email_normalized=f"person{i}@example.org", seats=seats,
                locale="en", status=status, secret=new_secret(), form_key=None, source="public", note="",
                created_by_id=None, created_at=created, cancelled_at=None, cancel_reason="",
            ))
            admitted = seats if screening_id == ids[0] and status == "confirmed" and i % 5 else 0
            scanned = now - timedelta(hours=1, minutes=45) + timedelta(seconds=(i * 7) % 6000)
            tickets.append(dict(id=next_id, registration_id=next_id, code=new_code(), seats=seats, admitted=admitted,
                                first_admitted_at=scanned if admitted else None,
                                last_admitted_at=scanned if admitted else None, created_at=created))
            if admitted:
                checkins.append(dict(ticket_id=next_id, screening_id=screening_id, scanned_code="", seats=seats,
                                     result="admitted", reason="", scanned_at=scanned, recorded_at=scanned))
            if status == "confirmed":
                confirmed_seats[screening_id] += seats
            next_id += 1
        with engine.begin() as conn:
            conn.execute(sa.insert(Registration), registrations)
            conn.execute(sa.insert(Ticket), tickets)
            if checkins:
                conn.execute(sa.insert(CheckIn), checkins)
    with engine.begin() as conn:
        for screening_id, seats in confirmed_seats.items():
            conn.execute(sa.update(Screening).where(Screening.id == screening_id).values(seats_taken=seats))
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval('registrations_id_seq', (SELECT MAX(id) FROM registrations))"))
            conn.execute(sa.text("SELECT setval('tickets_id_seq', (SELECT MAX(id) FROM tickets))"))
            conn.execute(sa.text("ANALYZE"))
        else:
            conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    return event_id, ids, time.perf_counter() - started


def has_attendee_lists(url, folder):
    """Whether the app has the attendee list pages (built by another part of issue 4)."""
    code = ("from app import app; r = {x.endpoint for x in app.url_map.iter_rules()}; "
            "print('admin.attendees' in r and 'admin.event_attendees' in r)")
    out = subprocess.run([BIN / "python", "-c", code], env=app_env(url, folder), cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return out.strip().endswith("True")


async def login(port):
    status, cookie, page = await request(port, "GET", "/staff/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]*)"', page).group(1).decode()
    body = urlencode({"email": ADMIN, "password": PASSWORD, "csrf_token": token}).encode()
    status, cookie, _ = await request(port, "POST", "/staff/login", cookie=cookie, body=body)
    assert status == 303, f"login failed: {status}"
    return cookie


def worker_peak_mb(server):
    """The peak resident memory (VmHWM) of gunicorn's single worker, in MB."""
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.process.pid)],
                              capture_output=True, text=True, check=True).stdout.split()
    status = Path(f"/proc/{children[0]}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def measure(port, cookie, path, runs):
    """Median wall time in ms of GET `path` (the whole body read); fails on a non-200."""
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        status, _, body = asyncio.run(request(port, "GET", path, cookie=cookie))
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, f"{path}: {status}"
        size = len(body)
    return statistics.median(times), size


def one_database(kind, count, runs, export_runs):
    """Fill a fresh database and measure every operation; return {operation: (ms, extra)}."""
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        url = prepare_database(kind, folder)
        subprocess.run([BIN / "flask", "users", "create", ADMIN, "--role", "admin", "--password-stdin"],
                       input=PASSWORD + "\n", env=app_env(url, folder), cwd=ROOT, check=True, capture_output=True, text=True)
        event_id, ids, seconds = fill(url, count)
        results["fill (Core bulk inserts), s"] = (seconds * 1000, "")
        pages = [
            ("dashboard, all events", "/admin/dashboard"),
            ("dashboard, event", f"/admin/events/{event_id}/dashboard"),
            ("dashboard, screening", f"/admin/screenings/{ids[0]}/dashboard"),
        ]
        if has_attendee_lists(url, folder):
            pages = [
                ("attendees, screening, page 1", f"/admin/screenings/{ids[0]}/attendees"),
                ("attendees, screening, ?q=Şahin", f"/admin/screenings/{ids[0]}/attendees?q=%C5%9Eahin"),
                ("attendees, event, page 1", f"/admin/events/{event_id}/attendees"),
                ("attendees, event, ?q=person4242", f"/admin/events/{event_id}/attendees?q=person4242"),
            ] + pages
        else:
            print(f"  ({kind}: the attendee list pages are not in the app yet: skipped)", flush=True)
        with Gunicorn(url, folder, 1) as server:
            cookie = asyncio.run(login(server.port))
            for label, path in pages:
                measure(server.port, cookie, path, 1)  # warm-up: templates, caches, query plans
                results[label] = measure(server.port, cookie, path, runs)[0], ""
            results["worker peak memory before the exports, MB"] = (worker_peak_mb(server), "")
            for fmt in ("csv", "xlsx"):
                ms, size = measure(server.port, cookie, f"/admin/events/{event_id}/export.{fmt}?what=attendees", export_runs)
                results[f"export {fmt.upper()}, event attendees"] = (ms, f"{size / 1e6:.1f} MB")
                results[f"worker peak memory after {fmt.upper()}, MB"] = (worker_peak_mb(server), "")
        if kind == "postgresql":
            drop_database(url)
    return results


def drop_database(url):
    """Drop the benchmark's PostgreSQL database (about 90 MB at 100,000 registrations)."""
    import psycopg

    target = sa.engine.make_url(url)
    admin = target.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {target.database} WITH (FORCE)")


def main():
    # A whole event's XLSX takes longer than gunicorn's default 30 s worker timeout here.
    os.environ["GUNICORN_CMD_ARGS"] = "--timeout 600"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--export-runs", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    kinds = args.databases.split(",")
    print(f"{args.registrations} registrations in one event; gunicorn, 1 sync worker, HTTP with an admin session; "
          f"median of {args.runs} runs ({args.export_runs} for exports); {os.cpu_count()} CPUs, "
          f"{platform.machine()}, Python {platform.python_version()}; {time.strftime('%Y-%m-%d')}", flush=True)
    by_kind = {kind: one_database(kind, args.registrations, args.runs, args.export_runs) for kind in kinds}
    operations = list(next(iter(by_kind.values())))
    print(f"{'operation':<46}" + "".join(f"{kind + ' median ms':>24}" for kind in kinds))
    for op in operations:
        cells = []
        for kind in kinds:
            value, extra = by_kind[kind].get(op, (None, ""))
            if value is None:
                cells.append("—")
            elif op.endswith(", s"):
                cells.append(f"{value / 1000:.1f} s")
            elif op.endswith("MB"):
                cells.append(f"{value:.0f} MB")
            else:
                cells.append(f"{value:.0f}" + (f" ({extra})" if extra else ""))
        print(f"{op:<46}" + "".join(f"{cell:>24}" for cell in cells))


if __name__ == "__main__":
    main()
