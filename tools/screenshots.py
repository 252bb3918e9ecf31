"""Screenshots of every kind of page, for people to look at (`make screenshots`, issue 19).

Loads the demo festival into a temporary database, books a ticket and a waiting place, serves the
app on a local port and has Debian's Chromium (Playwright) photograph each page at 360, 768 and
1,280 pixels wide, in English and in Kazakh, as a visitor, a door volunteer and an organizer would
see it; and in dark mode (the reader's system setting) at 360 and 1,280 pixels, in English. Writes `<folder>/<page>-<language>-<width>.png` (default folder: screenshots/, not
committed) and prints what it wrote.

    .venv/bin/python tools/screenshots.py [folder] [page,page…]

The second argument keeps only the pages named (for example programme,ticket,admin-event).
"""
import os
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (360, 768, 1280)
LANGUAGES = ("en", "kk")
PASSWORD = "a long enough secret for the screenshots"


def world(app):
    """The demo festival, a staff account of each role, a confirmed and a waiting booking.
    Returns the paths to photograph, by page name and by who looks."""
    import sqlalchemy as sa

    from ticketing.demo import load_demo
    from ticketing.extensions import db
    from ticketing.models import Registration, Screening, utcnow
    from ticketing.services import accounts, booking, checkin, imports, questions, votes
    from ticketing.services.event_inputs import local_input

    with app.app_context():
        event = load_demo()
        admin = accounts.create_user("admin@example.org", "admin", PASSWORD)[0]
        admin_id = admin.id
        door = accounts.create_user("door@example.org", "door", PASSWORD)[0]
        first = db.session.scalars(sa.select(Screening).order_by(Screening.id)).first()
        ticket = booking.book(first.id, "Алия Ануарбек", "alia@example.org", 2).registration
        full = db.session.scalars(sa.select(Screening).order_by(Screening.id.desc())).first()
        full.capacity = 0
        db.session.commit()
        waiting = booking.book(full.id, "Zeynep Kaya", "zeynep@example.org").registration
        held = booking.book(first.id, "Айгерім Сәрсенбаева", "aigerim@example.org", 2).registration
        # The organizers' own questions, after the bookings (which the required one would refuse).
        answers = {}
        for fields in ({"kind": "yes_no", "label": "Are you a student?", "required": "y",
                        "label_kk": "Сіз студентсіз бе?", "label_fr": "Êtes-vous étudiant·e ?"},
                       {"kind": "choices", "label": "How did you hear of the festival?", "choices": "Embassy\nFriends\nPoster"},
                       {"kind": "country", "label": "Where do you live?"},
                       {"kind": "consent", "label": "I agree to the festival's privacy notice",
                        "link": "https://festival.example/privacy"}):
            asked = questions.save_question(event.id, fields)
            answers[f"q{asked.id}"] = {"yes_no": "yes", "choices": ["Embassy", "Poster"], "country": "KZ",
                                       "consent": "yes"}[fields["kind"]]
        erlan = booking.book(first.id, "Ерлан Жақсылықов", "erlan@example.org", 2, answers=answers).registration
        # Erlan and a friend came in, and vote on the film (one of them has voted).
        checkin.check_in(db.session.get(Registration, erlan.id).ticket.code, first.id)
        vote = votes.open_vote(event.id, {"kind": "rating", "screening_id": "", "results_public": True,
                                          "opens_at": local_input(utcnow() - timedelta(hours=1), event.tz),
                                          "closes_at": local_input(utcnow() + timedelta(hours=2), event.tz)})
        votes.cast(vote.id, db.session.get(Registration, erlan.id).ticket.id, 5)
        db.session.get(Registration, held.id).hold_until = utcnow() + timedelta(minutes=15)  # awaits its link
        db.session.commit()
        sid, eid, slug = first.id, event.id, event.slug
        rows = "name,email,seats\nАлия Сәрсенбаева,alia.s@example.org,1\nBad Row,not-an-address,99\n".encode()
        token = imports.save_preview(imports.build_preview(sid, rows, default_language="en"), sid, admin_id, "guests.csv")
        visitor = {
            "programme": f"/e/{slug}", "screening": f"/screenings/{sid}", "ticket": f"/r/{ticket.secret}",
            "waiting": f"/r/{waiting.secret}", "cancel": f"/r/{ticket.secret}/cancel", "sent": f"/screenings/{sid}/sent",
            "not-found": "/no-such-page", "staff-login": "/staff/login", "find-ticket": "/find-my-ticket",
            "held": f"/r/{held.secret}", "free-seats": f"/r/{ticket.secret}/free",
            "vote": f"/r/{erlan.secret}/votes/{vote.id}", "vote-code": f"/votes/{vote.id}",
            "vote-screen": f"/votes/{vote.id}/screen",
        }
        volunteer = {"staff-home": "/staff/", "door": f"/staff/door/{sid}"}
        organizer = {
            "admin-events": "/admin/", "admin-event": f"/admin/events/{eid}",
            "admin-new-screening": f"/admin/events/{eid}/screenings/new", "admin-screening": f"/admin/screenings/{sid}/edit",
            "admin-dashboard": "/admin/dashboard", "admin-screening-dashboard": f"/admin/screenings/{sid}/dashboard",
            "admin-attendees": f"/admin/screenings/{sid}/attendees", "admin-event-attendees": f"/admin/events/{eid}/attendees",
            "admin-registration": f"/admin/registrations/{ticket.id}", "admin-message": f"/admin/screenings/{sid}/message",
            "admin-guest": f"/admin/screenings/{sid}/guests/new", "admin-import": f"/admin/screenings/{sid}/import",
            "admin-users": "/admin/users", "admin-user": f"/admin/users/{door.id}", "admin-audit": "/admin/audit",
            "admin-outbox": "/admin/outbox", "admin-privacy": "/admin/privacy", "admin-devices": "/staff/devices",
            "admin-new-event": "/admin/events/new", "admin-cancel-screening": f"/admin/screenings/{sid}/cancel",
            "admin-import-preview": f"/admin/screenings/{sid}/import/{token}", "admin-new-user": "/admin/users/new",
            "admin-held-registration": f"/admin/registrations/{held.id}",
            "admin-questions": f"/admin/events/{eid}/questions", "admin-texts": f"/admin/screenings/{sid}/texts/kk",
            "admin-votes": f"/admin/events/{eid}/votes", "admin-vote": f"/admin/votes/{vote.id}",
        }
        del admin
    return {"visitor": visitor, "door@example.org": volunteer, "admin@example.org": organizer}


