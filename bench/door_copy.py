"""Door-copy benchmark: what a door phone downloads to check tickets offline, and how long it takes.

The door page fetches GET /api/v1/screenings/<id>/door-copy when it opens and every 30 seconds.
For screenings of several sizes, prints the median time of the request (in the process, through
the test client: the app's own work, no network), the body's size raw and gzipped, and the ratio
of its time to that of GET /api/v1/screenings/<id> (what the door already polls every 3 s),
measured in the same go.

    .venv/bin/python bench/door_copy.py [--tickets 200,1000,5000] [--runs 9]
"""
import argparse
import gzip
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from ticketing import create_app  # noqa: E402
from ticketing.extensions import db  # noqa: E402
from ticketing.models import Event, Screening, utcnow  # noqa: E402
from ticketing.services import booking  # noqa: E402
from ticketing.services.accounts import create_device  # noqa: E402


def median_ms(client, path, headers, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times), response.get_data()


def measure(tickets, runs, folder):
    """Build a screening of `tickets` tickets; return (copy ms, poll ms, body bytes, gzipped bytes)."""
    os.environ["TICKETING_INSTANCE_PATH"] = str(folder)
    (Path(folder) / "config.py").write_text("RATELIMIT_ENABLED = False\n")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "bench-" * 8,
                      "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        event = Event(slug="fest", name="Festival", timezone="Europe/Brussels")
        db.session.add(event)
        db.session.flush()
        screening = Screening(event_id=event.id, title="Film", starts_at=utcnow() + timedelta(days=1),
                              capacity=tickets, max_seats=4)
        db.session.add(screening)
        db.session.commit()
        sid = screening.id
        for n in range(tickets):
            booking.book(sid, f"Person Number {n}", f"person{n}@example.org", 1 + n % 3 // 2)
        token = create_device("Bench phone")[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    baseline, _ = median_ms(client, f"/api/v1/screenings/{sid}", headers, runs)
    copy_ms, body = median_ms(client, f"/api/v1/screenings/{sid}/door-copy", headers, runs)
    return copy_ms, baseline, len(body), len(gzip.compress(body))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", default="200,1000,5000")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    print(f"{'tickets':>8} {'copy ms':>8} {'poll ms':>8} {'ratio':>6} {'KB':>7} {'KB gzip':>8}")
    for tickets in [int(n) for n in args.tickets.split(",")]:
        with tempfile.TemporaryDirectory(prefix="bench-door-copy-") as folder:
            copy_ms, poll_ms, size, zipped = measure(tickets, args.runs, folder)
        print(f"{tickets:>8} {copy_ms:>8.1f} {poll_ms:>8.1f} {copy_ms / poll_ms:>5.1f}x {size / 1024:>7.0f} {zipped / 1024:>8.0f}")


if __name__ == "__main__":
    main()
