"""Security headers on every response, secure cookies, the trusted proxy, no inline code in pages.

Every route of app.url_map is requested (a new route is covered without editing this file), as an
anonymous visitor and as an admin, over HTTP and over HTTPS.
"""
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from browser_support import DECODER
from pages import signup
from ticketing.config import from_environment
from ticketing.extensions import db
from ticketing.models import Registration
from ticketing.security import content_security_policy

ROOT = Path(__file__).resolve().parent.parent
HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy",
           "X-Frame-Options")
# Pages that must render (200) in the walk, so that it checks real pages and not only errors.
MUST_RENDER = {"public.event", "public.screening", "public.registration", "public.ticket_png", "staff.home",
               "staff.door", "staff.devices", "admin.dashboard", "admin.attendees", "api.screenings", "static"}
if DECODER.exists():  # the door's decoder, from npm: without it the route answers 404 (with the headers)
    MUST_RENDER.add("staff.vendor")


@pytest.fixture
def database_url(sqlite_url):
    """Headers do not depend on the database: SQLite only."""
    return sqlite_url


@pytest.fixture
def site(app, admin):
    """The demo festival, one registration and the values to put in each route's URL."""
    from ticketing.demo import load_demo
    from ticketing.services.accounts import create_device

    with app.app_context():
        event = load_demo()
        create_device("Door phone")
        slug = event.slug
    anonymous = app.test_client()
    signup(anonymous, 1, name="Ana", email="ana@example.org")
    with app.app_context():
        registration = db.session.scalars(sa.select(Registration)).one()
    return {
        "event_id": 1, "screening_id": 1, "registration_id": registration.id, "user_id": 1, "outbox_id": 1,
        "checkin_id": 1, "device_id": 1, "fmt": "csv", "token": "x", "slug": slug, "code": "fr",
        "secret": registration.secret, "name": "zxing-reader.js", "filename": "style.css",
    }


def walk(app, clients, values, base_url):
    """Request every route (GET where it has one, else POST) with each client; yield the answers."""
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        for who, client in clients.items():
            if method != "GET" and who != "anonymous":
                continue  # a refused POST (no CSRF token) is enough; nothing needs to change
            response = client.open(path, method=method, base_url=base_url)
            response.get_data()  # streamed exports run to their end
            response.close()
            yield rule.endpoint, who, response


def assert_secure_headers(response, what):
    for name in HEADERS:
        assert response.headers.get(name), f"{what}: no {name}"
    policy = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                      "object-src 'none'", "base-uri 'none'", "form-action 'self'"):
        assert directive in policy, f"{what}: {directive} missing from {policy}"
    assert "unsafe-inline" not in policy and "unsafe-eval'" not in policy.replace("wasm-unsafe-eval'", ""), what
    assert response.headers["X-Content-Type-Options"] == "nosniff", what
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer"), what
    assert "camera=(self)" in response.headers["Permissions-Policy"], what


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I)


@pytest.mark.slow  # a sweep of every page or a thread race: in the whole suite, not the quick one
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_route_answers_with_the_security_headers(app, admin, site, scheme):
    clients = {"anonymous": app.test_client(), "admin": admin}
    rendered = set()
    seen = 0
    for endpoint, who, response in walk(app, clients, site, f"{scheme}://localhost"):
        what = f"{who} {endpoint} ({response.status_code})"
        assert_secure_headers(response, what)
        hsts = response.headers.get("Strict-Transport-Security")
        if scheme == "https":
            assert hsts == "max-age=31536000", what
        else:
            assert hsts is None, what
        if response.status_code == 200:
            rendered.add(endpoint)
        private = endpoint.split(".")[0] in {"staff", "admin", "api"}
        if private and response.mimetype in ("text/html", "application/json"):
            assert "no-store" in response.headers.get("Cache-Control", ""), what  # names: no copy in caches
        elif response.mimetype == "text/html" and response.status_code == 200:
            assert "no-store" not in response.headers.get("Cache-Control", ""), what
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            assert not INLINE_SCRIPT.search(page), f"{what}: inline script"
            assert not INLINE_STYLE.search(page), f"{what}: inline style or handler: {INLINE_STYLE.search(page)}"
        seen += 1
    assert MUST_RENDER <= rendered, MUST_RENDER - rendered
    assert seen > len(list(app.url_map.iter_rules()))


def test_errors_carry_the_headers_too(app, client):
    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule("/boom", "boom", boom)
    answers = {
        "404 page": client.get("/no/such/page"),
        "405 page": client.delete("/"),
        "500 page": client.get("/boom"),
        "401 JSON": client.get("/api/v1/screenings"),
        "404 JSON": client.get("/api/v1/nothing"),
    }
    app.config["LOOKUP_FAILURE_LIMIT"] = "1 per minute"
    client.get("/r/" + "x" * 32)
    answers["429 page"] = client.get("/r/" + "y" * 32)
    statuses = {what: response.status_code for what, response in answers.items()}
    assert statuses == {"404 page": 404, "405 page": 405, "500 page": 500, "401 JSON": 401, "404 JSON": 404,
                        "429 page": 429}
    for what, response in answers.items():
        assert_secure_headers(response, what)


