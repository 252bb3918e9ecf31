"""Staff accounts in the back office: add, change role, limit to events, deactivate, reset a
password, the last-admin rules, and the audit log that records all of it."""
import html
import json
import re

import pytest
import sqlalchemy as sa

from factories import PASSWORD, csrf_token, log_in, logged_in
from pages import errors, field_value
from ticketing.errors import LastAdminError
from ticketing.extensions import db
from ticketing.models import AuditEntry, Ticket, User
from ticketing.services import accounts

NEW_PASSWORD = "a brand new long secret"


def post_form(client, path, fields, form_path=None):
    """Open the form at `form_path` (default: `path`) for its CSRF token, then post `fields`."""
    return client.post(path, data={"csrf_token": csrf_token(client, form_path or path), **fields})


@pytest.fixture
def admin(app):
    """An admin logged in on a client of its own (the `client` fixture stays anonymous)."""
    return logged_in(app, "admin")


def user_row(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        return {"role": user.role, "is_active": user.is_active, "events": [e.id for e in user.events],
                "password_hash": user.password_hash}


def counts(app):
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(User)),
                db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)))


def audit_rows(app):
    with app.app_context():
        return [(e.action, e.user_id, e.subject_type, e.subject_id, e.details)
                for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


def edit(client, user_id, **fields):
    values = {"role": "door", "is_active": "y"}
    values.update(fields)
    values = {k: v for k, v in values.items() if v is not None}
    return post_form(client, f"/admin/users/{user_id}", values)


# Adding accounts

def test_an_added_account_can_log_in(app, admin):
    client = admin
    response = post_form(client, "/admin/users/new", {"email": "Nurlan@Example.org", "role": "door", "password": PASSWORD})
    assert response.status_code == 303 and response.location.endswith("/admin/users")
    assert "nurlan@example.org" in client.get("/admin/users").get_data(as_text=True)
    newcomer = app.test_client()
    assert log_in(newcomer, "nurlan@example.org").status_code == 303
    assert newcomer.get("/staff/").status_code == 200


def test_a_generated_password_is_shown_once_not_kept_in_the_session_and_works(app, admin):
    client = admin
    response = post_form(client, "/admin/users/new", {"email": "gen@example.org", "role": "door", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = html.unescape(re.search(r'id="new-password">([^<]+)</code>', page).group(1))
    with app.test_request_context():
        cookie = client.get_cookie("session").value
        session = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert password not in json.dumps(session)
    assert password not in client.get("/admin/users").get_data(as_text=True)
    assert log_in(app.test_client(), "gen@example.org", password).status_code == 303


def test_a_unicode_email_address_is_accepted(app, admin):
    client = admin
    response = post_form(client, "/admin/users/new", {"email": "алия@пример.kz", "role": "door", "password": PASSWORD})
    assert response.status_code == 303
    assert log_in(app.test_client(), "алия@пример.kz").status_code == 303


def test_the_list_shows_role_active_and_events(app, admin, make_event, door_user):
    client = admin
    event = make_event(slug="a", name="Days of Kazakh Cinema")
    with app.app_context():
        accounts.update_user(door_user, events=[event])
    page = client.get("/admin/users").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td[^>]*><a [^>]*>door@example.org</a>.*?</tr>", page, re.S).group(0)
    assert "door staff" in row and "yes" in row and "Days of Kazakh Cinema" in row


# Changing accounts

def test_changing_the_role_makes_a_door_user_an_admin(app, admin, door_user):
    client = admin
    assert edit(client, door_user, role="admin").status_code == 303
    assert user_row(app, door_user)["role"] == "admin"
    promoted = app.test_client()
    log_in(promoted, "door@example.org")
    assert promoted.get("/admin/users").status_code == 200


@pytest.fixture
def two_events(app, make_event, make_screening):
    """Event A with screening "Film A", event B with screening "Film B": their ids."""
    a, b = make_event(slug="a", name="Event A"), make_event(slug="b", name="Event B")
    return {"a": a, "b": b, "sa": make_screening(a, title="Film A"), "sb": make_screening(b, title="Film B")}


def test_a_door_user_limited_to_one_event_works_only_at_its_doors(app, admin, door_user, two_events):
    client = admin
    assert edit(client, door_user, events=[str(two_events["a"])]).status_code == 303
    assert user_row(app, door_user)["events"] == [two_events["a"]]
    door = app.test_client()
    log_in(door, "door@example.org")
    assert door.get(f"/staff/door/{two_events['sa']}").status_code == 200
    assert door.get(f"/api/v1/screenings/{two_events['sa']}").status_code == 200
    assert door.get(f"/staff/door/{two_events['sb']}").status_code == 403
    answer = door.get(f"/api/v1/screenings/{two_events['sb']}")
    assert answer.status_code == 403 and answer.get_json()["error"]["kind"] == "forbidden"


def test_a_door_user_limited_to_one_event_cannot_undo_at_another(app, admin, door_user, two_events):
    from ticketing.services import booking, checkin

    with app.app_context():
        registration = booking.book(two_events["sb"], "Bo", "bo@example.org").registration
        ticket = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == registration.id))
        admission = checkin.check_in(ticket, two_events["sb"]).checkin_id
    client = admin
    edit(client, door_user, events=[str(two_events["a"])])
    door = app.test_client()
    log_in(door, "door@example.org")
    token = csrf_token(door, "/staff/")
    answer = door.post(f"/api/v1/checkins/{admission}/undo", headers={"X-CSRFToken": token})
    assert answer.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(Ticket.admitted).where(Ticket.code == ticket)) == 1


