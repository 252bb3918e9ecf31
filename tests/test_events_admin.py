"""Events and screenings set up by organizers: the services and the back-office pages."""
import re
import threading
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from factories import logged_in
from pages import errors, field_value, hidden
from ticketing.errors import InvalidInputError, NotFoundError, ScreeningCancelledError, TicketingError
from ticketing.extensions import db
from ticketing.models import AuditEntry, Event, OutboxMessage, Registration, Screening
from ticketing.services import booking, checkin, events, guests

UTC = timezone.utc
SCREENING = {"title": "Myn Bala", "starts_at": "2030-05-01T19:30", "capacity": "40", "max_seats": "2"}


@pytest.fixture
def admin(app):
    """An admin on a client of its own (the `client` fixture stays anonymous), with `csrf`."""
    return logged_in(app, "admin")


def post(client, path, **data):
    return client.post(path, data={"csrf_token": client.csrf, **data})


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def fresh(app, model, ident):
    with app.app_context():
        return db.session.get(model, ident)


def audit_actions(app):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()


def fill(app, screening_id, n, seats=1, prefix="p"):
    """Book `n` sign-ups of `seats` each; return their outcomes."""
    with app.app_context():
        return [booking.book(screening_id, f"P {i}", f"{prefix}{i}@example.org", seats).outcome for i in range(n)]


# --- Services: events -------------------------------------------------------------------------

def test_create_event_stores_the_cleaned_fields_unpublished(ctx):
    event = events.create_event(name=" Days of Kazakh Cinema ", slug="Days-2027", timezone="europe/brussels",
                                contact_email="info@example.org")
    stored = db.session.get(Event, event.id)
    assert (stored.name, stored.slug, stored.timezone, stored.is_published) == (
        "Days of Kazakh Cinema", "days-2027", "Europe/Brussels", False)


def test_a_taken_slug_is_refused(ctx, make_event):
    make_event(slug="fest")
    with pytest.raises(InvalidInputError) as caught:
        events.create_event(name="Other", slug="fest", timezone="UTC")
    assert "already has this web address" in caught.value.fields["slug"]


@pytest.mark.parametrize("typed,made", [
    ("Kazakh Shorts 2027", "kazakh-shorts-2027"), ("with space", "with-space"), ("ÜNÏ", "uni"), ("a--b", "a-b"),
    ("-a", "a"), ("a/b", "a-b"), ("Қазақ киносының күндері", "qazaq-kinosynyn-kunderi"),
    ("Дни казахского кино", "dni-kazakhskogo-kino"), ("Baqyt Qushağynda İstanbul", "baqyt-qushagynda-istanbul"),
])
def test_a_typed_web_address_is_made_into_one(ctx, typed, made):
    assert events.create_event(name="Fest", slug=typed, timezone="UTC").slug == made


@pytest.mark.parametrize("name,made", [("Kazakh Shorts 2027", "kazakh-shorts-2027"), ("Күн мен Ай", "kun-men-ay")])
def test_left_empty_the_web_address_is_made_from_the_name_and_kept_unique(ctx, name, made):
    first = events.create_event(name=name, slug="", timezone="UTC")
    second = events.create_event(name=name, slug="  ", timezone="UTC")
    third = events.create_event(name=name, slug="", timezone="UTC")
    assert (first.slug, second.slug, third.slug) == (made, f"{made}-2", f"{made}-3")


@pytest.mark.parametrize("slug", ["x" * 81, "!!!", "—", "a\x00b"])
def test_a_web_address_that_cannot_be_made_is_refused(ctx, slug):
    with pytest.raises(InvalidInputError) as caught:
        events.create_event(name="Fest", slug=slug, timezone="UTC")
    assert set(caught.value.fields) == {"slug"}


def test_a_name_with_no_letter_to_make_an_address_of_asks_for_one(ctx):
    with pytest.raises(InvalidInputError) as caught:
        events.create_event(name="!!!", slug="", timezone="UTC")
    assert set(caught.value.fields) == {"slug"}


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "Europe/Brussels\x00", "+02:00"])
def test_an_unknown_time_zone_is_refused(ctx, zone):
    with pytest.raises(InvalidInputError) as caught:
        events.create_event(name="Fest", slug="fest", timezone=zone)
    assert set(caught.value.fields) == {"timezone"}


