"""Shared pieces of the attack tests (fuzzing, CSRF, inert markup, guessing).

A populated festival (`build_world`), test clients for each kind of caller, the arguments of every
route in app.url_map, nasty input for Hypothesis, and the database's rules checked after every
request (`rule_violations`).
"""
import json
import os
import re
import time
import unicodedata
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from factories import PASSWORD
from pages import hidden
from ticketing.extensions import db
from ticketing.models import (
    Announcement, CheckIn, Device, Event, OutboxMessage, Question, Registration, Screening, Ticket, User, Vote, utcnow,
)

# The smallest GIF: one white pixel (a poster that Pillow reads).
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
       b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

# Hypothesis: a fixed, derandomized run for CI (the same examples every time, no example
# database written to the work tree); TICKETING_FUZZ=explore draws new random examples, many more.
settings.register_profile(
    "ticketing-ci", derandomize=True, database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile(
    "ticketing-explore", parent=settings.get_profile("ticketing-ci"), derandomize=False, max_examples=500,
)
PROFILE = "ticketing-explore" if os.environ.get("TICKETING_FUZZ") == "explore" else "ticketing-ci"


def fuzz_settings(examples):
    """Settings for one endpoint's fuzzing: `examples` in CI, the explore profile's count otherwise."""
    base = settings.get_profile(PROFILE)
    return settings(base, max_examples=examples if PROFILE == "ticketing-ci" else base.max_examples)


# ---------------------------------------------------------------------------------------------
# Nasty input

NASTY = [
    "", " ", "   ", "\x00", "a\x00b", "\t", "\r\n", "\n\n", "\x1b[31mred", "\x7f", "\x85",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</textarea><svg onload=alert(1)>",
    "{{7*7}}", "${7*7}", "{% raw %}", "%s%s%n", "' OR '1'='1", "1; DROP TABLE registrations;--",
    "../../etc/passwd", "=1+1", "+cmd", "-2", "@SUM(A1)", "=HYPERLINK(\"http://evil.example\")",
    "\u202eevil\u202c", "\u2066isolate\u2069", "\u200b", "a\u200db", "\ufeff", "\ufffd", "\ue000",
    "\U000e0001", "\u0378",  # a tag character; an unassigned code point
    "محمد الأحمد", "דוד כהן", "Алия Ануарбек", "Ерғали", "Zeynep Yılmaz", "Ana\u0301", "🎬🇰🇿👩‍👩‍👧",
    "ﬃ" * 200, "ΐ" * 200, "ß" * 200, "İ" * 200, "x" * 199, "x" * 200, "x" * 201, "x" * 254, "x" * 255,
    "x" * 301, "x" * 5001, "x" * 10_001, "y" * 60_000,
    "0", "-1", "1", "4", "5", "99", "100", "101", "2147483647", "2147483648", "9" * 400, "1e3", "1.5",
    "٣", "①", "0x10", " 2 ", "+1", "NaN", "true", "null", "[]", "{}",
    "ana@example.org", "ANA@EXAMPLE.ORG", "a@b", "алия@пример.рф", "x" * 250 + "@example.org",
    "a\r\nBcc: evil@example.org", "ana@example.org\r\nX-Injected: 1", "\"quoted\"@example.org",
    "o'brien&co@example.org", "=cmd@example.org",
    "2030-05-01T19:30", "2030-02-30T19:30", "1900-01-01T00:00", "9999-12-31T23:59", "2030-03-31T02:30",
    "Europe/Brussels", "europe/brussels", "Mars/Olympus", "UTC", "fest", "new-fest", "Fest", "-a-",
    "confirmed", "waitlisted", "checked_in", "admin", "door", "guest", "walkin", "name", "newest",
]


def _text_alphabet():
    # Every code point but surrogates (a form post is UTF-8; the JSON tests send lone surrogates).
    return st.characters(exclude_categories=("Cs",))


@lru_cache(maxsize=None)  # strategies are immutable: built once, shared
def nasty_text(max_size=300):
    """Text a person (or a script) might type: the NASTY list, random Unicode, mixtures of both."""
    return st.one_of(
        st.sampled_from(NASTY),
        st.sampled_from(NASTY),
        st.text(_text_alphabet(), max_size=max_size),
        st.tuples(st.sampled_from(NASTY), st.text(_text_alphabet(), max_size=20), st.sampled_from(NASTY))
        .map("".join),
        st.text(st.sampled_from("<>&\"'/=+-@\\\x00\t\n\r\u202e\u200b aZ9éк"), max_size=40),
    )


@lru_cache(maxsize=None)
def form_values(max_size=300):
    """A form field's value(s): usually one text, sometimes none or several (repeated fields)."""
    return st.one_of(
        nasty_text(max_size),
        nasty_text(max_size),
        nasty_text(max_size).map(lambda value: [value]),
        st.lists(nasty_text(40), min_size=2, max_size=3),
    )


@lru_cache(maxsize=None)
def json_scalars():
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=True, allow_infinity=True), nasty_text(),
        st.text(st.characters(), max_size=30),  # lone surrogates included: JSON can carry them
    )


