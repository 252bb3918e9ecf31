"""Staff login and logout."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from conftest import make_test_app
from factories import PASSWORD, log_in
from pages import field_value, hidden


def login(client, email="door@example.org", password=PASSWORD, next_url=None):
    """Log in as the door volunteer (the `door_user` fixture) unless told otherwise."""
    return log_in(client, email, password, next_url)


@pytest.mark.slow
def test_a_deployment_stores_passwords_with_scrypt(sqlite_url, tmp_path):
    """The suite hashes cheaply (conftest.py); a real `flask users create` stores werkzeug's scrypt
    (N=2^15, r=8, p=1), never the password, and that account logs in."""
    env = dict(os.environ, DATABASE_URL=sqlite_url, TICKETING_INSTANCE_PATH=str(tmp_path),
               SECRET_KEY="test-secret-key", FLASK_APP="app.py")
    created = subprocess.run(
        [sys.executable, "-m", "flask", "users", "create", "real@example.org", "--role", "door", "--password-stdin"],
        input=PASSWORD + "\n", env=env, cwd=Path(__file__).resolve().parent.parent, capture_output=True,
        text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as connection:
        (stored,) = connection.execute("SELECT password_hash FROM users WHERE email = 'real@example.org'").fetchone()
    assert stored.startswith("scrypt:32768:8:1$") and PASSWORD not in stored
    assert check_password_hash(stored, PASSWORD) and not check_password_hash(stored, PASSWORD + "!")
    response = login(make_test_app(sqlite_url, tmp_path).test_client(), email="real@example.org")
    assert response.status_code == 303 and response.location.endswith("/staff/")


def test_login_form_follows_the_contract(client):
    page = client.get("/staff/login").get_data(as_text=True)
    assert '<label for="email">Email</label>' in page and '<label for="password">Password</label>' in page
    assert 'type="submit" value="Log in"' in page


def test_staff_pages_need_a_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.location


def test_login_and_logout(client, door_user):
    response = login(client, email="DOOR@example.org")
    assert response.status_code == 303 and response.location.endswith("/staff/")
    home = client.get("/staff/").get_data(as_text=True)
    assert "door@example.org" in home
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    client.post("/staff/logout", data={"csrf_token": hidden(home, "csrf_token")})
    assert client.get("/staff/").status_code == 302


def test_logout_without_csrf_does_nothing(client, door_user):
    login(client)
    client.post("/staff/logout", data={})
    assert client.get("/staff/").status_code == 200


@pytest.mark.parametrize("email,password", [
    ("door@example.org", "wrong password!"), ("nobody@example.org", PASSWORD), ("", ""),
    ("x" * 10_000, "y" * 10_000), ("door@example.org\x00", PASSWORD), ("<script>", "' OR 1=1 --"),
])
def test_wrong_logins_get_one_message_and_keep_the_email(client, door_user, email, password):
    response = login(client, email=email, password=password)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The e-mail address or the password is wrong." in page
    assert field_value(page, "password") == ""
    if "\x00" not in email:
        assert field_value(page, "email") == email
    assert client.get("/staff/").status_code == 302


def test_only_local_paths_follow_a_login(client, door_user):
    assert login(client, next_url="https://evil.example/").location.endswith("/staff/")
    client2 = client.application.test_client()
    assert login(client2, next_url="//evil.example/x").location.endswith("/staff/")
    client4 = client.application.test_client()
    assert login(client4, next_url="/%5Cevil.example").location.endswith("/staff/")
    client3 = client.application.test_client()
    assert login(client3, next_url="/staff/").location.endswith("/staff/")


def test_inactive_accounts_cannot_log_in(app, client, door_user):
    from ticketing.extensions import db
    from ticketing.models import User

    with app.app_context():
        db.session.get(User, door_user).is_active = False
        db.session.commit()
    assert login(client).status_code == 422


def test_login_attempts_are_rate_limited(app, client, door_user):
    app.config["LOGIN_LIMIT"] = "3 per minute"
    statuses = [login(client, password="wrong password!").status_code for _ in range(5)]
    assert statuses == [422, 422, 422, 429, 429]
    assert "Too many attempts" in login(client).get_data(as_text=True)


def test_door_page_needs_a_login_and_scans_without_javascript(app, client, door_user, make_screening):
    import sqlalchemy as sa

    from ticketing.extensions import db
    from ticketing.models import CheckIn, Ticket
    from ticketing.services import booking

    sid = make_screening()
    with app.app_context():
        reg = booking.book(sid, "Ana", "ana@example.org", 2).registration
        code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == reg.id))
    assert client.get(f"/staff/door/{sid}").status_code == 302
    login(client)
    page = client.get(f"/staff/door/{sid}").get_data(as_text=True)
    assert '<label for="code">Ticket code, or a name to search</label>' in page
    response = client.post(f"/staff/door/{sid}", data={"code": code, "csrf_token": hidden(page, "csrf_token")})
    body = response.get_data(as_text=True)
    assert 'data-state="admitted"' in body and "2 of 2 in" in body
    again = client.post(f"/staff/door/{sid}", data={"code": code, "csrf_token": hidden(page, "csrf_token")})
    assert 'data-state="already_checked_in"' in again.get_data(as_text=True)
    forged = client.post(f"/staff/door/{sid}", data={"code": code})
    assert "expired" in forged.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 2
    assert client.get("/staff/door/999").status_code == 404


def test_vendor_files_are_whitelisted(client):
    assert client.get("/staff/vendor/../../app.py").status_code == 404
    assert client.get("/staff/vendor/package.json").status_code == 404
    from pathlib import Path

    installed = (Path(__file__).resolve().parent.parent / "node_modules" / "zxing-wasm").is_dir()
    script = client.get("/staff/vendor/zxing-reader.js")
    assert script.status_code == (200 if installed else 404)  # `npm ci` (run by make) installs it
    if installed:
        assert script.mimetype == "text/javascript"
        wasm = client.get("/staff/vendor/zxing_reader.wasm")
        assert wasm.mimetype == "application/wasm" and wasm.data[:4] == b"\0asm"