def test_update_event_audits_only_the_changed_fields(ctx, make_event):
    event_id = make_event()
    events.update_event(event_id, user_id=None, name="Test Festival", venue="Cinema Nova")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "event.update")).one()
    assert entry.details == {"changed": {"venue": "Cinema Nova"}}
    assert db.session.get(Event, event_id).venue == "Cinema Nova"


def test_update_of_an_unknown_event_is_not_found(ctx):
    with pytest.raises(NotFoundError):
        events.update_event(999, name="x")


# --- Services: screenings and time zones ------------------------------------------------------

def test_screening_times_are_typed_in_the_events_zone_and_stored_in_utc(ctx, make_event):
    event_id = make_event(timezone="Europe/Brussels")
    screening = events.create_screening(event_id, title="Film", starts_at="2030-01-15T19:30", capacity="10",
                                        registration_closes_at="2030-01-15 19:00")
    stored = db.session.get(Screening, screening.id)
    assert stored.starts_at == datetime(2030, 1, 15, 18, 30, tzinfo=UTC)
    assert stored.registration_closes_at == datetime(2030, 1, 15, 18, 0, tzinfo=UTC)


def test_the_same_wall_time_in_another_zone_is_another_moment(ctx, make_event):
    event_id = make_event(slug="almaty", timezone="Asia/Almaty")
    screening = events.create_screening(event_id, title="Film", starts_at="2030-01-15T19:30", capacity="10")
    assert screening.starts_at == datetime(2030, 1, 15, 14, 30, tzinfo=UTC)


def test_a_time_in_the_daylight_saving_gap_is_refused(ctx, make_event):
    event_id = make_event(timezone="Europe/Brussels")
    with pytest.raises(InvalidInputError) as caught:
        events.create_screening(event_id, title="Film", starts_at="2027-03-28T02:30", capacity="10")
    assert "does not exist in Europe/Brussels" in caught.value.fields["starts_at"]
    assert count(ctx, Screening) == 0


def test_an_ambiguous_time_is_taken_before_the_clocks_go_back(ctx, make_event):
    event_id = make_event(timezone="Europe/Brussels")
    screening = events.create_screening(event_id, title="Film", starts_at="2027-10-31T02:30", capacity="10")
    assert screening.starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 summer time


def test_closing_before_opening_is_refused(ctx, make_event):
    with pytest.raises(InvalidInputError) as caught:
        events.create_screening(make_event(), title="Film", starts_at="2030-05-01T19:30", capacity="10",
                                registration_opens_at="2030-04-10T10:00", registration_closes_at="2030-04-01T10:00")
    assert caught.value.fields == {"registration_closes_at": "Registration must close after it opens."}


def test_closing_after_the_start_is_refused(ctx, make_event):
    with pytest.raises(InvalidInputError) as caught:
        events.create_screening(make_event(), title="Film", starts_at="2030-05-01T19:30", capacity="10",
                                registration_closes_at="2030-05-01T20:00")
    assert "start of the film or before" in caught.value.fields["registration_closes_at"]


def test_opening_after_the_start_is_refused(ctx, make_event):
    with pytest.raises(InvalidInputError) as caught:
        events.create_screening(make_event(), title="Film", starts_at="2030-05-01T19:30", capacity="10",
                                registration_opens_at="2030-05-02T10:00")
    assert "open before the film starts" in caught.value.fields["registration_opens_at"]


def test_every_screening_field_is_stored(ctx, make_event):
    fields = dict(title="Baqyt Qushağynda", original_title="Бақыт құшағында", director="Sanat Shapashov",
                  year="2024", runtime_minutes="105", language="Kazakh", subtitles="English",
                  description="Line one\nLine two", note="Q&A after the film", venue="Cinema Nova", hall="Hall 2",
                  starts_at="2030-05-01T19:30", capacity="120", max_seats="4", seats_held="10",
                  release_minutes="10", registration_opens_at="2030-04-01T09:00",
                  registration_closes_at="2030-05-01T19:00", is_published=True)
    stored = db.session.get(Screening, events.create_screening(make_event(), **fields).id)
    assert (stored.year, stored.runtime_minutes, stored.capacity, stored.max_seats, stored.seats_held,
            stored.release_minutes, stored.is_published) == (2024, 105, 120, 4, 10, 10, True)
    assert (stored.original_title, stored.description, stored.hall) == ("Бақыт құшағында", "Line one\nLine two", "Hall 2")