@lru_cache(maxsize=None)
def json_values():
    """Any JSON value: scalars of every type, lists and objects, a few levels deep."""
    return st.recursive(
        json_scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(nasty_text(20), children, max_size=4)
        ),
        max_leaves=12,
    )


def json_body(fields):
    """A JSON request body for an endpoint that reads `fields`: their values of any type, some
    missing, some extra; or not an object at all; or raw bytes that are not JSON."""
    objects = st.fixed_dictionaries(
        {}, optional={name: st.one_of(json_values(), strategy) for name, strategy in fields.items()}
    )
    extra = st.dictionaries(nasty_text(20), json_values(), max_size=3)
    documents = st.one_of(
        st.builds(lambda a, b: {**b, **a}, objects, extra),
        objects,
        json_values(),
    )
    encoded = documents.map(lambda doc: json.dumps(doc).encode())  # NaN and Infinity included
    raw = st.one_of(
        st.binary(max_size=200),
        st.sampled_from([
            b"", b"null", b"{", b'{"name": "\\ud800"}', b'{"name": "a\\u0000b", "email": "a@b.org"}',
            b"[" * 50_000 + b"]" * 50_000, b'{"a":' * 5000 + b"1" + b"}" * 5000,
            b'{"seats": 1e999}', b'{"seats": -0}', b"\xff\xfe{}", b'{"name": "x"}' * 2,
            json.dumps({"name": "x" * 400_000}).encode(),
        ]),
    )
    return st.one_of(encoded, encoded, encoded, raw)


# ---------------------------------------------------------------------------------------------
# The festival the attacks run against


@lru_cache(maxsize=1)
def password_hash():
    """One scrypt hash of PASSWORD for every test user (hashing costs a tenth of a second)."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD)


# The world as first built in this process, per kind of database: (its namespace, every table's
# rows, the import previews' files). Building it through the services took a tenth of a second,
# a quarter of the fuzzing's time; writing its rows back takes a hundredth.
_BUILT = {}
# Its times are those of its building: rebuilt after ten minutes, well within what they allow
# (the door undoes an admission for fifteen minutes; its vote is open for an hour).
FRESH_FOR = 600


def build_world(app):
    """Fill the (empty) database: an event with two screenings, public registrations, a guest, a
    walk-in, an admission, a door device, an admin and a door user, an import preview.

    Returns a namespace of their ids, secrets and codes. The first call in a process on each kind
    of database builds it through the services; the next ones write the same rows and files back.
    """
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect not in _BUILT or time.monotonic() - _BUILT[dialect][3] > FRESH_FOR:
        world = _build_world(app)
        _BUILT[dialect] = (world, _rows(app), _preview_files(app), time.monotonic())
        return SimpleNamespace(**vars(world))
    world, rows, files, _built_at = _BUILT[dialect]
    _write_back(app, rows, files)
    return SimpleNamespace(**vars(world))


def _rows(app):
    """Every table's rows, as {table: [row mappings]} (alembic's own table is not the app's)."""
    with app.app_context(), db.engine.connect() as connection:
        return {table: [dict(row) for row in connection.execute(table.select()).mappings()]
                for table in db.metadata.sorted_tables}


def _preview_files(app):
    folder = Path(app.instance_path) / "imports"
    return {path.name: path.read_bytes() for path in folder.iterdir()} if folder.is_dir() else {}


def _write_back(app, rows, files):
    """Insert `rows` into the empty database, tables in dependency order; on PostgreSQL, move each
    id sequence past the ids written (they were given explicitly); put the previews' files back."""
    with app.app_context(), db.engine.begin() as connection:
        for table, values in rows.items():
            if values:
                connection.execute(table.insert(), values)
        if connection.dialect.name == "postgresql":
            for table, values in rows.items():
                if values and "id" in table.c:
                    connection.execute(sa.select(sa.func.setval(
                        sa.func.pg_get_serial_sequence(table.name, "id"), sa.func.max(table.c.id))))
    folder = Path(app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)


