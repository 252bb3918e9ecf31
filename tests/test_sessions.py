"""Staff sessions end when they should (issue 18): logout ends the session on the server, a
deactivation ends all of an account's sessions and a reactivation revives none, the CSRF token
changes at login, a user can end their other sessions and an admin anyone's; on both databases."""
from datetime import timedelta

import sqlalchemy as sa

from factories import PASSWORD, csrf_token, log_in, logged_in, make_user
from pages import hidden
from ticketing.extensions import db
from ticketing.models import AuditEntry, StaffSession
from ticketing.services import accounts


def cookie_of(client):
    return client.get_cookie("session").value


def with_cookie(app, value):
    """Another browser holding a copy of a session cookie (taken off a phone, say)."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def opens_staff_pages(client):
    return client.get("/staff/").status_code == 200


def opens_the_api(client):
    return client.get("/api/v1/screenings").status_code == 200


def test_a_cookie_copied_before_logout_is_refused_after_it(app, make_screening):
    make_screening()
    door = logged_in(app, "door")
    copy = cookie_of(door)
    assert opens_staff_pages(with_cookie(app, copy)) and opens_the_api(with_cookie(app, copy))
    answer = door.post("/staff/logout", data={"csrf_token": door.csrf})
    assert answer.status_code == 303
    assert not opens_staff_pages(door)
    for check in (opens_staff_pages, opens_the_api):
        assert not check(with_cookie(app, copy))
    assert with_cookie(app, copy).get("/api/v1/screenings").status_code == 401
    with app.app_context():
        [row] = db.session.scalars(sa.select(StaffSession)).all()
        assert row.ended_at is not None


def test_deactivation_ends_every_session_and_reactivation_revives_none(app):
    door = logged_in(app, "door")
    phone = app.test_client()
    assert log_in(phone, "door@example.org").status_code == 303
    copies = [cookie_of(door), cookie_of(phone)]
    with app.app_context():
        admin_id = make_user(app, "boss@example.org")
        accounts.update_user(door.user_id, is_active=False, by_user_id=admin_id)
        assert accounts.open_sessions(door.user_id) == 0
        accounts.update_user(door.user_id, is_active=True, by_user_id=admin_id)
    for client in (door, phone, *(with_cookie(app, copy) for copy in copies)):
        assert not opens_staff_pages(client) and not opens_the_api(client)
    assert log_in(phone, "door@example.org").status_code == 303  # logging in again works
    assert opens_staff_pages(phone)


def test_the_csrf_token_changes_at_login_and_the_old_one_is_refused(app):
    make_user(app, "door@example.org", "door")
    client = app.test_client()
    before = csrf_token(client)
    assert client.post("/staff/login", data={"email": "door@example.org", "password": PASSWORD,
                                             "csrf_token": before}).status_code == 303
    after = csrf_token(client, "/staff/")
    assert after != before
    # A form sent with the token from before the login is refused; with the new one it works.
    assert client.post("/staff/logout", data={"csrf_token": before}).status_code == 303
    assert opens_staff_pages(client)
    assert client.post("/staff/logout", data={"csrf_token": after}).status_code == 303
    assert not opens_staff_pages(client)


def test_a_user_logs_out_everywhere_else(app):
    laptop = logged_in(app, "door")
    phones = [app.test_client() for _ in range(2)]
    for phone in phones:
        assert log_in(phone, "door@example.org").status_code == 303
    page = laptop.get("/staff/").get_data(as_text=True)
    assert "2 other sessions" in page
    answer = laptop.post("/staff/sessions/end-others", data={"csrf_token": hidden(page, "csrf_token")})
    assert answer.status_code == 303
    assert "2 other sessions ended." in laptop.get(answer.location).get_data(as_text=True)
    assert opens_staff_pages(laptop) and not any(opens_staff_pages(phone) for phone in phones)
    assert "other session" not in laptop.get("/staff/").get_data(as_text=True)
    # Without the form's token, nothing ends.
    assert log_in(phones[0], "door@example.org").status_code == 303
    laptop.post("/staff/sessions/end-others", data={})
    assert opens_staff_pages(phones[0])


def test_an_admin_ends_anyones_sessions_and_it_is_logged(app, admin):
    door = logged_in(app, "door")
    copy = cookie_of(door)
    page = admin.get(f"/admin/users/{door.user_id}").get_data(as_text=True)
    assert "1 session open" in page
    answer = admin.post(f"/admin/users/{door.user_id}/sessions", data={"csrf_token": admin.csrf})
    assert answer.status_code == 303
    assert "1 session of door@example.org ended." in admin.get(answer.location).get_data(as_text=True)
    assert not opens_staff_pages(door) and not opens_staff_pages(with_cookie(app, copy))
    assert opens_staff_pages(admin)
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.sessions_end")).one()
        assert (entry.user_id, entry.details["sessions"]) == (admin.user_id, 1)
    # A door user cannot end anyone's sessions.
    assert door.post(f"/admin/users/{admin.user_id}/sessions", data={}).status_code in (302, 303, 403)
    assert opens_staff_pages(admin)


def test_an_admin_ending_their_own_sessions_keeps_the_one_in_use(app, admin):
    other_browser = app.test_client()
    assert log_in(other_browser, "admin@example.org").status_code == 303
    admin.post(f"/admin/users/{admin.user_id}/sessions", data={"csrf_token": admin.csrf})
    assert opens_staff_pages(admin) and not opens_staff_pages(other_browser)


def test_a_session_lapses_after_its_lifetime_whatever_the_cookie_says(app):
    door = logged_in(app, "door")
    with app.app_context():
        lifetime = app.permanent_session_lifetime
        for row in db.session.scalars(sa.select(StaffSession)):
            row.created_at -= lifetime + timedelta(minutes=1)
        db.session.commit()
    assert not opens_staff_pages(door) and not opens_the_api(door)


def test_a_password_change_ends_other_sessions_and_keeps_the_changers(app, admin):
    other_browser = app.test_client()
    assert log_in(other_browser, "admin@example.org").status_code == 303
    door = logged_in(app, "door")
    page = admin.get(f"/admin/users/{admin.user_id}").get_data(as_text=True)
    new_password = "another long enough secret"
    answer = admin.post(f"/admin/users/{admin.user_id}/password",
                        data={"csrf_token": hidden(page, "csrf_token"), "password": new_password})
    assert answer.status_code == 303
    assert opens_staff_pages(admin) and not opens_staff_pages(other_browser)
    assert opens_staff_pages(door)  # someone else's password: their sessions stay
    admin.post(f"/admin/users/{door.user_id}/password", data={"csrf_token": admin.csrf, "password": new_password})
    assert not opens_staff_pages(door)


def test_a_forged_or_stale_session_entry_opens_nothing(app):
    door = logged_in(app, "door")
    with app.app_context():
        assert accounts.user_for_session(door.user_id, None) is None
        assert accounts.user_for_session(door.user_id, "x" * 10) is None
        assert accounts.user_for_session(door.user_id, "y" * 43) is None
        assert accounts.user_for_session(door.user_id, "z" * 5000) is None
        accounts.end_session("not a token of anyone's")  # nothing to end, no error
    assert opens_staff_pages(door)