def test_held_seats_above_the_capacity_are_refused(ctx, make_event):
    with pytest.raises(InvalidInputError) as caught:
        events.create_screening(make_event(), title="Film", starts_at="2030-05-01T19:30", capacity="10", seats_held="11")
    assert set(caught.value.fields) == {"seats_held"}


def test_capacity_below_the_seats_taken_is_refused_and_nothing_changes(app, ctx, make_screening):
    screening_id = make_screening(capacity=10)
    fill(app, screening_id, 3, seats=2)
    with pytest.raises(InvalidInputError) as caught:
        events.update_screening(screening_id, capacity="5", title="New title")
    assert caught.value.fields == {"capacity": "6 seats are already taken: the capacity cannot be lower than 6."}
    stored = fresh(app, Screening, screening_id)
    assert (stored.capacity, stored.title) == (10, "Test Film")


def test_capacity_may_drop_to_exactly_the_seats_taken(app, ctx, make_screening):
    screening_id = make_screening(capacity=10)
    fill(app, screening_id, 3, seats=2)
    events.update_screening(screening_id, capacity="6")
    assert fresh(app, Screening, screening_id).capacity == 6


def test_held_seats_count_against_a_lower_capacity(app, ctx, make_screening):
    screening_id = make_screening(capacity=10, seats_held=4)
    fill(app, screening_id, 3)
    with pytest.raises(InvalidInputError) as caught:
        events.update_screening(screening_id, capacity="6")
    assert "3 seats are already taken and 4 held back for guests" in caught.value.fields["capacity"]


def test_raising_the_capacity_promotes_the_waiting_list(app, ctx, make_screening):
    screening_id = make_screening(capacity=2, max_seats=1)
    assert fill(app, screening_id, 4) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    change = events.update_screening(screening_id, capacity="3")
    assert [r.email for r in change.promoted] == ["p2@example.org"]
    with ctx.app_context():
        statuses = db.session.scalars(sa.select(Registration.status).order_by(Registration.id)).all()
        promoted_mail = db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.kind == "promoted"))
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"] and promoted_mail == 1


def test_fewer_held_seats_promote_the_waiting_list(app, ctx, make_screening):
    screening_id = make_screening(capacity=3, seats_held=2, max_seats=1)
    assert fill(app, screening_id, 2) == ["confirmed", "waitlisted"]
    change = events.update_screening(screening_id, seats_held="1")
    assert len(change.promoted) == 1 and fresh(app, Screening, screening_id).seats_taken == 2


def test_held_seats_beyond_the_free_ones_are_refused(app, ctx, make_screening):
    screening_id = make_screening(capacity=5)
    fill(app, screening_id, 4)
    with pytest.raises(InvalidInputError) as caught:
        events.update_screening(screening_id, seats_held="2")
    assert caught.value.fields == {"seats_held": "Only 1 seats are not taken yet: no more can be held back."}


def test_the_database_check_refuses_a_capacity_below_the_seats_taken(app, ctx, make_screening):
    screening_id = make_screening(capacity=5)
    fill(app, screening_id, 3)
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(Screening).where(Screening.id == screening_id).values(capacity=2))
        db.session.commit()
    db.session.rollback()


def test_update_audits_the_changed_fields_with_times_in_utc(app, ctx, make_screening):
    screening_id = make_screening()
    events.update_screening(screening_id, starts_at="2030-07-01T20:00", capacity="50")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "screening.update")).one()
    assert entry.details == {"changed": {"starts_at": "2030-07-01T18:00:00+00:00"}, "promoted": 0}
    assert (entry.subject_type, entry.subject_id) == ("screenings", screening_id)


# --- Services: publishing and cancelling ------------------------------------------------------

def test_an_unpublished_event_refuses_sign_up_to_its_screenings(app, ctx, make_event, make_screening):
    screening_id = make_screening(event_id=make_event(is_published=False))
    with pytest.raises(NotFoundError):
        booking.book(screening_id, "Ana", "ana@example.org")
    assert count(app, Registration) == 0