def _build_world(app):
    from ticketing.services import accounts, booking, checkin, guests, imports

    with app.app_context():
        admin = User(email="admin@example.org", password_hash=password_hash(), role="admin")
        door = User(email="door@example.org", password_hash=password_hash(), role="door")
        event = Event(slug="fest", name="Test Festival", timezone="Europe/Brussels", venue="Hall A",
                      contact_email="festival@example.org")
        db.session.add_all([admin, door, event])
        db.session.flush()
        start = utcnow() + timedelta(days=10)
        first = Screening(event_id=event.id, title="Film A", starts_at=start, capacity=30, max_seats=4)
        second = Screening(event_id=event.id, title="Film B", starts_at=start + timedelta(days=1), capacity=30,
                           max_seats=4)
        db.session.add_all([first, second])
        db.session.commit()
        ids = SimpleNamespace(admin_id=admin.id, door_id=door.id, event_id=event.id, screening_id=first.id,
                              other_screening_id=second.id)
        ana = booking.book(first.id, "Ana Attendee", "ana@example.org", 1).registration
        bo = booking.book(first.id, "Bo Attendee", "bo@example.org", 1).registration
        guest = guests.add_guest(first.id, "Guest Person", "guest@example.org", 2, "press", user_id=admin.id)
        walkin = guests.add_walkin(first.id, "Walk In", 1, user_id=door.id)
        device, token = accounts.create_device("Door phone", by_user_id=admin.id)
        codes = dict(db.session.execute(sa.select(Ticket.registration_id, Ticket.code)).all())
        # Scanned by the door user on the registered phone: either may undo it (checkin.undo).
        admission = checkin.check_in(codes[bo.id], first.id, user_id=door.id, device_id=device.id)
        preview = imports.build_preview(first.id, b"name,email,seats\nImported Guest,imported@example.org,1\n")
        import_token = imports.save_preview(preview, first.id, admin.id, "guests.csv")
        outbox_id = db.session.scalar(sa.select(sa.func.min(OutboxMessage.id)))
        # An organizer's own question (optional: the fuzzed sign-ups may still book).
        question = Question(event_id=event.id, kind="yes_no", label="Are you a student?", required=False,
                            choices=[], texts={}, position=0)
        db.session.add(question)
        # The audience's vote, open now: Bo, let in, may vote in it.
        vote = Vote(event_id=event.id, kind="rating", opens_at=utcnow() - timedelta(hours=1),
                    closes_at=utcnow() + timedelta(hours=1))
        db.session.add(vote)
        db.session.commit()
        return SimpleNamespace(
            **vars(ids), registration_id=ana.id, secret=ana.secret, code=codes[ana.id], bo_id=bo.id,
            bo_code=codes[bo.id], bo_secret=bo.secret, guest_id=guest.id, walkin_id=walkin.id, device_id=device.id,
            device_token=token, checkin_id=admission.checkin_id, outbox_id=outbox_id, import_token=import_token,
            question_id=question.id, vote_id=vote.id,
        )


def logged_in(app, user_id):
    """A test client whose session belongs to staff user `user_id` (no password check: the server
    records the session as a login would), and a CSRF token of that session."""
    from ticketing.services import accounts
    from ticketing.staff.views import SESSION_KEY

    client = app.test_client()
    with app.app_context():
        session_id = db.session.get(User, user_id).get_id()
        token = accounts.open_session(user_id)
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
        session[SESSION_KEY] = token
    return client, csrf_token(client)


def csrf_token(client):
    """A valid CSRF token for the client's session (read from the login form)."""
    return hidden(client.get("/staff/login").get_data(as_text=True), "csrf_token")


# ---------------------------------------------------------------------------------------------
# Routes

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def routes(app):
    """Every (endpoint, method, rule) of the app but static files, HEAD and OPTIONS."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


def default_arguments(world, endpoint):
    """The value of each URL argument that names a real thing of `world`."""
    values = {
        "event_id": world.event_id, "screening_id": world.screening_id, "registration_id": world.registration_id,
        "user_id": world.door_id, "device_id": world.device_id, "outbox_id": world.outbox_id,
        "checkin_id": world.checkin_id, "secret": world.secret, "token": world.import_token, "slug": "fest",
        "code": "fr", "fmt": "csv", "name": "missing.jpg", "size": 192, "kind": "logo", "colour": "0b5cad",
        "question_id": getattr(world, "question_id", 1),  # a world without one: no such question
        "vote_id": getattr(world, "vote_id", 1),
    }
    if endpoint == "public.ticket_vote":  # Bo's ticket, let in at the door, votes
        values["secret"] = getattr(world, "bo_secret", world.secret)
    if endpoint == "staff.vendor":
        values["name"] = "zxing-reader.js"
    if endpoint == "admin.texts":  # a screening's texts in another language
        values.update(kind="screenings", item_id=world.screening_id, locale="fr")
    return values


def fill(rule, values):
    """The path of `rule` with each argument replaced by its value (quoted; any text allowed)."""

    def value(match):
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for the URL argument <{name}> of {rule}: add one to attack_support")
        return quote(str(values[name]), safe="")

    return _ARGUMENT.sub(value, rule)


def arguments(rule):
    """The names of a rule's URL arguments."""
    return _ARGUMENT.findall(rule)


