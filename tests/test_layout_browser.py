"""Every kind of page fits (issue 19): at 360 and 1,280 px, in English and in Kazakh (the
longest words), no page scrolls sideways and no word is split across two lines; every page
passes axe on a phone (the public ones in test_browser.py, and here in dark mode). A browser check over the laid-out text (browser_support.assert_laid_out_whole)."""
from datetime import timedelta

import pytest

from browser_support import assert_accessible_on_a_phone, assert_laid_out_whole
from factories import PASSWORD
from ticketing.extensions import db
from ticketing.models import Registration, Screening, Vote, utcnow
from ticketing.services import booking, imports
from ticketing.services.accounts import create_user


@pytest.fixture
def pages(live):
    """The pages to look at, by name, once a ticket is booked."""
    app, _base = live
    with app.app_context():
        create_user("organizer@example.org", "admin", PASSWORD)
        screening = db.session.get(Screening, 1)
        booked = booking.book(1, "Алия Ануарбек-Сәрсенбаева", "alia.anuarbek-sarsenbayeva@example.org", 2).registration
        secret, event_id = db.session.get(Registration, booked.id).secret, screening.event_id
    public = {"programme": "/", "screening": "/screenings/1", "ticket": f"/r/{secret}", "login": "/staff/login"}
    office = {
        "events": "/admin/", "event": f"/admin/events/{event_id}", "screening form": "/admin/screenings/1/edit",
        "attendees": "/admin/screenings/1/attendees", "event attendees": f"/admin/events/{event_id}/attendees",
        "registration": f"/admin/registrations/{booked.id}", "dashboard": "/admin/dashboard",
        "screening dashboard": "/admin/screenings/1/dashboard", "message": "/admin/screenings/1/message",
        "staff": "/admin/users", "audit": "/admin/audit", "outbox": "/admin/outbox", "door": "/staff/door/1",
    }
    return public, office