def test_an_unpublished_screening_refuses_sign_up(app, ctx, make_screening):
    screening_id = make_screening()
    events.publish_screening(screening_id, False)
    with pytest.raises(NotFoundError):
        booking.book(screening_id, "Ana", "ana@example.org")


def test_publishing_is_audited_once_per_change(app, ctx, make_event):
    event_id = make_event(is_published=False)
    events.publish_event(event_id, True)
    events.publish_event(event_id, True)
    events.publish_event(event_id, False)
    assert [a for a in audit_actions(app) if a.startswith("event.")] == ["event.publish", "event.unpublish"]


def test_cancel_writes_one_message_per_active_registration(app, ctx, make_screening):
    screening_id = make_screening(capacity=2, max_seats=1)
    fill(app, screening_id, 4)  # two confirmed, two waiting
    with app.app_context():
        first = db.session.scalar(sa.select(Registration.id).order_by(Registration.id))
        booking.cancel(first)  # no longer active: not told (a waiting one takes its seat)
        before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    assert events.cancel_screening(screening_id, user_id=None) == 3
    with app.app_context():
        told = db.session.scalars(
            sa.select(OutboxMessage.recipient).where(OutboxMessage.kind == "screening_cancelled")
            .order_by(OutboxMessage.recipient)).all()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    assert told == ["p1@example.org", "p2@example.org", "p3@example.org"] and total == before + 3
    assert fresh(app, Screening, screening_id).is_cancelled
    assert audit_actions(app)[-1] == "screening.cancel"


def test_cancel_preview_counts_who_will_be_told(app, ctx, make_screening):
    screening_id = make_screening(capacity=5)
    fill(app, screening_id, 2)
    with app.app_context():
        guests.add_guest(screening_id, "Press guest")  # no e-mail address
    assert events.cancel_preview(screening_id) == (2, 1)


def test_a_second_cancel_is_refused(ctx, make_screening):
    screening_id = make_screening()
    events.cancel_screening(screening_id)
    with pytest.raises(ScreeningCancelledError):
        events.cancel_screening(screening_id)


def test_the_door_refuses_a_ticket_of_a_cancelled_screening(app, ctx, make_screening):
    screening_id = make_screening()
    with app.app_context():
        code = booking.book(screening_id, "Ana", "ana@example.org").registration.id
        code = db.session.get(Registration, code).ticket.code
    events.cancel_screening(screening_id)
    with app.app_context():
        verdict = checkin.check_in(code, screening_id)
    assert (verdict.result, verdict.reason) == ("not_valid", "screening_cancelled")


def test_capacity_lowered_while_sign_ups_race_never_oversells(app, make_screening):
    """Sign-ups and capacity cuts race; the guarded UPDATE keeps seats taken within capacity."""
    screening_id = make_screening(capacity=60, max_seats=1)
    start = threading.Barrier(7)
    outcomes, lock = [], threading.Lock()

    def sign_up(worker):
        with app.app_context():
            start.wait()
            for i in range(12):
                try:
                    result = booking.book(screening_id, "Racer", f"r{worker}-{i}@example.org").outcome
                except TicketingError as error:
                    result = error.code
                finally:
                    db.session.remove()
                with lock:
                    outcomes.append(result)

    def cut():
        with app.app_context():
            start.wait()
            for capacity in range(60, 19, -2):
                try:
                    events.update_screening(screening_id, capacity=str(capacity))
                    result = f"cut:{capacity}"
                except InvalidInputError:
                    result = "refused"
                finally:
                    db.session.remove()
                with lock:
                    outcomes.append(result)

    threads = [threading.Thread(target=sign_up, args=(w,)) for w in range(6)] + [threading.Thread(target=cut)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        screening = db.session.get(Screening, screening_id)
        confirmed = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Registration.seats), 0)).where(
            Registration.screening_id == screening_id, Registration.status == "confirmed"))
    assert sum(o in ("confirmed", "waitlisted") for o in outcomes) == 72  # every sign-up answered
    assert screening.seats_taken == confirmed <= screening.capacity
    with app.app_context():
        with pytest.raises(InvalidInputError):  # below the seats taken: refused cleanly
            events.update_screening(screening_id, capacity=str(screening.seats_taken - 1))


# --- Pages ------------------------------------------------------------------------------------