def main(folder, only=None):
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from ticketing import create_app

    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="screenshots-"))
    os.environ["TICKETING_INSTANCE_PATH"] = str(work)
    app = create_app({"SECRET_KEY": os.urandom(32).hex(), "DATABASE_URL": f"sqlite:///{work}/shots.sqlite3",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"))
    pages = world(app)
    if only:
        pages = {who: {name: path for name, path in paths.items() if name in only} for who, paths in pages.items()}
        pages = {who: paths for who, paths in pages.items() if paths}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    written = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        looks = [(language, "light") for language in LANGUAGES] + [("en", "dark")]
        for who, paths in pages.items():
            for language, scheme in looks:
                context = browser.new_context(locale=language, color_scheme=scheme)
                page = context.new_page()
                page.goto(f"{base}/language/{language}?next=/staff/login")
                if who != "visitor":
                    page.fill("input[name=email]", who)
                    page.fill("input[name=password]", PASSWORD)
                    page.click("[type=submit]")
                    page.wait_for_load_state()
                for width in WIDTHS if scheme == "light" else (360, 1280):
                    page.set_viewport_size({"width": width, "height": 900})
                    for name, path in paths.items():
                        page.goto(base + path)
                        target = folder / f"{name}-{language}-{width}{'-dark' if scheme == 'dark' else ''}.png"
                        page.screenshot(path=str(target), full_page=True)
                        written += 1
                context.close()
        browser.close()
    server.shutdown()
    print(f"{written} screenshots in {folder}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots").resolve(),
         set(sys.argv[2].split(",")) if len(sys.argv) > 2 else None)
