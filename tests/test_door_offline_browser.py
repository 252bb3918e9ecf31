"""The door without the network (issue 7) in a real browser: Debian's Chromium, Playwright.

The phone goes offline with `context.set_offline(True)`. Measured here (Chromium 156, Playwright
1.65): it cuts the page's requests and also the service worker's own fetches (the worker's
network-first fetch of a page fails at once and it answers from its cache), and it sets
`navigator.onLine` to false and fires `offline` / `online` in the page. The `reached` fixture
records every request that reaches the server, so each test proves that nothing did while
the phone was offline (had the worker's fetches gone through, the reload test would see them).
A request the browser had already sent when it went offline (the door's poll of the counts,
every 3 s) may still arrive afterwards on a busy machine: `go_offline` waits until the requests
open at that moment have ended before `reached` starts again. One request is not cut by
`set_offline`: Chromium's update check of the service worker's script (measured: it reached
the server about 3 s after an offline reload); a phone really offline fails it, and the tests
leave it out. Nor, now and then, is the first request of a page reloaded offline (the door's
poll of the counts, some 25 ms after the reload, in about one run of three): it is sent before
Chromium applies the context's emulation to the new page, as its headers show (the browser's
own Accept-Language, not the context's en-GB). A phone really offline could not send it either,
and it changes nothing (the queued scans wait, and are counted below); the tests leave out that
poll when it comes without the context's language, and nothing else.
"""
import re
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from browser_support import log_in, write_y4m
from factories import PASSWORD
from ticketing.extensions import db
from ticketing.models import CheckIn, Registration, Ticket, utcnow
from ticketing.services import booking, checkin, tickets
from ticketing.services.accounts import create_user

UNKNOWN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CONTEXT_LANGUAGE = "en-GB"  # each phone's locale: its requests carry it as their Accept-Language


@pytest.fixture
def reached(live):
    """The requests that reach the server, in order, each as (path, Accept-Language) (a WSGI wrapper)."""
    app, _ = live
    paths = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        paths.append((environ.get("PATH_INFO", ""), environ.get("HTTP_ACCEPT_LANGUAGE", "")))
        return inner(environ, start_response)

    app.wsgi_app = recording
    yield paths
    app.wsgi_app = inner


def open_requests(context):
    """Keep, on the context, the paths of its requests sent and not yet answered or failed."""
    pending = context.open_requests = {}
    context.on("request", lambda request: pending.setdefault(request, urlsplit(request.url).path))
    context.on("requestfinished", lambda request: pending.pop(request, None))
    context.on("requestfailed", lambda request: pending.pop(request, None))


def go_offline(page, reached):
    """Cut the phone's network; once the requests it had already sent have ended (answered, or
    failed), `reached` starts again: from then on, nothing may reach the server."""
    page.context.set_offline(True)
    page.wait_for_timeout(200)  # the browser's events about requests sent just before
    deadline = time.monotonic() + 10
    while page.context.open_requests and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert not page.context.open_requests, page.context.open_requests
    reached.clear()


POLL = re.compile(r"/api/v1/screenings/\d+")


def arrived_while_offline(reached):
    """The paths that reached the server since `go_offline`, but the worker's update check and
    the door's poll sent outside the context's emulation (see above)."""
    return [path for path, language in reached if path != "/staff/door-sw.js"
            and not (POLL.fullmatch(path) and language != CONTEXT_LANGUAGE)]


@pytest.fixture
def phones(live, camera):
    """`phone(email)`: a new logged-in door volunteer's phone (its own browser context)."""
    app, base = live
    contexts = []

    def phone(email="door@example.org"):
        with app.app_context():
            create_user(email, "door", PASSWORD)
        context = camera.browser.new_context(viewport={"width": 360, "height": 780}, locale=CONTEXT_LANGUAGE)
        open_requests(context)
        contexts.append(context)
        page = context.new_page()
        page.goto(base + "/staff/login")
        log_in(page, email, then=r"/staff/$")
        return page

    yield phone
    for context in contexts:
        context.close()


