"""The Content-Security-Policy in a real browser: every kind of page works with no violation.

Chromium reports each refusal as a `securitypolicyviolation` event and a console message
("Refused to ..."); both are recorded for every page of the visit.
"""
import re

import pytest

from browser_support import log_in, switch_language, write_y4m
from factories import PASSWORD, make_ticket
from ticketing import security
from ticketing.services import tickets
from ticketing.services.accounts import create_user

REPORTER = """document.addEventListener("securitypolicyviolation", (e) =>
  window.reportViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} on ${location.pathname}`), true);"""


@pytest.fixture
def watched(camera):
    """A phone-sized page of the fake-camera Chromium, and the list of CSP violations it sees."""
    context = camera.browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB")
    violations = []
    context.expose_function("reportViolation", lambda text: violations.append(text))
    context.add_init_script(REPORTER)
    page = context.new_page()
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or message.text.startswith("Refused to") else None)
    yield page, violations
    context.close()


def wait_for_report(page, violations):
    """Give the browser a moment to deliver a violation report (events arrive asynchronously)."""
    for _ in range(50):
        if violations:
            return
        page.wait_for_timeout(100)


def test_every_kind_of_page_runs_without_a_csp_violation(live, camera, watched):
    app, base = live
    page, violations = watched
    with app.app_context():
        create_user("organizer@example.org", "admin", PASSWORD)

    # The recorder works: inline script and style are refused, and reported.
    page.goto(base + "/")
    page.evaluate("""() => {
        const script = document.createElement("script"); script.textContent = "window.ran = 1"; document.head.append(script);
        document.body.setAttribute("style", "color: red"); }""")
    wait_for_report(page, violations)
    assert page.evaluate("window.ran") is None
    assert any("script-src" in v for v in violations) and any("style-src" in v for v in violations), violations
    violations.clear()

    # Public pages: the festival, a screening's form, signing up, the ticket, another language.
    page.goto(base + "/")
    page.get_by_role("link", name=re.compile("^Register")).first.click()
    page.get_by_label("Name").fill("Алия Ануарбек")
    page.get_by_label("Email").fill("alia@example.org")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/r/"))
    assert page.locator("svg").count() >= 1  # the QR code, drawn inline
    ticket_page = page.url
    page.goto(ticket_page + "/cancel")
    switch_language(page, "Français")
    page.wait_for_url(re.compile(r"/r/.+/cancel$"))
    switch_language(page, "English")
    page.goto(base + "/no/such/page")

    # Staff: log in, then the door with the camera reading a ticket.
    page.goto(base + "/staff/login")
    log_in(page, "organizer@example.org", then=r"/staff/$")
    code = make_ticket(1, "Zeynep Yılmaz", "zeynep@example.org", app=app)
    write_y4m(camera.video, tickets.render_qr_png(code))
    page.goto(base + "/staff/door/1")
    page.get_by_role("button", name="Start the camera").click()
    page.locator('#verdict[data-state="admitted"]').wait_for(timeout=15_000)
    assert "Zeynep Yılmaz" in page.locator("#verdict").inner_text()

    # The back office: dashboard (with its charts), events, attendees, the guest import, devices.
    for path in ("/admin/dashboard", "/admin/", "/admin/screenings/1/dashboard", "/admin/screenings/1/attendees",
                 "/admin/screenings/1/import", "/admin/users", "/staff/devices"):
        response = page.goto(base + path)
        assert response.status == 200, path
    page.wait_for_timeout(300)  # late reports (images, fonts) of the last page
    assert violations == []


def test_the_door_decoder_needs_webassembly_and_only_that(live, camera, watched, monkeypatch):
    """Without 'wasm-unsafe-eval' Chromium refuses zxing-wasm: the exception on the door page is needed."""
    app, base = live
    page, violations = watched
    monkeypatch.setattr(security, "DOOR_POLICY", security.POLICY)
    with app.app_context():
        create_user("door@example.org", "door", PASSWORD)
    write_y4m(camera.video, tickets.render_qr_png(make_ticket(1, "Ana", "ana@example.org", app=app)))
    page.goto(base + "/staff/door/1")
    log_in(page, "door@example.org", then=r"/staff/door/1$")
    assert violations == []
    page.get_by_role("button", name="Start the camera").click()
    wait_for_report(page, violations)
    assert any("wasm" in v.lower() or "webassembly" in v.lower() for v in violations), violations
    assert page.locator("#verdict").get_attribute("data-state") != "admitted"
