"""The organizers' words in every language (issue 20, item 1): an event's and a screening's texts
written in each language the site offers, the main language as the fallback, on the pages, in the
e-mails (a real SMTP server), the PDF ticket, the calendar file, the API and the organizers'
messages; film titles stay as written. On both databases."""
import io
from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from mail_support import parts
from pages import errors, hidden
from ticketing.extensions import db
from ticketing.models import AuditEntry, Event, OutboxMessage, Screening, utcnow
from ticketing.services import announcements, booking, mailer, texts
from ticketing.services.accounts import create_device

NOTE = {"en": "Q&A with the lead actress after the film", "fr": "Rencontre avec l’actrice principale après le film",
        "kk": "Фильмнен кейін басты рөлдегі актрисамен кездесу"}


@pytest.fixture
def festival(app, make_event, make_screening):
    """A festival written in English, with the screening's note in French and Kazakh (not Dutch)
    and the event's directions and closing words in French. Returns (event id, screening id)."""
    event_id = make_event(name="Days of Kazakh Cinema", directions="Tram 81, stop Flagey.",
                          mail_closing="See you at the cinema!", description="A week of films.",
                          texts={"fr": {"directions": "Tram 81, arrêt Flagey.", "mail_closing": "À bientôt au cinéma !"}})
    screening_id = make_screening(event_id, title="Baqyt Qushağynda", note=NOTE["en"], description="A composer's life.",
                                  starts_at=utcnow() + timedelta(days=5),
                                  texts={"fr": {"note": NOTE["fr"]}, "kk": {"note": NOTE["kk"]}})
    return event_id, screening_id


def read(client, path, language):
    client.get(f"/language/{language}")
    return client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("language,note", [("fr", NOTE["fr"]), ("kk", NOTE["kk"]), ("nl", NOTE["en"]), ("en", NOTE["en"])])
def test_each_reader_sees_the_note_in_their_language_or_the_main_one(client, festival, language, note):
    _event_id, screening_id = festival
    for path in ("/e/fest", f"/screenings/{screening_id}"):
        page = read(client, path, language)
        assert note in page.replace("&amp;", "&").replace("&#39;", "'"), (path, language)
        assert "Baqyt Qushağynda" in page  # a title stays as written
    programme = read(client, "/e/fest", language)
    assert ("Tram 81, arrêt Flagey." if language == "fr" else "Tram 81, stop Flagey.") in programme


def test_the_attendees_email_pdf_and_calendar_speak_their_language(app, client, inbox, festival):
    _event_id, screening_id = festival
    with app.app_context():
        booked = booking.book(screening_id, "Aline Dubois", "aline@example.org", 1, locale="fr").registration
        assert mailer.send_due().sent == 1
    [message] = inbox.received
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for words in (NOTE["fr"], "Tram 81, arrêt Flagey.", "À bientôt au cinéma !"):
        assert words in text and words in html, words
    assert NOTE["en"] not in text
    pdf = next(p for ctype, _d, p in parts(message) if ctype == "application/pdf").get_content()
    assert "".join(NOTE["fr"].split()) in "".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    client.get("/language/fr")
    ics = icalendar.Calendar.from_ical(client.get(f"/r/{booked.secret}/calendar.ics").get_data())
    assert NOTE["fr"] in str(next(iter(ics.walk("VEVENT")))["DESCRIPTION"])


def tabs_of(page):
    tabs = page[page.index('class="language-tabs"'):]
    return tabs[:tabs.index("</nav>")]


def test_the_back_office_shows_a_tab_per_language_and_what_is_missing(app, admin, festival):
    event_id, screening_id = festival
    tabs = tabs_of(admin.get(f"/admin/screenings/{screening_id}/edit").get_data(as_text=True))
    # Written in English: the description lacks every language, the note only Dutch and Russian.
    for code, lacking in (("fr", 1), ("nl", 2), ("kk", 1), ("ru", 2)):
        assert f'/admin/screenings/{screening_id}/texts/{code}"' in tabs
        assert f"{lacking} missing" in tabs.split(f"/texts/{code}")[1].split("</li>")[0], code
    form = admin.get(f"/admin/screenings/{screening_id}/texts/nl").get_data(as_text=True)
    response = admin.post(f"/admin/screenings/{screening_id}/texts/nl", data={
        "csrf_token": hidden(form, "csrf_token"), "description": "Het leven van een componist.",
        "note": "Nagesprek met de hoofdrolspeelster"})
    assert response.status_code == 303
    page = admin.get(response.location).get_data(as_text=True)
    assert "The texts in Nederlands are saved." in page
    assert "complete" in tabs_of(page).split("/texts/nl")[1].split("</li>")[0]
    with app.app_context():
        assert db.session.get(Screening, screening_id).texts["nl"] == {
            "description": "Het leven van een componist.", "note": "Nagesprek met de hoofdrolspeelster"}
        entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.details["texts"]) == ("screening.update", "nl")
    event_page = admin.get(f"/admin/events/{event_id}").get_data(as_text=True)
    assert f"/admin/events/{event_id}/texts/kk" in event_page  # the event's own tabs