def test_the_new_event_form_labels_every_control(admin):
    page = admin.get("/admin/events/new").get_data(as_text=True)
    for name in events.EVENT_FIELDS:
        if name == "protection":  # a choice: one label per option, the group named by its legend
            assert '<legend>Free seats kept for people</legend>' in page
            assert '<label for="protection-0">' in page and '<label for="protection-1">' in page
        else:
            assert f'<label for="{name}">' in page
    # A new event asks for e-mail confirmation unless its organizer chooses otherwise.
    assert re.search(r'<input checked id="protection-0" name="protection" type="radio" value="email">', page)


def test_the_screening_form_labels_every_control_and_names_the_zone(admin, make_event):
    event_id = make_event(timezone="Asia/Almaty")
    page = admin.get(f"/admin/events/{event_id}/screenings/new").get_data(as_text=True)
    for name in events.SCREENING_FIELDS:
        assert f'<label for="{name}">' in page
    assert 'type="datetime-local"' in page and "Local time in Asia/Almaty" in page
    assert 'id="capacity" inputmode="numeric"' in page or 'inputmode="numeric"' in page


def test_creating_an_event_through_the_page(app, admin):
    response = post(admin, "/admin/events/new", name="Days of Kazakh Cinema", slug="days",
                    timezone="Europe/Brussels", venue="Cinema Nova")
    assert response.status_code == 303
    with app.app_context():
        event = db.session.scalar(sa.select(Event))
    assert response.location.endswith(f"/admin/events/{event.id}") and event.venue == "Cinema Nova"
    assert not event.is_published


def test_creating_a_screening_through_the_page_with_local_times(app, admin, make_event):
    event_id = make_event(timezone="Europe/Brussels")
    response = post(admin, f"/admin/events/{event_id}/screenings/new", **SCREENING,
                    registration_opens_at="2030-04-01T09:00", is_published="y")
    assert response.status_code == 303
    with app.app_context():
        screening = db.session.scalar(sa.select(Screening))
    assert screening.starts_at == datetime(2030, 5, 1, 17, 30, tzinfo=UTC) and screening.is_published
    assert screening.registration_opens_at == datetime(2030, 4, 1, 7, 0, tzinfo=UTC)


def test_the_edit_page_shows_times_in_local_time(admin, make_screening):
    screening_id = make_screening(starts_at=datetime(2030, 5, 1, 17, 30, tzinfo=UTC))
    page = admin.get(f"/admin/screenings/{screening_id}/edit").get_data(as_text=True)
    assert field_value(page, "starts_at") == "2030-05-01T19:30"


def test_editing_a_screening_through_the_page(app, admin, make_screening):
    screening_id = make_screening()
    page = admin.get(f"/admin/screenings/{screening_id}/edit").get_data(as_text=True)
    data = {name: field_value(page, name) for name in events.SCREENING_FIELDS
            if name not in ("description", "is_published")}
    response = post(admin, f"/admin/screenings/{screening_id}/edit", **dict(data, hall="Hall 3", capacity="80"))
    assert response.status_code == 303
    stored = fresh(app, Screening, screening_id)
    assert (stored.hall, stored.capacity) == ("Hall 3", 80)


