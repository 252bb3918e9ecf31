"""Languages in a real browser (Debian's Chromium): the switcher, a translated form error next to
its field, a date formatted for the language, the choice remembered, and the browser's own
language used until then; for two languages each (tests/test_languages.py covers all five).

Skips when Chromium or Playwright is missing, unless TICKETING_REQUIRE_BROWSER=1 (.ci/run).
"""
import pytest

from browser_support import switch_language
import sqlalchemy as sa
from babel.dates import format_date
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from ticketing.extensions import db
from ticketing.models import Screening

NAMES = {"en": "English", "fr": "Français", "nl": "Nederlands", "kk": "Қазақша", "ru": "Русский"}


def translated(app, language, text):
    with app.test_request_context(), force_locale(language):
        return gettext(text)


def first_screening(app):
    with app.app_context():
        screening = db.session.scalars(sa.select(Screening).where(Screening.is_published)
                                       .order_by(Screening.starts_at)).first()
        return screening.id, screening.starts_at.astimezone(screening.event.tz).date()


# In the browser: one language in Latin script and one in Cyrillic, end to end. Every language's
# pages, dates, form errors, switcher links and negotiation are checked through the test client in
# tests/test_languages.py (the server decides them all; the browser only follows links and cookies).
@pytest.mark.parametrize("language", ["fr", "kk"])
def test_a_reader_switches_language_and_the_site_follows(live, browser, language):
    app, base = live
    screening_id, day = first_screening(app)
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(base + "/")
        assert page.locator("html").get_attribute("lang") == "en"
        switch_language(page, NAMES[language])  # at 360 px: the header's menu
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert page.locator(f'.language-menu a[hreflang="{language}"]').get_attribute("aria-current") == "true"
        # The screening's day, in the event's zone, as Babel writes it for the language.
        assert format_date(day, "full", locale=language) in page.locator("main").inner_text()

        page.goto(f"{base}/screenings/{screening_id}")
        page.locator("#email").fill("ana@example.org")
        page.get_by_role("button", name=translated(app, language, "Register")).click()
        name = page.locator("#name")
        assert name.get_attribute("aria-invalid") == "true"
        message = translated(app, language, "Please enter your name.")
        described = name.get_attribute("aria-describedby").split()
        assert any(page.locator(f"#{i}").inner_text() == message for i in described)
        assert (message == "Please enter your name.") == (language == "en")
        assert page.locator("#email").input_value() == "ana@example.org"  # the input is kept

        page.goto(base + "/")  # remembered on the next visit
        assert page.locator("html").get_attribute("lang") == language
    finally:
        context.close()


@pytest.mark.parametrize("browser_locale,language", [("kk-KZ", "kk"), ("nl-BE", "nl")])
def test_without_a_choice_the_browser_language_is_used(live, browser, browser_locale, language):
    app, base = live
    context = browser.new_context(locale=browser_locale)
    page = context.new_page()
    try:
        page.goto(base + "/")
        assert page.locator("html").get_attribute("lang") == language
        skip = page.get_by_role("link", name=translated(app, language, "Skip to content"))
        assert skip.count() == 1
    finally:
        context.close()


def test_each_reader_sees_the_organizers_note_in_their_language(live, browser):
    """Issue 20, item 1, in Chromium: the note written in French and Kazakh reaches a French and a
    Kazakh reader; a Dutch reader, with none written, reads the main language's."""
    app, base = live
    screening_id, _day = first_screening(app)
    notes = {"fr": "Rencontre avec l’actrice après le film", "kk": "Фильмнен кейін актрисамен кездесу"}
    with app.app_context():
        screening = db.session.get(Screening, screening_id)
        screening.note = "Q&A with the actress after the film"
        screening.texts = {code: {"note": note} for code, note in notes.items()}
        db.session.commit()
    for language, expected in (("fr", notes["fr"]), ("kk", notes["kk"]), ("nl", "Q&A with the actress after the film")):
        context = browser.new_context(viewport={"width": 360, "height": 780}, locale=language)
        page = context.new_page()
        page.goto(f"{base}/screenings/{screening_id}")
        expect(page.locator(".note")).to_have_text(expected)
        context.close()
