"""Sign-up rush benchmark: the real form, CSRF included, against gunicorn on SQLite and PostgreSQL.

The moment sign-up opens: every simulated person has the screening page open (GET: their own
session cookie, CSRF token and form key, fetched first and timed apart), then all press Register
(POST) at the given concurrency. Prints, per database and worker count, the median of several
runs: sign-ups per second, p50 and p99 latency of the POST, HTTP errors (worst run), oversold
seats (confirmed seats beyond capacity, counted in the database; worst run), and the rate at
which the form page itself was served.

    .venv/bin/python bench/signup_rush.py [--signups 2000] [--concurrency 32] [--workers 1,2,4]
                                          [--databases sqlite,postgresql] [--runs 3]
"""
import argparse
import asyncio
import os
import re
import statistics
import tempfile
import time
from urllib.parse import urlencode

import sqlalchemy as sa

from common import Gunicorn, engine_for, percentile, prepare_database, request

TOKEN = re.compile(r'name="(csrf_token|form_key)" type="hidden" value="([^"]*)"')


async def rush(port, signups, concurrency):
    """Phase 1: every person opens the form. Phase 2, timed: they all press Register."""
    opened = []
    numbers = iter(range(signups))

    async def opener():
        for number in numbers:
            status, cookie, page = await request(port, "GET", "/screenings/1")
            if status != 200:
                raise RuntimeError(f"form page answered {status}")
            fields = dict(TOKEN.findall(page.decode()))
            fields.update(name=f"Person {number}", email=f"person{number}@example.org")
            opened.append((cookie, urlencode(fields).encode()))

    started = time.perf_counter()
    await asyncio.gather(*(opener() for _ in range(concurrency)))
    page_rate = signups / (time.perf_counter() - started)

    posts, errors = [], []
    queue = iter(opened)

    async def submitter():
        for cookie, body in queue:
            before = time.perf_counter()
            status, _, _ = await request(port, "POST", "/screenings/1", cookie, body)
            posts.append(time.perf_counter() - before)
            if status != 303:
                errors.append(status)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(submitter() for _ in range(concurrency)))
    client_cpu = (time.process_time() - cpu) / signups * 1000
    return signups / (time.perf_counter() - started), page_rate, posts, errors, client_cpu


def oversold(url, capacity):
    engine = engine_for(url)
    with engine.connect() as conn:
        confirmed = conn.scalar(sa.text("SELECT COALESCE(SUM(seats), 0) FROM registrations WHERE status = 'confirmed'"))
        taken = conn.scalar(sa.text("SELECT seats_taken FROM screenings WHERE id = 1"))
    engine.dispose()
    assert confirmed == taken, f"counter {taken} disagrees with {confirmed} confirmed seats"
    return max(0, confirmed - capacity)


def one_run(kind, workers, signups, concurrency):
    capacity = signups // 2  # half confirmed, half waitlisted: both paths are exercised
    with tempfile.TemporaryDirectory() as folder:
        url = prepare_database(kind, folder)
        engine = engine_for(url)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE screenings SET capacity = :c, max_seats = 1 WHERE id = 1"), {"c": capacity})
        engine.dispose()
        with Gunicorn(url, folder, workers) as server:
            rate, page_rate, posts, errors, client_cpu = asyncio.run(rush(server.port, signups, concurrency))
        return {
            "rate": rate,
            "post_p50": percentile(posts, 0.50) * 1000,
            "post_p99": percentile(posts, 0.99) * 1000,
            "errors": len(errors),
            "oversold": oversold(url, capacity),
            "page_rate": page_rate,
            "client_cpu": client_cpu,
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.signups} sign-ups at concurrency {args.concurrency}, median of {args.runs} runs; "
          f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}")
    header = f"{'database':<11} {'workers':>7} {'sign-ups/s':>10} {'p50':>8} {'p99':>8} {'errors':>6} {'oversold':>8} {'form pages/s':>12} {'client CPU':>10}"
    print(header)
    for kind in args.databases.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            runs = [one_run(kind, workers, args.signups, args.concurrency) for _ in range(args.runs)]
            med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            worst = {key: max(r[key] for r in runs) for key in ("errors", "oversold")}
            print(f"{kind:<11} {workers:>7} {med['rate']:>10.0f} {med['post_p50']:>6.1f}ms {med['post_p99']:>6.1f}ms "
                  f"{worst['errors']:>6} {worst['oversold']:>8} {med['page_rate']:>12.0f} {med['client_cpu']:>8.2f}ms", flush=True)


if __name__ == "__main__":
    main()