@pytest.fixture
def server(live):
    """Helpers on the server's side: book a ticket, read the check-in log."""
    app, _ = live

    class Server:
        def ticket(self, name, seats=1, screening=1):
            with app.app_context():
                result = booking.book(screening, name, f"{name.lower().replace(' ', '.')}@example.org", seats)
                return db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == result.registration.id))

        def rows(self, code=None):
            with app.app_context():
                query = sa.select(CheckIn).order_by(CheckIn.id)
                if code is not None:
                    query = query.where(CheckIn.scanned_code == code)
                return db.session.scalars(query).all()

        def admitted(self, code):
            with app.app_context():
                return db.session.scalar(sa.select(Ticket.admitted).where(Ticket.code == code))

        def check_in(self, code):
            with app.app_context():
                return checkin.check_in(code, 1)

        def cancel(self, code):
            with app.app_context():
                booking.cancel(db.session.scalar(sa.select(Registration.id).join(Ticket).where(Ticket.code == code)))

    return Server()


# The door page is ready to work offline: its service worker controls it and has kept the page,
# and the copy of the tickets is in IndexedDB (the same checks a volunteer's phone passes silently).
READY = """async (screening) => {
  if (!navigator.serviceWorker.controller) return false;
  const names = await caches.keys();
  let kept = false;
  for (const name of names.filter((n) => n.startsWith("door-pages-"))) {
    if (await (await caches.open(name)).match(location.origin + location.pathname)) kept = true;
  }
  if (!kept) return false;
  return await new Promise((resolve) => {
    const request = indexedDB.open("ticketing-door");
    request.onupgradeneeded = () => request.transaction.abort(); // not created here: the page does
    request.onsuccess = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("copies")) return resolve(false);
      const get = db.transaction("copies").objectStore("copies").get(screening);
      get.onsuccess = () => resolve(Boolean(get.result));
      get.onerror = () => resolve(false);
    };
    request.onerror = () => resolve(false);
  });
}"""

# The status of one ticket in the phone's copy (found by the hash of its code), or null.
COPY_STATUS = """async ([screening, code]) => {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
  const hash = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return await new Promise((resolve) => {
    const request = indexedDB.open("ticketing-door");
    request.onsuccess = () => {
      const get = request.result.transaction("copies").objectStore("copies").get(screening);
      get.onsuccess = () => resolve(get.result && get.result.tickets[hash] ? get.result.tickets[hash].status : null);
    };
  });
}"""


