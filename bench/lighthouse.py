"""Lighthouse scores of the pages people meet first (issue 19): the festival's programme, a
screening's page and a ticket page, as a phone (Lighthouse 12 from npm, Debian's Chromium), under
gunicorn with the production settings and the demo festival on SQLite. Prints the median of
several runs per page and category; performance moves with the machine's load, the other three
should not (tests/test_lighthouse.py holds those at 95 or more).

    .venv/bin/python bench/lighthouse.py [--runs 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

from common import ROOT, Gunicorn, prepare_database
from page_views import EVENT_PATH, seed

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = {"LCP ms": "largest-contentful-paint", "TBT ms": "total-blocking-time"}  # where performance goes


def scores(url):
    run = subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", "--output-path=stdout", "--form-factor=mobile",
         "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
    )
    if run.returncode != 0:
        raise SystemExit(f"lighthouse failed on {url}:\n{run.stderr[-3000:]}")
    report = json.loads(run.stdout)
    found = {name: round(100 * report["categories"][name]["score"]) for name in CATEGORIES}
    found.update({metric: report["audits"][audit]["numericValue"] for metric, audit in METRICS.items()})
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        url = prepare_database("sqlite", folder)
        [ticket] = seed(url, folder, 1)
        pages = {"programme": EVENT_PATH, "screening": "/screenings/1", "ticket": ticket}
        with Gunicorn(url, folder, 1) as server:
            measured = {name: [scores(f"http://127.0.0.1:{server.port}{path}") for _ in range(runs)]
                        for name, path in pages.items()}
    print(f"Lighthouse 12, mobile, median of {runs} runs")
    columns = (*CATEGORIES, *METRICS)
    print(f"{'page':<12}" + "".join(f"{name:>16}" for name in columns))
    for name, results in measured.items():
        medians = [statistics.median(result[column] for result in results) for column in columns]
        print(f"{name:<12}" + "".join(f"{value:>16.0f}" for value in medians))
        print(f"{'':<12}  performance of each run: {', '.join(str(result['performance']) for result in results)}")


if __name__ == "__main__":
    main()
