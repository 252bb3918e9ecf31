"""Bad input on the sign-up form (R9): a clear message by the field, the input kept, nothing written."""
import pytest
import sqlalchemy as sa

from pages import errors, field_value, hidden, signup
from ticketing.extensions import db
from ticketing.models import OutboxMessage, Registration, Screening

GOOD = {"name": "Ana", "email": "ana@example.org", "seats": "1"}

BAD = [
    ("name", "", "Please enter your name."),
    ("name", "   \t ", None),  # tab is a control character; spaces alone are empty
    ("name", "x" * 10_000, "Please shorten your name to at most 200 characters."),
    ("name", "Ana\x00Smith", "control or invisible characters"),
    ("name", "Ana\x1b[31m", "control or invisible characters"),
    ("name", "Ana\nSmith", "control or invisible characters"),
    ("name", "evil\u202egnp.exe", "control or invisible characters"),
    ("name", "Ana\ufffd", "control or invisible characters"),
    ("email", "", "Please enter your e-mail address."),
    ("email", "not-an-email", "does not look like an e-mail address"),
    ("email", "ana@", "does not look like an e-mail address"),
    ("email", "@example.org", "does not look like an e-mail address"),
    ("email", "ana@@example.org", "does not look like an e-mail address"),
    ("email", "ana@example..org", "does not look like an e-mail address"),
    ("email", "a" * 10_000 + "@example.org", "This e-mail address is too long."),
    ("email", "ana\x00@example.org", "characters that cannot be in one"),
    ("email", "<script>@example.org", "does not look like an e-mail address"),
    ("seats", "0", "Please choose at least 1 seat."),
    ("seats", "-3", "Please choose at least 1 seat."),
    ("seats", "-" + "9" * 50, "Please choose at least 1 seat."),
    ("seats", "5", "at most 4 seats"),
    ("seats", "99999999999999999999999", "at most 4 seats"),
    ("seats", "9" * 10_000, "at most 4 seats"),
    ("seats", "two", "whole number"),
    ("seats", "2.5", "whole number"),
    ("seats", "1e3", "whole number"),
    ("seats", "٣", "whole number"),
    ("seats", "<b>2</b>", "whole number"),
]


def registrations_written(app):
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Registration)),
            db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)),
            db.session.scalar(sa.select(Screening.seats_taken)),
        )


@pytest.mark.parametrize("field,value,message", BAD, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD)])
def test_bad_value_gets_a_message_keeps_input_and_writes_nothing(client, app, make_screening, field, value, message):
    sid = make_screening(max_seats=4)
    response = signup(client, sid, **{**GOOD, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    found = errors(page)
    assert set(found) == {field}
    if message:
        assert message in found[field]
    assert "Please correct the marked fields." in page
    kept = field_value(page, field)
    if "\x00" not in value:
        assert kept == value  # what was typed comes back, to be corrected
    for other in {"name", "email", "seats"} - {field}:
        assert field_value(page, other) == GOOD[other]
    assert registrations_written(app) == (0, 0, 0)


@pytest.mark.parametrize(
    "name",
    ["محمد الأحمد", "דוד כהן", "Zeynep Yılmaz Şahin Ğ", "Алия Ануарбек", "Ерғали Құдайбергенұлы", "Ana 🎬🇰🇿", "Ана\u0301", "<script>alert(1)</script>"],
)
def test_names_in_any_script_are_accepted_and_shown_escaped(client, app, make_screening, name):
    response = signup(client, make_screening(), **{**GOOD, "name": name})
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    with app.app_context():
        stored = db.session.scalar(sa.select(Registration.name))
    import unicodedata

    assert stored == unicodedata.normalize("NFC", name)


def test_unicode_email_is_accepted(client, app, make_screening):
    response = signup(client, make_screening(), **{**GOOD, "email": "алия@пример.рф"})
    assert response.status_code == 303


def test_missing_csrf_token_keeps_the_input_and_writes_nothing(client, app, make_screening):
    sid = make_screening()
    page = client.get(f"/screenings/{sid}").get_data(as_text=True)
    response = client.post(f"/screenings/{sid}", data={**GOOD, "name": "Ерғали", "form_key": hidden(page, "form_key")})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This form had expired" in body
    assert field_value(body, "name") == "Ерғали" and field_value(body, "email") == GOOD["email"]
    assert registrations_written(app) == (0, 0, 0)
    # The page carries a fresh token: pressing Register again works.
    retry = client.post(f"/screenings/{sid}", data={**GOOD, "csrf_token": hidden(body, "csrf_token"), "form_key": hidden(body, "form_key")})
    assert retry.status_code == 303


def test_stale_csrf_token_from_another_session_is_refused(app, make_screening):
    sid = make_screening()
    stale = hidden(app.test_client().get(f"/screenings/{sid}").get_data(as_text=True), "csrf_token")
    response = app.test_client().post(f"/screenings/{sid}", data={**GOOD, "csrf_token": stale})
    assert response.status_code == 422
    assert registrations_written(app) == (0, 0, 0)


@pytest.mark.parametrize("form_key", ["", "short", "x" * 10_000, "<script>", "a b c d e f g h i j k l"])
def test_odd_form_keys_are_replaced_not_trusted(client, app, make_screening, form_key):
    response = signup(client, make_screening(), **GOOD, form_key=form_key)
    assert response.status_code == 303
    with app.app_context():
        stored = db.session.scalar(sa.select(Registration.form_key))
    assert stored != form_key and len(stored) == 24


def test_missing_fields_entirely(client, app, make_screening):
    sid = make_screening()
    page = client.get(f"/screenings/{sid}").get_data(as_text=True)
    response = client.post(f"/screenings/{sid}", data={"csrf_token": hidden(page, "csrf_token")})
    assert response.status_code == 422
    assert set(errors(response.get_data(as_text=True))) == {"name", "email"}
    assert registrations_written(app) == (0, 0, 0)


def test_huge_body_is_refused_cleanly(client, make_screening):
    response = client.post(f"/screenings/{make_screening()}", data={"name": "x" * 2_000_000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_wrong_method_and_bad_ids(client, make_screening):
    make_screening()
    assert client.delete("/screenings/1").status_code == 405
    assert client.get("/screenings/-1").status_code == 404
    assert client.get("/screenings/99999999999999999999999").status_code == 404