def test_a_door_user_limited_to_one_event_sees_only_its_screenings(app, admin, door_user, two_events):
    client = admin
    edit(client, door_user, events=[str(two_events["a"])])
    door = app.test_client()
    log_in(door, "door@example.org")
    home = door.get("/staff/").get_data(as_text=True)
    assert "Film A" in home and "Film B" not in home
    listed = [s["title"] for s in door.get("/api/v1/screenings").get_json()["screenings"]]
    assert listed == ["Film A"]


def test_no_event_ticked_means_every_event(app, admin, door_user, two_events):
    client = admin
    edit(client, door_user, events=[str(two_events["a"])])
    assert edit(client, door_user).status_code == 303
    assert user_row(app, door_user)["events"] == []
    door = app.test_client()
    log_in(door, "door@example.org")
    assert door.get(f"/staff/door/{two_events['sb']}").status_code == 200


def test_deactivating_refuses_the_open_session_at_its_next_request(app, admin, door_user):
    client = admin
    door = app.test_client()
    log_in(door, "door@example.org")
    assert door.get("/staff/").status_code == 200
    assert edit(client, door_user, is_active=None).status_code == 303  # the box unticked
    assert user_row(app, door_user)["is_active"] is False
    response = door.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.location
    assert door.get("/api/v1/screenings").status_code == 401
    assert log_in(app.test_client(), "door@example.org").status_code == 422


def test_resetting_a_password_retires_the_old_one(app, admin, door_user):
    client = admin
    response = post_form(client, f"/admin/users/{door_user}/password", {"password": NEW_PASSWORD}, f"/admin/users/{door_user}")
    assert response.status_code == 303
    assert log_in(app.test_client(), "door@example.org", PASSWORD).status_code == 422
    assert log_in(app.test_client(), "door@example.org", NEW_PASSWORD).status_code == 303


def test_resetting_a_password_ends_the_sessions_opened_with_the_old_one(app, admin, door_user):
    door = app.test_client()
    log_in(door, "door@example.org")
    assert door.get("/staff/").status_code == 200
    client = admin
    post_form(client, f"/admin/users/{door_user}/password", {"password": NEW_PASSWORD}, f"/admin/users/{door_user}")
    response = door.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.location
    assert door.get("/api/v1/screenings").status_code == 401


def test_an_admin_resetting_their_own_password_stays_logged_in(app, admin):
    client, admin_id = admin, admin.user_id
    response = post_form(client, f"/admin/users/{admin_id}/password", {"password": NEW_PASSWORD}, f"/admin/users/{admin_id}")
    assert response.status_code == 303
    assert client.get("/admin/users").status_code == 200