@pytest.mark.parametrize("typed,message", [
    ("x" * 301, "The note is too long: at most 300 characters, not 301."),
    ("Q&A\u202e", "The note contains control or invisible characters. Please type it again."),
])
def test_bad_texts_are_refused_next_to_the_field_and_kept(app, admin, festival, typed, message):
    _event_id, screening_id = festival
    form = admin.get(f"/admin/screenings/{screening_id}/texts/ru").get_data(as_text=True)
    response = admin.post(f"/admin/screenings/{screening_id}/texts/ru", data={
        "csrf_token": hidden(form, "csrf_token"), "description": "Жизнь композитора.", "note": typed})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert errors(page) == {"note": message} and "Жизнь композитора." in page
    with app.app_context():
        assert "ru" not in db.session.get(Screening, screening_id).texts  # nothing half-written


def test_only_the_other_offered_languages_have_a_page(admin, festival):
    event_id, screening_id = festival
    for path in (f"/admin/screenings/{screening_id}/texts/en", f"/admin/screenings/{screening_id}/texts/xx",
                 f"/admin/events/{event_id}/texts/%00", f"/admin/screenings/{screening_id + 99}/texts/fr"):
        assert admin.get(path).status_code == 404, path


def test_the_main_language_is_chosen_with_the_event(app, admin):
    page = admin.get("/admin/events/new").get_data(as_text=True)
    data = {"csrf_token": hidden(page, "csrf_token"), "name": "Fête", "slug": "fete", "timezone": "Europe/Brussels"}
    refused = admin.post("/admin/events/new", data={**data, "main_language": "klingon"})
    assert refused.status_code == 422
    assert errors(refused.get_data(as_text=True)) == {"main_language": "The main language must be one of the choices offered."}
    assert admin.post("/admin/events/new", data={**data, "main_language": "fr", "directions": "Métro Porte de Namur"}).status_code == 303
    with app.app_context():
        event = db.session.scalars(sa.select(Event)).one()
        assert (event.main_language, event.directions) == ("fr", "Métro Porte de Namur")
        assert texts.other_languages(event) == ["en", "nl", "kk", "ru"]


def test_a_message_in_several_languages_reaches_each_person_in_theirs(app, admin, inbox, festival):
    _event_id, screening_id = festival
    with app.app_context():
        for name, locale in (("Aline", "fr"), ("Aigerim", "kk"), ("Bram", "nl")):
            booking.book(screening_id, name, f"{name.lower()}@example.org", locale=locale)
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
    path = f"/admin/screenings/{screening_id}/message"
    page = admin.get(path).get_data(as_text=True)
    assert 'lang="fr"' in page and "Subject in Français" in page
    fields = {"csrf_token": hidden(page, "csrf_token"), "form_key": hidden(page, "form_key"),
              "subject": "Doors at 19:45", "body": "Please come early.", "audience": "confirmed",
              "subject_fr": "Ouverture des portes à 19 h 45", "body_fr": "Venez tôt, s’il vous plaît.",
              "subject_kk": "Есік 19:45-те ашылады"}  # no Kazakh text: the English one
    preview = admin.post(path, data=fields).get_data(as_text=True)
    assert "Ouverture des portes à 19 h 45" in preview and "Doors at 19:45" in preview
    assert admin.post(path, data={**fields, "send": "1"}).status_code == 303
    with app.app_context():
        mailer.send_due()
    got = {m["To"]: (m["Subject"], m.get_body(preferencelist=("plain",)).get_content()) for m in inbox.received}
    assert got["aline@example.org"][0].startswith("Ouverture des portes à 19 h 45")
    assert "Venez tôt" in got["aline@example.org"][1]
    assert got["aigerim@example.org"][0].startswith("Есік 19:45-те ашылады") and "Please come early." in got["aigerim@example.org"][1]
    assert got["bram@example.org"][0].startswith("Doors at 19:45") and "Please come early." in got["bram@example.org"][1]


def test_a_message_in_another_language_is_checked_like_the_main_one(app, festival):
    _event_id, screening_id = festival
    with app.app_context():
        booking.book(screening_id, "Aline", "aline@example.org", locale="fr")
        with pytest.raises(Exception) as refused:
            announcements.send(screening_id, "Doors", "Early.", "confirmed", "k" * 24,
                               translations={"fr": {"subject": "x" * 201, "body": "Tôt."}})
        assert refused.value.fields == {"subject_fr": "The subject is too long: at most 200 characters, not 201."}


def test_the_api_carries_every_language(client, ctx, festival):
    _event_id, screening_id = festival
    token = create_device("Door 1 phone")[1]
    listed = client.get("/api/v1/screenings", headers={"Authorization": f"Bearer {token}"}).get_json()["screenings"]
    [shown] = [s for s in listed if s["id"] == screening_id]
    assert (shown["main_language"], shown["note"]) == ("en", NOTE["en"])
    assert shown["texts"] == {"fr": {"note": NOTE["fr"]}, "kk": {"note": NOTE["kk"]}}