def wait_until(page, script, arg, timeout=15.0):
    """Evaluate the async `script` in the page until it gives true (wait_for_function does not
    await a promise: a pending one is already "truthy")."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {script[:60]}"
        page.wait_for_timeout(200)


def open_door(page, base, screening=1):
    """Open the door page and wait until it can work offline."""
    page.goto(f"{base}/staff/door/{screening}")
    wait_until(page, READY, screening)


def verdict_of(page, state, offline):
    verdict = page.locator(f'#verdict[data-state="{state}"]')
    verdict.wait_for(timeout=10_000)
    assert verdict.get_attribute("data-offline") == ("true" if offline else "false")
    return verdict.inner_text()


def scan(page, code):
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_offline_the_camera_admits_and_the_scan_reaches_the_server_with_the_phones_time(live, phones, server, camera, reached):
    _, base = live
    page = phones()
    code = server.ticket("Алия Ануарбек", seats=2)
    write_y4m(camera.video, tickets.render_qr_png(code))
    open_door(page, base)

    went_offline = utcnow()
    go_offline(page, reached)
    page.get_by_role("button", name="Start the camera").click()
    text = verdict_of(page, "admitted", offline=True)
    assert "Алия Ануарбек" in text and "2 of 2 in" in text and "Offline: decided on this device" in text
    status = page.locator("#network")
    expect(status).to_contain_text("Offline: scans are checked on this device.")
    expect(status).to_contain_text("1 scan waits to be sent.")
    assert arrived_while_offline(reached) == []  # nothing reaches the server while offline
    assert server.rows(code) == [] and server.admitted(code) == 0

    back_online = utcnow()
    page.context.set_offline(False)
    expect(status).not_to_contain_text("wait", timeout=15_000)
    expect(status).not_to_contain_text("Offline")
    rows = server.rows(code)
    assert len(rows) == 1
    row = rows[0]
    assert (row.result, row.seats, row.offline_seats, row.is_conflict) == ("admitted", 2, 2, False)
    assert went_offline <= row.scanned_at <= back_online <= row.recorded_at  # the phone's time
    assert row.scan_id and server.admitted(code) == 2
    assert page.locator("#verdict").get_attribute("data-state") == "admitted"  # the camera did not scan it again


def test_scans_queued_offline_survive_a_reload_and_each_reaches_the_server_once(live, phones, server, reached):
    _, base = live
    page = phones()
    fresh, used, later = server.ticket("Fresh Ticket"), server.ticket("Used Ticket"), server.ticket("Later Ticket")
    server.check_in(used)  # used at another door before the copy was taken
    open_door(page, base)

    go_offline(page, reached)
    scan(page, fresh)
    assert "Fresh Ticket" in verdict_of(page, "admitted", offline=True)
    scan(page, UNKNOWN)
    text = verdict_of(page, "not_valid", offline=True)  # the copy cannot know a ticket booked since it was taken
    assert re.search(r"Not in this device's copy of the tickets \(as of [^)]+\)\. A ticket booked since", text), text
    scan(page, used)
    assert "Everyone on this ticket is in." in verdict_of(page, "already_checked_in", offline=True)
    expect(page.locator("#network")).to_contain_text("3 scans wait to be sent.")

    page.reload()  # offline: the service worker serves the page and its scripts
    expect(page.locator("#network")).to_contain_text("3 scans wait to be sent.")
    expect(page.locator("#network")).to_contain_text("Offline")
    scan(page, later)
    assert "Later Ticket" in verdict_of(page, "admitted", offline=True)
    scan(page, fresh)  # the copy remembers what this phone let in
    text = verdict_of(page, "already_checked_in", offline=True)
    assert "In since" in text and "this device" in text
    expect(page.locator("#network")).to_contain_text("5 scans wait to be sent.")
    assert arrived_while_offline(reached) == []  # the reload came from the service worker
    assert all(row.scan_id is None for row in server.rows())  # only the other door's scan so far

    page.context.set_offline(False)
    expect(page.locator("#network")).not_to_contain_text("wait", timeout=15_000)
    synced = [row for row in server.rows() if row.scan_id]
    assert len(synced) == 5 and len({row.scan_id for row in synced}) == 5  # each once
    assert all(row.offline_seats is not None for row in synced)
    by_code = {code: [(r.result, r.reason, r.seats) for r in server.rows(code) if r.scan_id] for code in (fresh, used, later, UNKNOWN)}
    assert by_code == {
        fresh: [("admitted", "", 1), ("already_checked_in", "all_in", 0)],
        used: [("already_checked_in", "all_in", 0)],
        later: [("admitted", "", 1)],
        UNKNOWN: [("not_valid", "unknown_code", 0)],
    }
    assert (server.admitted(fresh), server.admitted(used), server.admitted(later)) == (1, 1, 1)
    assert not any(row.is_conflict for row in synced)
    assert page.locator("#conflicts").is_hidden()


def test_two_phones_admit_one_ticket_offline_and_the_second_is_told_of_the_conflict(live, phones, server, reached):
    _, base = live
    first, second = phones("door1@example.org"), phones("door2@example.org")
    code = server.ticket("Twice Shown")
    for page in (first, second):
        open_door(page, base)
    for page in (first, second):
        page.context.set_offline(True)
    for page in (first, second):
        scan(page, code)
        assert "Twice Shown" in verdict_of(page, "admitted", offline=True)

    first.context.set_offline(False)
    expect(first.locator("#network")).not_to_contain_text("wait", timeout=15_000)
    second.context.set_offline(False)
    expect(second.locator("#network")).not_to_contain_text("wait", timeout=15_000)

    rows = server.rows(code)
    assert [(r.result, r.seats, r.offline_seats, r.is_conflict) for r in rows] == [
        ("admitted", 1, 1, False), ("already_checked_in", 0, 1, True)]
    assert server.admitted(code) == 1
    conflicts = second.locator("#conflicts")
    expect(conflicts).to_be_visible()
    expect(conflicts).to_contain_text("Twice Shown, let in on this device at")
    expect(conflicts).to_contain_text("In since")
    expect(conflicts).to_contain_text("door1@example.org")
    assert first.locator("#conflicts").is_hidden()
    second.reload()  # the list is kept on the phone
    expect(second.locator("#conflicts")).to_contain_text("Twice Shown")
    second.get_by_role("button", name="Clear this list").click()
    expect(second.locator("#conflicts")).to_be_hidden()


def test_a_ticket_cancelled_after_the_copy_is_refused_online_then_offline(live, phones, server):
    _, base = live
    page = phones()
    code = server.ticket("Changed Mind")
    open_door(page, base)
    assert page.evaluate(COPY_STATUS, [1, code]) == "confirmed"
    server.cancel(code)

    scan(page, code)  # online: the server refuses it at once
    assert "This registration was cancelled." in verdict_of(page, "not_valid", offline=False)

    page.reload()  # the copy is taken again on load (and every 30 s)
    wait_until(page, f"async (arg) => (await ({COPY_STATUS})(arg)) === 'cancelled'", [1, code])
    page.context.set_offline(True)
    scan(page, code)
    assert "This registration was cancelled." in verdict_of(page, "not_valid", offline=True)
    page.context.set_offline(False)
    expect(page.locator("#network")).not_to_contain_text("wait", timeout=15_000)
    assert [(r.result, r.reason, r.seats) for r in server.rows(code)] == [
        ("not_valid", "cancelled", 0), ("not_valid", "cancelled", 0)]
    assert server.admitted(code) == 0


def test_without_a_copy_the_phone_admits_no_one(live, phones, server):
    _, base = live
    page = phones()
    code = server.ticket("No Copy Yet")
    page.route("**/door-copy", lambda route: route.abort())  # the copy never arrives
    page.goto(base + "/staff/door/1")
    page.context.set_offline(True)
    scan(page, code)
    verdict = page.locator('#verdict[data-state="error"]')
    verdict.wait_for(timeout=10_000)
    assert "no copy of the tickets" in verdict.inner_text()
    expect(page.locator("#network")).not_to_contain_text("wait")
    page.context.set_offline(False)
    assert server.rows(code) == []


# What the phone holds of the door: the rows of each IndexedDB store, and the kept staff pages.
HELD = """async () => {
  const pages = [];
  for (const name of (await caches.keys()).filter((n) => n.startsWith("door-pages-"))) {
    for (const request of await (await caches.open(name)).keys()) pages.push(new URL(request.url).pathname);
  }
  const stores = await new Promise((resolve) => {
    const request = indexedDB.open("ticketing-door");
    request.onsuccess = () => {
      const db = request.result;
      const tx = db.transaction(["copies", "queue", "notices"]);
      const counts = {};
      for (const name of ["copies", "queue", "notices"]) {
        const count = tx.objectStore(name).count();
        count.onsuccess = () => { counts[name] = count.result; };
      }
      tx.oncomplete = () => resolve(counts);
    };
  });
  return { ...stores, pages: pages.sort() };
}"""


def test_logging_out_forgets_the_names_and_keeps_the_scans_waiting(live, phones, server):
    _, base = live
    page = phones("first@example.org")
    code = server.ticket("Let In Offline")
    open_door(page, base)
    page.route("**/api/v1/checkins", lambda route: route.abort())  # the scan cannot be sent yet
    page.context.set_offline(True)
    scan(page, code)
    verdict_of(page, "admitted", offline=True)
    page.context.set_offline(False)
    expect(page.locator("#network")).to_contain_text("1 scan waits to be sent.")
    held = page.evaluate(HELD)
    assert (held["copies"], held["queue"]) == (1, 1) and "/staff/door/1" in held["pages"]
    page.evaluate("""() => new Promise((resolve) => {  // a conflict noted earlier on this phone
      const request = indexedDB.open("ticketing-door");
      request.onsuccess = () => {
        const tx = request.result.transaction("notices", "readwrite");
        tx.objectStore("notices").add({ kind: "conflict", name: "Someone Named" });
        tx.oncomplete = resolve;
      };
    })""")

    page.goto(base + "/staff/")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/staff/login$"))
    page.locator("html[data-door-forgotten]").wait_for(state="attached")
    assert page.evaluate(HELD) == {"copies": 0, "notices": 0, "queue": 1, "pages": []}

    # The next volunteer logs in on this phone: the waiting scan goes, under their name.
    with live[0].app_context():
        second = create_user("second@example.org", "door", PASSWORD)[0].id
    log_in(page, "second@example.org", then=r"/staff/$")
    page.unroute("**/api/v1/checkins")
    open_door(page, base)
    expect(page.locator("#network")).not_to_contain_text("wait", timeout=15_000)
    rows = server.rows(code)
    assert [(r.result, r.offline_seats, r.staff_user_id) for r in rows] == [("admitted", 1, second)]
    assert page.evaluate(HELD)["copies"] == 1  # a fresh copy for the new volunteer

    # Going back through the history to the login page, still logged in: the page is asked for
    # again (no-store), so it is not the logged-out one, and the new copy stays.
    page.go_back()
    page.wait_for_url(re.compile(r"/staff/$"))
    page.go_back()
    page.wait_for_url(re.compile(r"/staff/login$"))
    page.wait_for_load_state("load")
    assert page.locator("script[src*='door-forget']").count() == 0
    page.wait_for_timeout(500)  # what the forgetting would take, had it run
    assert not page.evaluate("() => 'doorForgotten' in document.documentElement.dataset")
    assert page.evaluate(HELD)["copies"] == 1


# The door page as an older version of the app kept it: without the scripts and texts added since.
AS_KEPT_BEFORE = r"""async () => {
  const key = location.origin + location.pathname;
  for (const name of (await caches.keys()).filter((n) => n.startsWith("door-pages-"))) {
    const cache = await caches.open(name);
    const kept = await cache.match(key);
    if (!kept) continue;
    const html = (await kept.text())
      .replace(/<script src="[^"]*door-(status|camera)\.js"[^>]*><\/script>\s*/g, "")
      .replace(/"(not_in_copy|still_checking)": "[^"]*",\s*/g, "");
    await cache.put(key, new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } }));
    return !/door-(status|camera)|not_in_copy|still_checking/.test(html);
  }
  return false;
}"""


def test_a_door_page_kept_by_an_older_version_still_works_offline_with_the_new_scripts(live, phones, server):
    _, base = live
    page = phones()
    code = server.ticket("Old Page")
    open_door(page, base)
    assert page.evaluate(AS_KEPT_BEFORE)
    page.context.set_offline(True)
    page.reload()  # the kept (older) page, with this version's scripts from the worker
    assert page.locator('script[src$="door-status.js"]').count() == 1  # loaded by door.js
    scan(page, code)
    assert "Old Page" in verdict_of(page, "admitted", offline=True)
    expect(page.locator("#network")).to_contain_text("1 scan waits to be sent.")
    scan(page, UNKNOWN)
    assert "Not a ticket of this festival." in verdict_of(page, "not_valid", offline=True)
    page.context.set_offline(False)
    expect(page.locator("#network")).not_to_contain_text("wait", timeout=15_000)
    assert [(r.result, r.offline_seats) for r in server.rows(code)] == [("admitted", 1)]


def test_the_door_is_installable_and_its_service_worker_controls_it(live, phones):
    _, base = live
    page = phones()
    home_manifest = page.locator('link[rel="manifest"]').get_attribute("href")
    open_door(page, base)
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    assert href == home_manifest == "/staff/manifest.webmanifest"
    answer = page.request.get(base + href)
    assert answer.ok and answer.headers["content-type"].startswith("application/manifest+json")
    manifest = answer.json()
    assert (manifest["name"], manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "Festival door", "/staff/", "/staff/", "standalone")
    from io import BytesIO

    from PIL import Image

    sizes = {}
    for icon in manifest["icons"]:
        picture = page.request.get(base + icon["src"])
        assert picture.ok and picture.headers["content-type"].split(";")[0] == icon["type"]
        if icon["type"] == "image/png":
            sizes[icon["sizes"]] = Image.open(BytesIO(picture.body())).size
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}

    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller && navigator.serviceWorker.controller.scriptURL") == base + "/staff/door-sw.js"
    cdp = page.context.new_cdp_session(page)
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    assert errors == ["in-incognito"], errors  # Chromium's own checks; a Playwright context is incognito
    # One version of the assets is kept, named after the hash the worker was served with.
    worker = page.request.get(base + "/staff/door-sw.js").text()
    version = re.search(r'const VERSION = "([0-9a-f]+)"', worker).group(1)
    names = page.evaluate("caches.keys()")
    assert sorted(names) == sorted([f"door-assets-{version}", f"door-pages-{version}"])



def test_a_slow_server_is_not_waited_for_and_the_scan_is_recorded_once(live, phones, server):
    app, base = live
    page = phones()
    code = server.ticket("Slow Answer")
    open_door(page, base)
    inner, posts = app.wsgi_app, []

    def slow_first_scan(environ, start_response):
        if environ.get("PATH_INFO") == "/api/v1/checkins":
            posts.append(environ["REQUEST_METHOD"])
            if len(posts) == 1:
                time.sleep(2.5)  # the server answers the first scan late: the phone decides at 1.5 s
        return inner(environ, start_response)

    app.wsgi_app = slow_first_scan
    try:
        scan(page, code)
        assert "Slow Answer" in verdict_of(page, "admitted", offline=True)
        expect(page.locator("#network")).not_to_contain_text("wait", timeout=15_000)
    finally:
        app.wsgi_app = inner
    assert posts == ["POST", "POST"]  # the scan, then the same scan from the queue
    rows = server.rows(code)
    assert len(rows) == 1 and rows[0].scan_id and rows[0].result == "admitted"  # recorded once
    assert server.admitted(code) == 1


def test_a_ticket_booked_after_the_copy_is_waited_for_when_the_server_is_slow(live, phones, server):
    """The server is slow, not gone: a code the phone's copy does not know (booked a moment ago)
    is not refused from the copy at 1.5 s; the phone asks again and waits for the answer."""
    app, base = live
    page = phones()
    open_door(page, base)
    code = server.ticket("Booked In The Queue")  # after the copy was taken
    inner, posts = app.wsgi_app, []

    def slow_first_scan(environ, start_response):
        if environ.get("PATH_INFO") == "/api/v1/checkins":
            posts.append(environ["REQUEST_METHOD"])
            time.sleep(2.5 if len(posts) == 1 else 1)  # late at first, then slow
        return inner(environ, start_response)

    app.wsgi_app = slow_first_scan
    try:
        scan(page, code)
        expect(page.locator("#verdict")).to_contain_text("Still checking with the server", timeout=5_000)
        assert "Booked In The Queue" in verdict_of(page, "admitted", offline=False)
    finally:
        app.wsgi_app = inner
    assert len(posts) == 2  # the scan, then the same scan asked again
    rows = server.rows(code)
    assert len(rows) == 1 and rows[0].scan_id and rows[0].result == "admitted"  # recorded once
    assert server.admitted(code) == 1
    expect(page.locator("#network")).not_to_contain_text("wait")


def test_a_stale_csrf_token_is_renewed_before_the_queue_is_sent(live, phones, server):
    _, base = live
    page = phones()
    code = server.ticket("Long Night")
    open_door(page, base)
    page.context.set_offline(True)
    scan(page, code)
    verdict_of(page, "admitted", offline=True)
    page.evaluate("document.querySelector('[data-door]').dataset.csrf = 'stale'")  # as after a new session secret
    page.context.set_offline(False)
    expect(page.locator("#network")).not_to_contain_text("wait", timeout=15_000)
    assert [(r.result, r.offline_seats) for r in server.rows(code)] == [("admitted", 1)]
    assert page.evaluate("document.querySelector('[data-door]').dataset.csrf") not in ("", "stale")


def test_offline_a_family_ticket_can_let_fewer_in_now(live, phones, server):
    _, base = live
    page = phones()
    code = server.ticket("Family Offline", seats=3)
    open_door(page, base)
    page.context.set_offline(True)
    scan(page, code)
    assert "3 of 3 in" in verdict_of(page, "admitted", offline=True)
    page.get_by_role("button", name="Only 2 now").click()
    expect(page.locator("#verdict")).to_contain_text("2 of 3 in")
    assert "1 still to come" in verdict_of(page, "admitted", offline=True)
    expect(page.locator("#network")).to_contain_text("1 scan waits to be sent.")
    page.context.set_offline(False)
    expect(page.locator("#network")).not_to_contain_text("wait", timeout=15_000)
    assert [(r.result, r.seats, r.offline_seats, r.is_conflict) for r in server.rows(code)] == [("admitted", 2, 2, False)]
    assert server.admitted(code) == 2


def test_on_plain_http_from_another_host_the_door_still_checks_online(live, playwright, server):
    """http://door.test (not localhost) is not a secure context: no service worker, no
    crypto.subtle. The door cannot keep a usable copy there, but it must still check online."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS

    app, base = live
    port = base.rsplit(":", 1)[1]
    with app.app_context():
        create_user("lan@example.org", "door", PASSWORD)
    browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                         args=CHROMIUM_ARGS + ["--host-resolver-rules=MAP door.test 127.0.0.1"])
    try:
        page = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB").new_page()
        lan = f"http://door.test:{port}"
        page.goto(lan + "/staff/login")
        log_in(page, "lan@example.org", then=r"/staff/$")
        page.goto(lan + "/staff/door/1")
        assert page.evaluate("() => !window.isSecureContext && !(window.crypto && crypto.subtle)")
        code = server.ticket("Plain Http")
        scan(page, code)
        assert "Plain Http" in verdict_of(page, "admitted", offline=False)
        assert server.admitted(code) == 1
    finally:
        browser.close()
