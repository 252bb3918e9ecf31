"""Check-in rush benchmark: every ticket of a 2,000-seat screening scanned through the API.

A device token calls POST /api/v1/checkins against gunicorn, on SQLite and on PostgreSQL, at the
given concurrency. Prints, per database and worker count, the median of several runs:
check-ins per second, p50 and p99 latency, errors (worst run), and whether every ticket was
admitted exactly once (counted in the database).

    .venv/bin/python bench/checkin_rush.py [--tickets 2000] [--concurrency 16] [--workers 1,2,4]
                                           [--databases sqlite,postgresql] [--runs 3]
"""
import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from common import BIN, ROOT, Gunicorn, app_env, engine_for, percentile, prepare_database, request

SEED = """
import sys
import sqlalchemy as sa
from app import app
from ticketing.extensions import db
from ticketing.models import Ticket
from ticketing.services import booking
count = int(sys.argv[1])
with app.app_context():
    db.session.execute(sa.text("UPDATE screenings SET capacity = :n, max_seats = 1 WHERE id = 1"), {"n": count})
    db.session.commit()
    for i in range(count):
        booking.book(1, f"Person {i}", f"person{i}@example.org", 1)
    for code in db.session.scalars(sa.select(Ticket.code)):
        print(code)
"""


def seed(url, folder, tickets):
    """Book `tickets` single-seat registrations on screening 1; return their codes and a device token."""
    env = app_env(url, folder)
    codes = subprocess.run([BIN / "python", "-c", SEED, str(tickets)], env=env, cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    token = subprocess.run([BIN / "flask", "devices", "create", "Bench door"], env=env, cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return codes, token


async def rush(port, codes, token, concurrency):
    latencies, errors = [], []
    queue = iter(codes)
    headers = (("Authorization", f"Bearer {token}"),)

    async def door():
        for code in queue:
            body = json.dumps({"code": code, "screening": 1}).encode()
            started = time.perf_counter()
            status, _, payload = await request(port, "POST", "/api/v1/checkins", body=body,
                                               content_type="application/json", headers=headers)
            latencies.append(time.perf_counter() - started)
            if status != 200 or json.loads(payload)["result"] != "admitted":
                errors.append(status)

    started = time.perf_counter()
    await asyncio.gather(*(door() for _ in range(concurrency)))
    return len(codes) / (time.perf_counter() - started), latencies, errors


def one_run(kind, workers, tickets, concurrency):
    with tempfile.TemporaryDirectory() as folder:
        url = prepare_database(kind, folder)
        codes, token = seed(url, folder, tickets)
        # One device scans every ticket here: lift its per-device limit, as instance/config.py can
        # (prepare_database has switched the per-address limits off already).
        with (Path(folder) / "config.py").open("a") as config:
            config.write('API_LOOKUP_LIMIT = "1000000 per minute"\n')
        with Gunicorn(url, folder, workers) as server:
            rate, latencies, errors = asyncio.run(rush(server.port, codes, token, concurrency))
        engine = engine_for(url)
        with engine.connect() as conn:
            admitted = conn.scalar(sa.text("SELECT SUM(admitted) FROM tickets"))
            logged = conn.scalar(sa.text("SELECT COUNT(*) FROM checkins"))
        engine.dispose()
        return {"rate": rate, "p50": percentile(latencies, 0.5) * 1000, "p99": percentile(latencies, 0.99) * 1000,
                "errors": len(errors), "exact": admitted == tickets and logged == tickets}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.tickets} check-ins at concurrency {args.concurrency}, median of {args.runs} runs; "
          f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}")
    print(f"{'database':<11} {'workers':>7} {'check-ins/s':>11} {'p50':>8} {'p99':>8} {'errors':>6} {'each once':>9}")
    for kind in args.databases.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            runs = [one_run(kind, workers, args.tickets, args.concurrency) for _ in range(args.runs)]
            med = {key: statistics.median(r[key] for r in runs) for key in ("rate", "p50", "p99")}
            print(f"{kind:<11} {workers:>7} {med['rate']:>11.0f} {med['p50']:>6.1f}ms {med['p99']:>6.1f}ms "
                  f"{max(r['errors'] for r in runs):>6} {str(all(r['exact'] for r in runs)):>9}", flush=True)


if __name__ == "__main__":
    main()