def test_a_generated_reset_password_is_shown_once_and_works(app, admin, door_user):
    client = admin
    response = post_form(client, f"/admin/users/{door_user}/password", {"password": ""}, f"/admin/users/{door_user}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = html.unescape(re.search(r'id="new-password">([^<]+)</code>', response.get_data(as_text=True)).group(1))
    assert log_in(app.test_client(), "door@example.org", password).status_code == 303


# The last admin, and oneself

def test_the_last_active_admin_cannot_be_demoted(app, admin):
    client, admin_id = admin, admin.user_id
    before = counts(app)
    response = edit(client, admin_id, role="door")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "last active admin" in errors(page)["role"]
    assert user_row(app, admin_id)["role"] == "admin" and counts(app) == before


def test_the_last_active_admin_cannot_be_deactivated(app, admin):
    admin_id = admin.user_id
    with app.app_context(), pytest.raises(LastAdminError):
        accounts.update_user(admin_id, is_active=False)  # by no one: the command line, say
    assert user_row(app, admin_id)["is_active"] is True


def test_an_admin_cannot_deactivate_themselves(app, admin):
    client, admin_id = admin, admin.user_id
    with app.app_context():
        accounts.create_user("second@example.org", "admin", PASSWORD)
    response = edit(client, admin_id, role="admin", is_active=None)
    assert response.status_code == 422
    assert "your own account" in errors(response.get_data(as_text=True))["is_active"]
    assert user_row(app, admin_id)["is_active"] is True


def test_another_admin_may_be_demoted_while_one_remains(app, admin):
    client = admin
    with app.app_context():
        second = accounts.create_user("second@example.org", "admin", PASSWORD)[0].id
    assert edit(client, second, role="door").status_code == 303
    assert user_row(app, second)["role"] == "door"


# The audit log

def test_every_staff_action_writes_an_audit_entry_without_secrets(app, admin, door_user):
    client, admin_id = admin, admin.user_id
    post_form(client, "/admin/users/new", {"email": "gen@example.org", "role": "door", "password": ""})
    edit(client, door_user, role="admin")
    post_form(client, f"/admin/users/{door_user}/password", {"password": NEW_PASSWORD}, f"/admin/users/{door_user}")
    post_form(client, "/staff/devices", {"name": "Door 1 phone"})
    post_form(client, "/staff/devices/1/revoke", {}, "/staff/devices")
    rows = audit_rows(app)
    assert [(action, user) for action, user, *_ in rows] == [
        ("user.create", None), ("user.create", None),  # the fixtures' accounts, made outside the pages
        ("user.create", admin_id), ("user.update", admin_id), ("user.password_reset", admin_id),
        ("device.create", admin_id), ("device.revoke", admin_id),
    ]
    assert rows[3][2:4] == ("users", door_user) and rows[3][4]["role"] == "admin"
    text = json.dumps([details for *_, details in rows])
    with app.app_context():
        hashes = db.session.scalars(sa.select(User.password_hash)).all()
    assert NEW_PASSWORD not in text and PASSWORD not in text
    assert not any(h in text for h in hashes) and "pbkdf2" not in text and "scrypt" not in text


def test_a_change_that_changes_nothing_writes_no_entry(app, admin, door_user):
    client = admin
    before = counts(app)
    assert edit(client, door_user).status_code == 303
    assert counts(app) == before


def test_the_audit_page_shows_entries_newest_first_and_escaped(app, admin, door_user, make_event):
    client = admin
    event = make_event(slug="x", name="<script>alert('x')</script> Fest")
    edit(client, door_user, events=[str(event)])
    post_form(client, "/admin/users/new", {"email": "o'neil&co@example.org", "role": "door", "password": PASSWORD})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Fest" in page
    assert "o&#39;neil&amp;co@example.org" in page
    actions = re.findall(r'data-action="([\w.]+)"', page)
    assert actions[:2] == ["user.create", "user.update"]
    assert "changed a staff account" in page and "admin@example.org" in page


def test_the_audit_page_pages_back_and_filters_by_kind(app, admin):
    client = admin
    with app.app_context():
        for n in range(55):
            accounts.create_device(f"Phone {n}")
    first = client.get("/admin/audit").get_data(as_text=True)
    assert len(re.findall(r'<tr id="entry-', first)) == 50
    older = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    second = client.get(older).get_data(as_text=True)
    assert len(re.findall(r'<tr id="entry-', second)) == 6  # 55 devices and the admin's account
    assert 'rel="next"' not in second
    users_only = client.get("/admin/audit?kind=users").get_data(as_text=True)
    assert set(re.findall(r'data-action="([\w.]+)"', users_only)) == {"user.create"}


@pytest.mark.parametrize("query", ["before=abc", "before=99999999999999999999", "before=-1", "kind=<b>x</b>", "kind=" + "x" * 5000])
def test_the_audit_page_takes_odd_parameters_calmly(admin, query):
    client = admin
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200 and "<b>x</b>" not in response.get_data(as_text=True)


# Bad input: 422, the message next to its field, the typed values kept, nothing written

NEW_USER_BAD = [
    ({"email": ""}, "email"),
    ({"email": "x" * 10_000 + "@example.org"}, "email"),
    ({"email": "Алия Ануарбек"}, "email"),
    ({"email": "<script>alert(1)</script>@example.org"}, "email"),
    ({"email": "nul\x00@example.org"}, "email"),
    ({"role": "superuser"}, "role"),
    ({"role": ""}, "role"),
    ({"role": "admin\u0000"}, "role"),
    ({"events": ["999"]}, "events"),
    ({"events": ["abc"]}, "events"),
    ({"events": ["1" * 50]}, "events"),
    ({"password": "short"}, "password"),
    ({"password": "p" * 5000}, "password"),
    ({"password": "a long enough\x00secret"}, "password"),
    ({"email": "admin@example.org"}, "email"),  # taken
]


@pytest.mark.parametrize("fields,field", NEW_USER_BAD, ids=[f"{f}-{i}" for i, (_, f) in enumerate(NEW_USER_BAD)])
def test_bad_input_in_the_new_account_form(app, admin, fields, field):
    client = admin
    values = {"email": "fine@example.org", "role": "door", "password": PASSWORD, **fields}
    before = counts(app)
    response = post_form(client, "/admin/users/new", values)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field in errors(page), errors(page)
    assert "<script>alert" not in page
    if "\x00" not in values["email"] and len(values["email"]) < 300:
        assert field_value(page, "email") == values["email"]
    assert field_value(page, "password") == ""  # a password is never sent back
    assert counts(app) == before


EDIT_BAD = [
    ({"role": "root"}, "role"),
    ({"role": None}, "role"),
    ({"role": "<b>admin</b>"}, "role"),
    ({"events": ["424242"]}, "events"),
    ({"events": ["one"]}, "events"),
    ({"events": ["-1"]}, "events"),
]


@pytest.mark.parametrize("fields,field", EDIT_BAD, ids=[f"{f}-{i}" for i, (_, f) in enumerate(EDIT_BAD)])
def test_bad_input_in_the_edit_form(app, admin, door_user, make_event, fields, field):
    client = admin
    make_event()
    before, rows = user_row(app, door_user), counts(app)
    response = edit(client, door_user, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and field in errors(page)
    assert "<b>admin</b>" not in page
    assert user_row(app, door_user) == before and counts(app) == rows


@pytest.mark.parametrize("password", ["short", "x" * 5000, "twelve chars\x07!", "bidi \u202e override text"])
def test_bad_input_in_the_password_form(app, admin, door_user, password):
    client = admin
    before, rows = user_row(app, door_user), counts(app)
    response = post_form(client, f"/admin/users/{door_user}/password", {"password": password}, f"/admin/users/{door_user}")
    assert response.status_code == 422 and "password" in errors(response.get_data(as_text=True))
    assert user_row(app, door_user) == before and counts(app) == rows


def test_a_form_without_its_csrf_token_writes_nothing(app, admin, door_user):
    client = admin
    before, rows = user_row(app, door_user), counts(app)
    response = client.post(f"/admin/users/{door_user}", data={"role": "admin", "is_active": "y"})
    assert response.status_code == 422 and "expired" in response.get_data(as_text=True)
    assert user_row(app, door_user) == before and counts(app) == rows


def test_an_unknown_account_is_404(admin):
    client = admin
    assert client.get("/admin/users/999").status_code == 404
    assert post_form(client, "/admin/users/999/password", {}, "/admin/users/new").status_code == 404


def test_door_staff_cannot_manage_accounts(app, door_user):
    door = app.test_client()
    log_in(door, "door@example.org")
    assert door.get("/admin/users").status_code == 403
    response = door.post(f"/admin/users/{door_user}", data={"role": "admin", "is_active": "y",
                                                            "csrf_token": csrf_token(door, "/staff/")})
    assert response.status_code == 403 and user_row(app, door_user)["role"] == "door"


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app):
    import threading

    with app.app_context():
        first = accounts.create_user("first@example.org", "admin", PASSWORD)[0].id
        second = accounts.create_user("second@example.org", "admin", PASSWORD)[0].id
    start, outcomes = threading.Barrier(2), []

    def demote(target, actor):
        with app.app_context():
            start.wait()
            try:
                accounts.update_user(target, role="door", by_user_id=actor)
                outcomes.append("demoted")
            except LastAdminError as error:
                outcomes.append(error.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=demote, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["demoted", "last_admin"]
    assert sorted(user_row(app, u)["role"] for u in (first, second)) == ["admin", "door"]


def test_every_recorded_action_has_words_on_the_audit_page():
    """An action added to a service without a label would show as a raw code to organizers."""
    from pathlib import Path

    from ticketing.admin.people import ACTIONS
    from ticketing.models import AuditAction

    source = "".join(p.read_text("utf-8") for p in (Path(__file__).parent.parent / "ticketing").rglob("*.py"))
    recorded = set(re.findall(r'audit\.record\(session, [\w.]+, "([\w.]+)"', source))
    recorded |= {name for pair in re.findall(r'"([\w.]+)" if \w+ else "([\w.]+)"', source) for name in pair
                 if name.split(".")[0] in ("event", "screening")}
    assert len(recorded) >= 15 and recorded <= set(ACTIONS), recorded - set(ACTIONS)
    # And every word the database takes (some are recorded through variables, as pictures' are).
    assert {action.value for action in AuditAction} == set(ACTIONS), {a.value for a in AuditAction} ^ set(ACTIONS)