# ---------------------------------------------------------------------------------------------
# What every answer must look like


def check_answer(response, path):
    """Never a 500; an error is a 4xx page of the site or the API's JSON error."""
    status = response.status_code
    assert status < 500, f"{status} for {path}: {response.get_data(as_text=True)[:500]}"
    if path.startswith("/api/"):
        assert response.mimetype == "application/json", (status, path, response.mimetype)
        body = response.get_json()
        if status >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            assert isinstance(error, dict) and isinstance(error.get("kind"), str) and error["kind"], (status, body)
            assert isinstance(error.get("message"), str) and error["message"], (status, body)
            assert isinstance(error.get("fields"), dict), (status, body)
    elif status >= 400:
        text = response.get_data(as_text=True)
        assert response.mimetype == "text/html", (status, path, response.mimetype)
        # A page of the site (its layout), not a bare error from the framework.
        assert 'class="skip"' in text and text.rstrip().endswith("</html>"), (status, path, text[:300])


# ---------------------------------------------------------------------------------------------
# The rules of stored data

# Direction controls that disguise text; with control characters, surrogates, private use and
# noncharacters they are never stored (line breaks and tabs only in long texts).
_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
_NONCHARACTERS = set(range(0xFDD0, 0xFDF0)) | {plane + last for plane in range(0, 0x110000, 0x10000) for last in (0xFFFE, 0xFFFF)}


def garbage(text, multiline=False, replacement_ok=False):
    """The first character that stored text must not hold, or None."""
    for ch in text:
        if multiline and ch in "\n\t":
            continue
        if ch == "\ufffd" and replacement_ok:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co") or ord(ch) in _BIDI | _NONCHARACTERS or ch == "\ufffd":
            return ch
    return None


# (table, column, longest, required, multiline)
TEXT_RULES = [
    (Event, "slug", 80, True, False), (Event, "name", 200, True, False), (Event, "description", 5000, False, True),
    (Event, "timezone", 64, True, False), (Event, "venue", 200, False, False), (Event, "address", 300, False, False),
    (Event, "contact_email", 254, False, False),
    (Screening, "title", 200, True, False), (Screening, "original_title", 200, False, False),
    (Screening, "director", 200, False, False), (Screening, "language", 100, False, False),
    (Screening, "subtitles", 100, False, False), (Screening, "description", 5000, False, True),
    (Screening, "note", 300, False, False), (Screening, "venue", 200, False, False),
    (Screening, "hall", 100, False, False), (Screening, "poster", 80, False, False),
    (Registration, "name", 200, True, False), (Registration, "name_normalized", 400, True, False),
    (Registration, "email", 254, False, False), (Registration, "email_normalized", 254, False, False),
    (Registration, "note", 500, False, False), (Registration, "locale", 16, True, False),
    (Device, "name", 100, True, False), (User, "email", 254, True, False),
    (Announcement, "subject", 200, True, False), (Announcement, "body", 10_000, True, True),
    (OutboxMessage, "recipient", 254, False, False), (CheckIn, "scanned_code", 64, False, False),
]
_CODE = re.compile(r"[A-Z2-7]{26}")
ANONYMISED = "Anonymised"  # services.privacy.ANONYMISED_NAME: the name left when a person is erased