def test_only_the_door_page_may_run_webassembly(app, admin, site):
    door = admin.get("/staff/door/1")
    assert door.status_code == 200
    assert "script-src 'self' 'wasm-unsafe-eval'" in door.headers["Content-Security-Policy"]
    for path in ("/staff/", "/e/" + site["slug"], "/admin/dashboard", "/staff/vendor/zxing-reader.js"):
        assert "wasm" not in admin.get(path).headers["Content-Security-Policy"], path
    assert content_security_policy() == door.headers["Content-Security-Policy"].replace(" 'wasm-unsafe-eval'", "")


def test_private_links_send_no_referrer(client, site):
    assert client.get("/r/" + site["secret"]).headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/r/" + site["secret"] + "/cancel").headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/e/" + site["slug"]).headers["Referrer-Policy"] == "same-origin"


def test_ticket_pages_are_private_and_not_kept_without_asking(client, site):
    """A registration's pages belong to one person: no shared cache may keep them (issue 18)."""
    secret = site["secret"]
    for path in (f"/r/{secret}", f"/r/{secret}/cancel", "/r/" + "x" * 32):
        assert client.get(path).headers["Cache-Control"] == "private", path
    assert client.get(f"/r/{secret}/ticket.png").headers["Cache-Control"].startswith("private")
    assert "private" not in client.get("/e/" + site["slug"]).headers.get("Cache-Control", "")


@pytest.mark.parametrize("method, path, allowed", [
    ("DELETE", "/api/v1/checkins", {"POST"}),
    ("PUT", "/api/v1/screenings", {"GET", "HEAD", "OPTIONS"}),
    ("POST", "/api/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}),
    ("PATCH", "/staff/logout", {"POST"}),
    ("POST", "/e/{slug}", {"GET", "HEAD", "OPTIONS"}),
])
def test_405_answers_name_the_allowed_methods(client, site, method, path, allowed):
    """RFC 9110: a 405 carries an Allow header; the API's answer stays JSON, a page stays a page."""
    response = client.open(path.format(slug=site["slug"]), method=method)
    assert response.status_code == 405
    named = {m.strip() for m in response.headers["Allow"].split(",")}
    assert named - {"HEAD", "OPTIONS"} == allowed - {"HEAD", "OPTIONS"}, named
    if path.startswith("/api/"):
        assert response.get_json()["error"]["kind"] == "method_not_allowed"
    else:
        assert response.mimetype == "text/html"


def test_static_files_carry_the_headers(client):
    response = client.get("/static/door.js")
    assert response.status_code == 200
    assert_secure_headers(response, "static file")
    response.close()


def cookie_attributes(response, name):
    """The attributes of the Set-Cookie header for cookie `name`, lower-cased."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")[1:]}
    raise AssertionError(f"no {name} cookie set")


@pytest.mark.parametrize("secure", [False, True])
def test_session_and_language_cookies(database_url, tmp_path, secure):
    from conftest import make_test_app

    app = make_test_app(database_url, tmp_path, SESSION_COOKIE_SECURE=secure)
    client = app.test_client()
    base = "https://localhost" if secure else "http://localhost"
    session = cookie_attributes(client.get("/staff/login", base_url=base), "session")
    language = cookie_attributes(client.get("/language/fr", base_url=base), "lang")
    for attributes in (session, language):
        assert "httponly" in attributes
        assert attributes["samesite"].lower() == "samesite=lax"
        assert ("secure" in attributes) is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure


def test_cookie_and_proxy_settings_come_from_the_environment():
    found = from_environment({"SESSION_COOKIE_SECURE": "1", "TRUSTED_PROXIES": "1"})
    assert found == {"SESSION_COOKIE_SECURE": True, "TRUSTED_PROXIES": 1}


def test_behind_a_trusted_tls_proxy_https_and_the_client_address_are_known(database_url, tmp_path):
    from conftest import make_test_app

    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    direct = make_test_app(database_url, tmp_path, LOGIN_LIMIT="1 per minute")
    proxied = make_test_app(database_url, tmp_path, LOGIN_LIMIT="1 per minute", TRUSTED_PROXIES=1)
    # Without TRUSTED_PROXIES the forwarded headers are ignored: anyone could send them.
    assert "Strict-Transport-Security" not in direct.test_client().get("/staff/login", headers=forwarded).headers
    assert proxied.test_client().get("/staff/login", headers=forwarded).headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in proxied.test_client().get("/staff/login").headers

    def failed_logins(app, addresses):
        client = app.test_client()
        return [client.post("/staff/login", data={"email": "x@example.org", "password": "wrong"},
                            headers={"X-Forwarded-For": address}).status_code for address in addresses]

    # Behind the proxy each client has its own count; directly, the header changes nothing.
    assert failed_logins(proxied, ["198.51.100.7", "198.51.100.8", "198.51.100.7"]) == [422, 422, 429]
    assert failed_logins(direct, ["198.51.100.7", "198.51.100.8"]) == [422, 429]


def test_templates_have_no_inline_script_or_style():
    """Pages load scripts and styles from files (the CSP refuses inline ones); mails are not pages."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "mail" in path.relative_to(ROOT / "templates").parts:
            continue
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_STYLE):
            found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert found == []
