"""Sign-up rush benchmark: the real form, CSRF included, against gunicorn on SQLite and PostgreSQL.

The moment sign-up opens: every simulated person has the screening page open (GET: their own
session cookie, CSRF token and form key, fetched first and timed apart), then all press Register
(POST) at the given concurrency. Prints, per database and worker count, the median of several
runs: sign-ups per second, p50 and p99 latency of the POST, HTTP errors (worst run), oversold
seats (confirmed seats beyond capacity, counted in the database; worst run), and the rate at
which the form page itself was served.

    .venv/bin/python bench/signup_rush.py [--signups 2000] [--concurrency 32] [--workers 1,4]
                                          [--databases sqlite,postgresql] [--runs 3]
"""
import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TOKEN = re.compile(r'name="(csrf_token|form_key)" type="hidden" value="([^"]*)"')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(kind, folder, capacity):
    """Create an empty migrated database with one screening; return its URL."""
    if kind == "sqlite":
        url = f"sqlite:///{folder}/bench.sqlite3"
    else:
        name = f"ticketing_bench_{os.getpid()}"
        admin_url = sa.engine.make_url(PG_SERVER).set(drivername="postgresql")
        with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
        url = admin_url.set(database=name).render_as_string(hide_password=False)
    env = app_env(url, folder)
    subprocess.run([BIN / "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([BIN / "flask", "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE screenings SET capacity = :c, max_seats = 1 WHERE id = 1"), {"c": capacity})
    engine.dispose()
    return url


def app_env(url, folder):
    env = dict(os.environ)
    env.update(DATABASE_URL=url, TICKETING_INSTANCE_PATH=str(folder), SECRET_KEY="bench-secret", FLASK_APP="app.py")
    return env


def start_gunicorn(url, folder, workers, port):
    process = subprocess.Popen(
        [BIN / "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning", "app:app"],
        env=app_env(url, folder), cwd=ROOT, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/screenings/1", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


async def open_form(client, base, number):
    """Open the screening page as a new person would: own session, CSRF token, form key."""
    client.cookies.clear()
    page = await client.get(f"{base}/screenings/1")
    if page.status_code != 200:
        raise RuntimeError(f"form page answered {page.status_code}")
    fields = dict(TOKEN.findall(page.text))
    fields.update(name=f"Person {number}", email=f"person{number}@example.org")
    return dict(client.cookies), fields


async def rush(base, signups, concurrency):
    """Phase 1: every person opens the form. Phase 2, timed: they all press Register."""
    opened = []
    numbers = iter(range(signups))

    async def opener():
        async with httpx.AsyncClient(timeout=30) as client:
            for number in numbers:
                opened.append(await open_form(client, base, number))

    started = time.perf_counter()
    await asyncio.gather(*(opener() for _ in range(concurrency)))
    page_rate = signups / (time.perf_counter() - started)

    posts, errors = [], []
    queue = iter(opened)

    async def submitter():
        async with httpx.AsyncClient(timeout=30) as client:
            for cookies, fields in queue:
                client.cookies.clear()
                client.cookies.update(cookies)
                before = time.perf_counter()
                response = await client.post(f"{base}/screenings/1", data=fields)
                posts.append(time.perf_counter() - before)
                if response.status_code != 303:
                    errors.append(response.status_code)

    started = time.perf_counter()
    await asyncio.gather(*(submitter() for _ in range(concurrency)))
    return signups / (time.perf_counter() - started), page_rate, posts, errors


def oversold(url, capacity):
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        confirmed = conn.scalar(sa.text("SELECT COALESCE(SUM(seats), 0) FROM registrations WHERE status = 'confirmed'"))
        taken = conn.scalar(sa.text("SELECT seats_taken FROM screenings WHERE id = 1"))
    engine.dispose()
    assert confirmed == taken, f"counter {taken} disagrees with {confirmed} confirmed seats"
    return max(0, confirmed - capacity)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def one_run(kind, workers, signups, concurrency):
    capacity = signups // 2  # half confirmed, half waitlisted: both paths are exercised
    with tempfile.TemporaryDirectory() as folder:
        url = prepare_database(kind, folder, capacity)
        port = free_port()
        server = start_gunicorn(url, folder, workers, port)
        try:
            rate, page_rate, posts, errors = asyncio.run(rush(f"http://127.0.0.1:{port}", signups, concurrency))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        return {
            "rate": rate,
            "post_p50": percentile(posts, 0.50) * 1000,
            "post_p99": percentile(posts, 0.99) * 1000,
            "page_rate": page_rate,
            "errors": len(errors),
            "oversold": oversold(url, capacity),
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.signups} sign-ups at concurrency {args.concurrency}, median of {args.runs} runs; "
          f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}")
    header = f"{'database':<11} {'workers':>7} {'sign-ups/s':>10} {'p50':>8} {'p99':>8} {'errors':>6} {'oversold':>8} {'form pages/s':>12}"
    print(header)
    for kind in args.databases.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            runs = [one_run(kind, workers, args.signups, args.concurrency) for _ in range(args.runs)]
            med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            worst = {key: max(r[key] for r in runs) for key in ("errors", "oversold")}
            print(f"{kind:<11} {workers:>7} {med['rate']:>10.0f} {med['post_p50']:>6.1f}ms {med['post_p99']:>6.1f}ms "
                  f"{worst['errors']:>6} {worst['oversold']:>8} {med['page_rate']:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