def _text_violations(session):
    """The text rules, reading each table once."""
    found = []
    by_model = {}
    for model, column, longest, required, multiline in TEXT_RULES:
        by_model.setdefault(model, []).append((column, longest, required, multiline))
    for model, rules in by_model.items():
        columns = [getattr(model, column) for column, *_rest in rules]
        for row in session.execute(sa.select(model.id, *columns)):
            for (column, longest, required, multiline), value in zip(rules, row[1:]):
                where = f"{model.__tablename__}.{column} of row {row[0]}"
                if value is None:
                    if column != "email_normalized":
                        found.append(f"{where} is NULL")
                    continue
                if len(value) > longest:
                    found.append(f"{where} is {len(value)} characters long (at most {longest})")
                if required and not value.strip():
                    found.append(f"{where} is empty")
                # The door log keeps what was scanned, U+FFFD (an unreadable byte) included.
                bad = garbage(value, multiline, replacement_ok=column == "scanned_code")
                if bad is not None:
                    found.append(f"{where} holds {bad!r}: {value[:80]!r}")
    return found


def rule_violations(app):
    """Every broken rule of the stored data, as readable lines (empty: all is well)."""
    with app.app_context():
        session = db.session
        found = _text_violations(session)
        r, t, sc = Registration.__table__.c, Ticket.__table__.c, Screening.__table__.c
        screenings = {row.id: row for row in session.execute(
            sa.select(sc.id, sc.capacity, sc.seats_taken, sc.seats_held, sc.max_seats, sc.is_cancelled))}
        registrations = session.execute(
            sa.select(r.id, r.screening_id, r.name, r.email, r.email_normalized, r.source, r.status, r.seats)
            .order_by(r.id)).all()
        tickets = {row.registration_id: row for row in session.execute(
            sa.select(t.id, t.registration_id, t.code, t.seats, t.admitted))}
        taken = {sid: 0 for sid in screenings}
        for registration in registrations:
            screening = screenings[registration.screening_id]
            erased = registration.email == "" and registration.name == ANONYMISED  # erased on request
            if registration.source == "public" and "@" not in registration.email and not erased:
                found.append(f"public registration {registration.id} has no e-mail address: {registration.email!r}")
            ticket = tickets.get(registration.id)
            if ticket is None:
                found.append(f"registration {registration.id} ({registration.status}) has no ticket")
            else:
                if ticket.seats != registration.seats:
                    found.append(f"ticket of registration {registration.id} has {ticket.seats} seats, "
                                 f"its registration {registration.seats}")
                if not _CODE.fullmatch(ticket.code):
                    found.append(f"ticket {ticket.id} has the malformed code {ticket.code!r}")
                if not 0 <= ticket.admitted <= ticket.seats:
                    found.append(f"ticket {ticket.id} admitted {ticket.admitted} of {ticket.seats}")
            if not 1 <= registration.seats <= 100:
                found.append(f"registration {registration.id} has {registration.seats} seats")
            if registration.source == "public" and registration.seats > screening.max_seats:
                found.append(f"public registration {registration.id} has {registration.seats} seats, "
                             f"more than the {screening.max_seats} allowed")
            if registration.status == "confirmed":
                taken[screening.id] += registration.seats
        for sid, screening in screenings.items():
            if screening.seats_taken != taken[sid]:
                found.append(f"screening {sid} counts {screening.seats_taken} seats taken, its confirmed "
                             f"registrations hold {taken[sid]}")
            if screening.seats_taken + screening.seats_held > screening.capacity or screening.seats_held < 0:
                found.append(f"screening {sid}: {screening.seats_taken} taken + {screening.seats_held} held "
                             f"> capacity {screening.capacity}")
            if screening.max_seats < 1:
                found.append(f"screening {sid} allows {screening.max_seats} seats per person")
            free = screening.capacity - screening.seats_taken - screening.seats_held
            fits = [reg.id for reg in registrations
                    if reg.screening_id == sid and reg.status == "waitlisted" and reg.seats <= free]
            if fits and not screening.is_cancelled:
                found.append(f"screening {sid} has {free} free seats while waiting registrations {fits} fit")
        active = {}
        for registration in registrations:
            if registration.status != "cancelled" and registration.email_normalized:
                key = (registration.screening_id, registration.email_normalized)
                if key in active:
                    found.append(f"registrations {active[key]} and {registration.id} are both active for {key}")
                active[key] = registration.id
        for outbox_id, recipient in session.execute(sa.select(OutboxMessage.id, OutboxMessage.recipient)):
            if recipient and "@" not in recipient:  # empty: anonymised
                found.append(f"outbox message {outbox_id} goes to {recipient!r}")
        session.rollback()
    return found


def snapshot(app):
    """Every row of every table, for comparing before and after a request."""
    with app.app_context():
        state = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(sa.select(table)).all()
            state[table.name] = sorted((tuple(map(repr, row)) for row in rows))
        db.session.rollback()
    return state


def changed_tables(before, after):
    """The names of the tables whose rows differ between two snapshots."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
