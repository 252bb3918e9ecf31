"""Page-view benchmark: the festival's event page and attendees' ticket pages, under gunicorn.

The event page (/e/<slug>: every screening with its seats) is read by everyone at once when a
sign-up opens; the ticket page (/r/<secret>: QR code, name, seats) by the queue at the door.
Prints, per database and worker count, the median of several runs: pages per second, p50 and p99
latency, and errors (worst run).

    .venv/bin/python bench/page_views.py [--views 2000] [--tickets 200] [--concurrency 16]
                                         [--workers 1,4] [--databases sqlite,postgresql] [--runs 3]
"""
import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time

from common import BIN, ROOT, Gunicorn, app_env, percentile, prepare_database, request

SEED = """
import sys
from app import app
from ticketing.services import booking
with app.app_context():
    for i in range(int(sys.argv[1])):
        print(booking.book(1, f"Person {i}", f"person{i}@example.org", 1).registration.secret)
"""
EVENT_PATH = "/e/days-of-kazakh-cinema"


def seed(url, folder, tickets):
    """Book `tickets` registrations on screening 1; return their private links."""
    secrets = subprocess.run([BIN / "python", "-c", SEED, str(tickets)], env=app_env(url, folder), cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.split()
    return [f"/r/{secret}" for secret in secrets]


async def views(port, paths, concurrency):
    """GET every path in `paths` at `concurrency`; return (pages per second, latencies, errors)."""
    latencies, errors = [], []
    queue = iter(paths)

    async def reader():
        for path in queue:
            started = time.perf_counter()
            status, _, _ = await request(port, "GET", path)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)

    started = time.perf_counter()
    await asyncio.gather(*(reader() for _ in range(concurrency)))
    return len(paths) / (time.perf_counter() - started), latencies, errors


def one_run(kind, workers, views_count, tickets, concurrency):
    """Both pages on one fresh database: {"event": {...}, "ticket": {...}}."""
    with tempfile.TemporaryDirectory() as folder:
        url = prepare_database(kind, folder)
        links = seed(url, folder, tickets)
        results = {}
        with Gunicorn(url, folder, workers) as server:
            for name, paths in (("event", [EVENT_PATH] * views_count),
                                ("ticket", [links[i % len(links)] for i in range(views_count)])):
                rate, latencies, errors = asyncio.run(views(server.port, paths, concurrency))
                results[name] = {"rate": rate, "p50": percentile(latencies, 0.5) * 1000,
                                 "p99": percentile(latencies, 0.99) * 1000, "errors": len(errors)}
        return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=2000)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.views} views of each page at concurrency {args.concurrency}, median of {args.runs} runs; "
          f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}")
    print(f"{'page':<7} {'database':<11} {'workers':>7} {'pages/s':>8} {'p50':>8} {'p99':>8} {'errors':>6}")
    for kind in args.databases.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            runs = [one_run(kind, workers, args.views, args.tickets, args.concurrency) for _ in range(args.runs)]
            for page in ("event", "ticket"):
                med = {key: statistics.median(r[page][key] for r in runs) for key in ("rate", "p50", "p99")}
                print(f"{page:<7} {kind:<11} {workers:>7} {med['rate']:>8.0f} {med['p50']:>6.1f}ms {med['p99']:>6.1f}ms "
                      f"{max(r[page]['errors'] for r in runs):>6}", flush=True)


if __name__ == "__main__":
    main()
