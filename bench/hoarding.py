"""Hoarding benchmark (issue 20, item 4): a script books a free screening with made-up addresses.

Against gunicorn on SQLite, the demo festival's first screening made a 60-seat hall, one client
address (the per-address rate limits are off: this measures the protection alone). For each
protection (none, email) it reports:

- the 100 made-up sign-ups: how long they took and how many seats they held at once;
- the seats they still hold after the confirmation window has passed and the outbox's sender has
  made its pass (`flask outbox send`), and whether an honest person then gets a seat;
- the honest person's extra step at a protected screening: the clicks, and the seconds from
  pressing Register to the e-mail with the link arriving at a real SMTP server (the sender is
  `flask outbox run` with its default look every OUTBOX_POLL_SECONDS) and to the ticket page
  after following it. Medians of --runs runs.

The window is BOOKING_HOLD_MINUTES; the run sets it to 1 minute (default 15) so that the script
waits one minute per run, not fifteen: the rule is the same at any length.

    .venv/bin/python bench/hoarding.py [--runs 3] [--fakes 100]
"""
import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from common import BIN, ROOT, Gunicorn, app_env, engine_for, prepare_database, request

sys.path.insert(0, str(ROOT / "tests"))
from mail_support import Inbox, SMTPServer  # noqa: E402  (the tests' real SMTP server)

TOKEN = re.compile(r'name="(csrf_token|form_key)" type="hidden" value="([^"]*)"')
CAPACITY = 60
HOLD_MINUTES = 1


async def sign_up(port, number, email=None):
    """Open the form and press Register, as a browser would; return (status, location, cookie)."""
    status, cookie, page = await request(port, "GET", "/screenings/1")
    assert status == 200, status
    fields = dict(TOKEN.findall(page.decode()))
    fields.update(name=f"Person {number}", email=email or f"made.up.{number}@example.org", seats="1")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = urlencode(fields).encode()
    writer.write((f"POST /screenings/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: {cookie}\r\n"
                  f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body)
    head = (await reader.read()).partition(b"\r\n\r\n")[0].decode("latin-1")
    writer.close()
    location = re.search(r"(?im)^location: (\S+)", head)
    return int(head.split()[1]), location.group(1) if location else "", cookie


async def hoard(port, fakes):
    started = time.perf_counter()
    results = await asyncio.gather(*(sign_up(port, n) for n in range(fakes)))
    return time.perf_counter() - started, [r[0] for r in results]


def fakes_hold(engine):
    """Seats the made-up addresses hold (confirmed, whether or not their address is)."""
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT COALESCE(SUM(seats), 0) FROM registrations "
                                   "WHERE status = 'confirmed' AND email LIKE 'made.up.%'"))


def one_run(protection, fakes):
    with tempfile.TemporaryDirectory() as folder:
        url = prepare_database("sqlite", folder)
        (Path(folder) / "config.py").write_text(f"RATELIMIT_ENABLED = False\nBOOKING_HOLD_MINUTES = {HOLD_MINUTES}\n")
        engine = engine_for(url)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE screenings SET capacity = :c, seats_held = 0, max_seats = 1 WHERE id = 1"),
                         {"c": CAPACITY})
            conn.execute(sa.text("UPDATE events SET protection = :p"), {"p": protection})
        inbox = Inbox()
        smtp = SMTPServer(inbox, hostname="127.0.0.1", port=0)
        smtp.start()
        env = app_env(url, folder)
        env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.port))
        figures = {}
        try:
            with Gunicorn(url, folder, 2) as server:
                if protection == "email":  # first, while seats are left: the honest person's cost
                    figures.update(honest(server.port, env, inbox))
                seconds, statuses = asyncio.run(hoard(server.port, fakes))
                figures.update(seconds=seconds, refused=sum(s != 303 for s in statuses), at_once=fakes_hold(engine))
                time.sleep(HOLD_MINUTES * 60 + 1)  # the window passes
                subprocess.run([BIN / "flask", "outbox", "send"], env=env, cwd=ROOT, check=True, capture_output=True)
                figures["after"] = fakes_hold(engine)
                asyncio.run(sign_up(server.port, "late", "late.person@example.org"))
                with engine.connect() as conn:
                    late = conn.execute(sa.text("SELECT status, hold_until FROM registrations "
                                                "WHERE email = 'late.person@example.org'")).one()
                figures["late_person"] = late.status + (" (until its address is confirmed)" if late.hold_until else "")
        finally:
            smtp.stop()
            engine.dispose()
        return figures


def honest(port, env, inbox):
    """One honest person at the protected screening, with the production sender running."""
    sender = subprocess.Popen([BIN / "flask", "outbox", "run"], env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)  # the sender's start-up, not the person's wait
        inbox.received.clear()
        before = time.perf_counter()
        status, location, cookie = asyncio.run(sign_up(port, "honest", "honest.person@example.org"))
        assert status == 303, status
        while not any(m["To"] == "honest.person@example.org" for m in inbox.received):
            time.sleep(0.05)
        mail_seconds = time.perf_counter() - before
        message = next(m for m in inbox.received if m["To"] == "honest.person@example.org")
        text = message.get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"https?://[^/\s]+(/r/\S+/confirm/\S+)", text).group(1)
        status, _cookie, _page = asyncio.run(request(port, "GET", link, cookie))
        assert status == 303, status
        status, _cookie, page = asyncio.run(request(port, "GET", location, cookie))
        assert status == 200 and b"<svg" in page, "no ticket after confirming"
        return {"mail_seconds": mail_seconds, "ticket_seconds": time.perf_counter() - before}
    finally:
        sender.terminate()
        sender.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fakes", type=int, default=100)
    args = parser.parse_args()
    print(f"{args.fakes} made-up addresses against a {CAPACITY}-seat screening, one client, "
          f"window {HOLD_MINUTES} min, median of {args.runs} runs")
    for protection in ("none", "email"):
        runs = [one_run(protection, args.fakes) for _ in range(args.runs)]
        median = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
        print(f"\nprotection {protection}:")
        print(f"  {args.fakes} sign-ups took {median('seconds'):.2f} s; seats held at once: {median('at_once'):.0f} "
              f"of {CAPACITY}; refused: {max(r['refused'] for r in runs)}")
        print(f"  seats the made-up addresses hold after the window and the sender's pass: {median('after'):.0f}")
        print(f"  a person signing up then is: {', '.join(sorted({r['late_person'] for r in runs}))}")
        if protection == "email":
            print(f"  honest person's extra step: 1 click (the e-mail's link); e-mail arrived "
                  f"{median('mail_seconds'):.1f} s after Register, ticket page {median('ticket_seconds'):.1f} s after")


if __name__ == "__main__":
    main()