def log_in_to_the_back_office(page, base):
    """Log in as the organizer, whatever the page's language (the fields by name, not by label)."""
    page.goto(base + "/staff/login?next=/admin/")
    page.fill("input[name=email]", "organizer@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(base + "/admin/")


def visit(page, base, public, office, check):
    """Open each public page, log in, open each back-office page; check(name, in_office) on each."""
    for name, path in public.items():
        page.goto(base + path)
        check(name, False)
    log_in_to_the_back_office(page, base)
    for name, path in office.items():
        page.goto(base + path)
        check(name, True)


@pytest.mark.parametrize("language", ["en", "kk"])
@pytest.mark.parametrize("width", [360, 1280])
def test_every_page_fits_without_splitting_a_word(live, browser, pages, language, width):
    app, base = live
    public, office = pages
    context = browser.new_context(viewport={"width": width, "height": 800}, locale=language)
    page = context.new_page()

    def check(name, in_office):
        assert_laid_out_whole(page, f"{name} ({language})")
        if in_office and width == 360 and language == "kk":
            assert_accessible_on_a_phone(page, f"{name} ({language})")

    visit(page, base, public, office, check)
    context.close()


def test_every_page_passes_axe_in_dark_mode(live, browser, pages):
    """With the system in dark mode the pages turn dark (prefers-color-scheme), and every text
    still passes AA contrast (axe), public pages and back office alike."""
    _app, base = live
    public, office = pages
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="en-GB", color_scheme="dark")
    page = context.new_page()
    page.goto(base + "/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 23, 27)"  # dark indeed
    visit(page, base, public, office, lambda name, _in_office: assert_accessible_on_a_phone(page, f"{name} (dark)"))
    context.close()


@pytest.fixture
def more_pages(live):
    """The other kinds of page: the rest of a visitor's, a volunteer's and an organizer's."""
    app, _base = live
    with app.app_context():
        organizer = create_user("organizer@example.org", "admin", PASSWORD)[0]
        full = db.session.get(Screening, 3)
        full.capacity = 0
        db.session.commit()
        waiting = db.session.get(Registration, booking.book(3, "Зейнеп Қайратқызы", "zeynep@example.org").registration.id)
        booked = db.session.get(Registration, booking.book(1, "Алия Ануарбек", "alia@example.org", 2).registration.id)
        rows = "name,email,seats\nАлия Сәрсенбаева,alia.s@example.org,1\nBad Row,not-an-address,99\n"
        token = imports.save_preview(imports.build_preview(1, rows.encode(), default_language="kk"), 1, organizer.id, "guests.csv")
        code = booked.ticket.code
        secret, waiting_secret, event_id = booked.secret, waiting.secret, full.event_id
        vote = Vote(event_id=event_id, kind="rating", opens_at=utcnow() - timedelta(hours=1),
                    closes_at=utcnow() + timedelta(hours=1), results_public=True)
        db.session.add(vote)
        db.session.commit()
        vote_id = vote.id
    public = {"waiting": f"/r/{waiting_secret}", "cancel": f"/r/{secret}/cancel", "free seats": f"/r/{secret}/free",
              "sent": "/screenings/1/sent",
              "not found": "/no-such-page", "find my ticket": "/find-my-ticket", "tickets sent": "/find-my-ticket/sent",
              "vote": f"/votes/{vote_id}", "vote screen": f"/votes/{vote_id}/screen"}
    office = {
        "new event": "/admin/events/new", "new screening": f"/admin/events/{event_id}/screenings/new",
        "cancel a screening": "/admin/screenings/1/cancel", "guest": "/admin/screenings/1/guests/new",
        "import": "/admin/screenings/1/import", "import preview": f"/admin/screenings/1/import/{token}",
        "new staff": "/admin/users/new", "staff member": f"/admin/users/{organizer.id}", "privacy": "/admin/privacy",
        "devices": "/staff/devices", "doors": "/staff/", "votes": f"/admin/events/{event_id}/votes",
        "vote": f"/admin/votes/{vote_id}",
    }
    return public, office, code


@pytest.mark.parametrize("width", [360, 1280])
def test_the_other_pages_fit_too(live, browser, more_pages, width):
    """In Kazakh (the longest words): the rest of the pages, a person's data found in the privacy
    page, and the door's three verdicts; axe on each on a phone."""
    _app, base = live
    public, office, code = more_pages
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="kk")
    page = context.new_page()

    def check(name, _in_office=True):
        assert_laid_out_whole(page, f"{name} (kk)")
        if width == 360:
            assert_accessible_on_a_phone(page, f"{name} (kk)")

    page.goto(base + "/language/kk?next=/")
    visit(page, base, public, office, check)
    page.goto(base + "/admin/privacy")
    page.fill("input[name=email]", "alia@example.org")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    check("a person's data")
    page.goto(base + "/staff/door/1")
    for typed, state in ((code, "admitted"), (code, "already_checked_in"), ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "not_valid")):
        page.fill("#code", typed)
        page.keyboard.press("Enter")
        page.locator(f'#verdict[data-state="{state}"]').wait_for(timeout=10_000)
        check(f"the door: {state}")
    context.close()


@pytest.mark.parametrize("path", ["/", "/screenings/1", "ticket"])
def test_pictures_arriving_late_move_nothing(live, browser, path):
    """Every picture's box is laid out before the picture arrives (its size in the tag, a definite
    width in the style sheet): while the pictures are on their way the page is laid out as it is
    once they came. A poster without a definite width was a box of no height until it arrived,
    and Lighthouse counted the page's jump (a layout shift of 0.35: performance 83)."""
    app, base = live
    if path == "ticket":
        with app.app_context():
            path = "/r/" + db.session.get(Registration, booking.book(1, "Ana", "ana@example.org").registration.id).secret
    context = browser.new_context(viewport={"width": 412, "height": 823}, locale="en-GB")
    page = context.new_page()
    where = """() => [...document.querySelectorAll('main h1, main h2, main .button, main p')]
                     .map(e => Math.round(e.getBoundingClientRect().top))"""
    page.goto(base + path)
    page.wait_for_function("() => [...document.images].every(image => image.complete && image.naturalWidth > 0)")
    loaded = page.evaluate(where)
    held = []
    page.route("**/posters/*", lambda route: held.append(route))  # the pictures' requests wait, unanswered
    page.goto(base + path, wait_until="domcontentloaded")
    # the style sheets, not held, may still be on their way when the document is parsed: the layout
    # to compare is the one laid out with them (a run once measured the page before its styles came)
    page.wait_for_function(f"""() => document.querySelectorAll('main h1, main h2, main .button, main p').length === {len(loaded)}
                                     && [...document.querySelectorAll('link[rel=stylesheet]')].every(link => link.sheet)""")
    assert held and page.evaluate("[...document.images].some(image => !image.complete)")  # on their way
    assert page.evaluate(where) == loaded
    for route in held:
        route.continue_()
    context.close()