def test_a_capacity_below_the_seats_taken_is_refused_on_the_page(app, admin, make_screening):
    screening_id = make_screening(capacity=10)
    fill(app, screening_id, 4)
    response = post(admin, f"/admin/screenings/{screening_id}/edit", **dict(SCREENING, capacity="3"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors(page)["capacity"] == "4 seats are already taken: the capacity cannot be lower than 4."
    assert field_value(page, "capacity") == "3" and fresh(app, Screening, screening_id).capacity == 10


BAD_SCREENING = [
    ("title", "", "The title is required."),
    ("title", "x" * 10_000, "too long"),
    ("title", "Film\x00", "control or invisible"),
    ("title", "evil\u202egnp", "control or invisible"),
    ("title", "Film\nTwo", "control or invisible"),
    ("description", "a\x1b[31m", "control or invisible"),
    ("capacity", "", "is required"),
    ("capacity", "lots", "whole number"),
    ("capacity", "-5", "whole number"),
    ("capacity", "9" * 5000, "whole number"),
    ("capacity", "٣", "whole number"),
    ("capacity", "<b>3</b>", "whole number"),
    ("capacity", "100001", "from 0 to 100000"),
    ("max_seats", "0", "from 1 to 100"),
    ("year", "1700", "from 1880"),
    ("runtime_minutes", "1.5", "whole number"),
    ("release_minutes", "99999", "from 0 to 1440"),
    ("starts_at", "", "is required"),
    ("starts_at", "tomorrow", "a date and a time"),
    ("starts_at", "2030-02-30T19:30", "a date and a time"),
    ("starts_at", "<script>alert(1)</script>", "a date and a time"),
    ("starts_at", "2027-03-28T02:30", "does not exist in Europe/Brussels"),
    ("starts_at", "1900-01-01T10:00", "between the years"),
    ("registration_closes_at", "2030-05-02T10:00", "start of the film or before"),
]


@pytest.mark.parametrize("field,value,message", BAD_SCREENING, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD_SCREENING)])
def test_bad_screening_input_gets_a_message_by_its_field_and_writes_nothing(app, admin, make_event, field, value, message):
    event_id = make_event()
    before = count(app, AuditEntry)
    response = post(admin, f"/admin/events/{event_id}/screenings/new", **dict(SCREENING, **{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in errors(page)[field]
    if field != "description" and len(value) < 1000 and "\x00" not in value:
        assert field_value(page, field) == value.strip()  # the typed value is kept
    assert count(app, Screening) == 0 and count(app, AuditEntry) == before


BAD_EVENT = [
    ("name", "", "The name is required."),
    ("name", "n" * 5000, "too long"),
    ("name", "Fest\x00", "control or invisible"),
    ("slug", "!!!", "lowercase letters"),
    ("slug", "—/—", "lowercase letters"),
    ("timezone", "Narnia/Cair_Paravel", "time zone"),
    ("timezone", "<script>", "time zone"),
    ("contact_email", "not-an-address", "does not look like an e-mail"),
    ("venue", "v" * 300, "too long"),
]


@pytest.mark.parametrize("field,value,message", BAD_EVENT, ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD_EVENT)])
def test_bad_event_input_gets_a_message_by_its_field_and_writes_nothing(app, admin, field, value, message):
    good = {"name": "Fest", "slug": "fest", "timezone": "Europe/Brussels"}
    before = count(app, AuditEntry)
    response = post(admin, "/admin/events/new", **dict(good, **{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in errors(page)[field]
    assert count(app, Event) == 0 and count(app, AuditEntry) == before


def test_markup_and_any_script_are_stored_as_typed_and_shown_escaped(app, admin, make_event):
    event_id = make_event()
    title = "<script>alert('x')</script> Бақыт құшағында ğş"
    assert post(admin, f"/admin/events/{event_id}/screenings/new", **dict(SCREENING, title=title)).status_code == 303
    page = admin.get("/admin/").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page and "Бақыт құшағында ğş" in page


def test_an_expired_form_keeps_the_input_and_writes_nothing(app, admin, make_event):
    event_id = make_event()
    response = admin.post(f"/admin/events/{event_id}/screenings/new", data=dict(SCREENING, csrf_token="stale"))
    assert response.status_code == 422 and field_value(response.get_data(as_text=True), "title") == "Myn Bala"
    assert count(app, Screening) == 0


def test_the_list_shows_unpublished_events_and_screenings(admin, make_event, make_screening):
    make_screening(event_id=make_event(is_published=False), is_published=False, title="Draft film")
    page = admin.get("/admin/").get_data(as_text=True)
    assert "Draft film" in page and page.count('class="badge unpublished"') == 2


def test_publishing_shows_and_unpublishing_hides_the_event(app, client, admin, make_event, make_screening):
    event_id = make_event(slug="fest", is_published=False)
    make_screening(event_id=event_id, title="Myn Bala")
    assert client.get("/e/fest").status_code == 404
    assert post(admin, f"/admin/events/{event_id}/publish", value="1").status_code == 303
    assert "Myn Bala" in client.get("/e/fest").get_data(as_text=True)
    assert post(admin, f"/admin/events/{event_id}/publish", value="0").status_code == 303
    assert client.get("/e/fest").status_code == 404
    assert "Test Festival" not in client.get("/").get_data(as_text=True)


def test_an_unpublished_screening_is_hidden_and_its_page_is_not_found(app, client, admin, make_screening):
    shown, hidden_id = make_screening(title="Shown film"), make_screening(title="Hidden film")
    assert post(admin, f"/admin/screenings/{hidden_id}/publish", value="0").status_code == 303
    page = client.get("/e/fest").get_data(as_text=True)
    assert "Shown film" in page and "Hidden film" not in page
    assert client.get(f"/screenings/{hidden_id}").status_code == 404
    assert client.get(f"/screenings/{shown}").status_code == 200


def test_sign_up_to_an_unpublished_screening_is_refused(app, client, make_screening):
    screening_id = make_screening()
    page = client.get(f"/screenings/{screening_id}").get_data(as_text=True)
    with app.app_context():
        events.publish_screening(screening_id, False)
    response = client.post(f"/screenings/{screening_id}", data={
        "csrf_token": hidden(page, "csrf_token"), "form_key": hidden(page, "form_key"),
        "name": "Ana", "email": "ana@example.org"})
    assert response.status_code == 404 and count(app, Registration) == 0


def test_a_publish_button_with_a_bad_value_is_a_bad_request(admin, make_event):
    assert post(admin, f"/admin/events/{make_event()}/publish", value="maybe").status_code == 400


def test_the_cancel_page_says_how_many_people_will_be_told(app, admin, make_screening):
    screening_id = make_screening(capacity=5)
    fill(app, screening_id, 3)
    page = admin.get(f"/admin/screenings/{screening_id}/cancel").get_data(as_text=True)
    assert "3 people will be told by e-mail" in page


def test_cancelling_through_the_page(app, admin, make_screening):
    screening_id = make_screening(capacity=5)
    fill(app, screening_id, 2)
    response = post(admin, f"/admin/screenings/{screening_id}/cancel")
    assert response.status_code == 303
    assert "2 people will be told" in admin.get(response.location).get_data(as_text=True)
    assert count(app, OutboxMessage) == 4  # two confirmations, two cancellation notices


def test_raising_the_capacity_on_the_page_says_who_was_promoted(app, admin, make_screening):
    screening_id = make_screening(capacity=1, max_seats=1)
    fill(app, screening_id, 2)
    response = post(admin, f"/admin/screenings/{screening_id}/edit", **dict(SCREENING, capacity="2", max_seats="1"))
    assert "1 registration moved from the waiting list" in admin.get(response.location).get_data(as_text=True)


def test_audit_entries_follow_the_pages(app, admin, make_event):
    post(admin, "/admin/events/new", name="Fest", slug="fest2", timezone="UTC")
    with app.app_context():
        event_id = db.session.scalar(sa.select(Event.id).where(Event.slug == "fest2"))
    post(admin, f"/admin/events/{event_id}/screenings/new", **SCREENING)
    post(admin, f"/admin/events/{event_id}/publish", value="1")
    with app.app_context():
        entries = db.session.execute(sa.select(AuditEntry.action, AuditEntry.user_id).order_by(AuditEntry.id)).all()
    mine = [(a, u) for a, u in entries if a.startswith(("event.", "screening."))]
    assert [a for a, _ in mine] == ["event.create", "screening.create", "event.publish"]
    assert {u for _, u in mine} == {1}


def test_unknown_ids_are_not_found(admin):
    assert admin.get("/admin/events/999").status_code == 404
    assert admin.get("/admin/screenings/999/edit").status_code == 404
    assert admin.get("/admin/screenings/999/cancel").status_code == 404
    assert post(admin, "/admin/screenings/999/publish", value="1").status_code == 404


def test_saving_an_untouched_form_keeps_held_seats_that_guests_took_meanwhile(app, admin, make_screening):
    screening_id = make_screening(capacity=10, seats_held=3)
    page = admin.get(f"/admin/screenings/{screening_id}/edit").get_data(as_text=True)
    with app.app_context():
        guests.add_guest(screening_id, "Press guest")  # takes one of the held seats
    data = {name: field_value(page, name) for name in events.SCREENING_FIELDS
            if name not in ("description", "is_published")}
    response = post(admin, f"/admin/screenings/{screening_id}/edit", held_was=hidden(page, "held_was"),
                    **dict(data, hall="Hall 9"))
    assert response.status_code == 303
    stored = fresh(app, Screening, screening_id)
    assert (stored.hall, stored.seats_held, stored.seats_taken) == ("Hall 9", 2, 1)
