"""Every benchmark in one table: sign-up rush, check-in rush, event page and ticket page views,
on SQLite and PostgreSQL, with 1 and 4 gunicorn workers.

Each cell is the median of several runs on a fresh database; "vs 1 worker" is the ratio of the
median rate to the same benchmark's with one worker, measured in the same go (the machine is
shared: compare ratios across days, not raw rates). Errors are the worst run's; "check" says
whether the database agreed afterwards (no seat oversold; every ticket admitted exactly once).

    make bench        # or: .venv/bin/python bench/run_all.py [--runs 3] [--workers 1,4]
                      #     [--databases sqlite,postgresql] [--size 2000]
"""
import argparse
import os
import platform
import statistics
import time

import checkin_rush
import page_views
import signup_rush


def measure(name, kind, workers, size):
    """One run of benchmark `name`: {"rate", "p50", "p99", "errors", "check"}."""
    if name == "sign-up rush":
        r = signup_rush.one_run(kind, workers, size, 32)
        return {"rate": r["rate"], "p50": r["post_p50"], "p99": r["post_p99"], "errors": r["errors"],
                "check": r["oversold"] == 0}
    if name == "check-in rush":
        r = checkin_rush.one_run(kind, workers, size, 16)
        return {**{k: r[k] for k in ("rate", "p50", "p99", "errors")}, "check": r["exact"]}
    pages = page_views.one_run(kind, workers, size, 200, 16)
    return {**pages["event" if name == "event page" else "ticket"], "check": True}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--size", type=int, default=2000, help="sign-ups, tickets and page views per run")
    args = parser.parse_args()
    workers_list = [int(w) for w in args.workers.split(",")]
    print(f"{time.strftime('%Y-%m-%d')}; {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}; "
          f"{args.size} requests per run, median of {args.runs} runs")
    print(f"| benchmark | database | workers | per second | vs {workers_list[0]} worker(s) | p50 ms | p99 ms | errors | check |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for name in ("sign-up rush", "check-in rush", "event page", "ticket page"):
        for kind in args.databases.split(","):
            baseline = None
            for workers in workers_list:
                runs = [measure(name, kind, workers, args.size) for _ in range(args.runs)]
                rate = statistics.median(r["rate"] for r in runs)
                baseline = baseline or rate
                print(f"| {name} | {kind} | {workers} | {rate:.0f} | {rate / baseline:.2f} | "
                      f"{statistics.median(r['p50'] for r in runs):.1f} | {statistics.median(r['p99'] for r in runs):.1f} | "
                      f"{max(r['errors'] for r in runs)} | {'ok' if all(r['check'] for r in runs) else 'FAILED'} |", flush=True)


if __name__ == "__main__":
    main()
