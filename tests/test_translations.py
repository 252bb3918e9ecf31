"""Every text the app shows exists in every language (issue 5): the catalogs are complete.

The texts are extracted from the code and templates exactly as `make translations` does; each
language's catalog must hold every one of them, translated, not fuzzy, with the same
placeholders. The compiled catalogs (built by `make setup`) must be the ones in use.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "ticketing" / "translations"
OTHER_LANGUAGES = ["fr", "nl", "kk", "ru"]
# The same extraction as the Makefile's `translations` target.
EXTRACT = ["-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "lazy_pgettext:1c,2", "-k", "js_ngettext:1,2",
           "--no-location", "--sort-output", "--project", "ticketing"]


@pytest.fixture
def database_url(sqlite_url):
    """The catalogs do not depend on the database: these tests run on SQLite only."""
    return sqlite_url


@pytest.fixture(scope="module")
def source_texts(tmp_path_factory):
    """The message ids found in the code and templates now."""
    target = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *EXTRACT, "-o", str(target), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with target.open("rb") as handle:
        template = read_po(handle)
    ids = {message.id for message in template if message.id}
    assert len(ids) > 300, "the extraction found too few texts: is babel.cfg right?"
    return ids


def _catalog(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _key(message_id):
    return message_id if isinstance(message_id, str) else message_id[0]


def _short(message_id):
    text = _key(message_id)
    return text if len(text) < 70 else text[:67] + "..."


def test_configured_languages_have_catalogs(app):
    assert app.config["LANGUAGES"] == ["en", *OTHER_LANGUAGES]
    for language in OTHER_LANGUAGES:
        assert (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").is_file()


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_catalog_translates_every_text(language, source_texts):
    catalog = _catalog(language)
    present = {_key(message.id): message for message in catalog if message.id}
    missing = sorted(_short(i) for i in source_texts if _key(i) not in present)
    fuzzy = sorted(_short(m.id) for k, m in present.items() if m.fuzzy and k in map(_key, source_texts))
    empty = sorted(
        _short(m.id) for m in present.values()
        if not all((m.string if isinstance(m.string, (list, tuple)) else [m.string]))
    )
    assert not missing, f"{language}: {len(missing)} texts not in the catalog (run make translations): {missing[:20]}"
    assert not fuzzy, f"{language}: {len(fuzzy)} fuzzy entries: {fuzzy[:20]}"
    assert not empty, f"{language}: {len(empty)} untranslated entries: {empty[:20]}"


# %(name)s-style placeholders (Python) and {name}-style ones (the pages' scripts).
PLACEHOLDER = re.compile(r"%\((\w+)\)[-+ #0]*\d*[sdfr]|\{(\w+)\}")


def _placeholders(text):
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_translations_keep_the_placeholders(language):
    """Every placeholder of the English is in each translation, and no other one (a plural's
    form for exactly one may leave the number out, as "one minute" does)."""
    catalog = _catalog(language)
    problems = [f"{_short(message.id)}: {'; '.join(map(str, errors))}" for message, errors in catalog.check()]
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            expected, forms = _placeholders(message.id), [message.string]
        else:
            expected = _placeholders(message.id[0]) | _placeholders(message.id[1])
            forms = list(message.string)
        for index, form in enumerate(forms):
            found = _placeholders(form)
            allowed_missing = {"num"} if not isinstance(message.id, str) else set()
            if found - expected or (expected - found) - allowed_missing:
                problems.append(f"{_short(message.id)} [{index}]: {sorted(found)} instead of {sorted(expected)}")
    assert not problems, f"{language}: {problems[:20]}"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_compiled_catalog_is_in_use(app, language):
    """The app reads the compiled catalog: built by make setup from the committed .po file."""
    compiled = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    source = compiled.with_suffix(".po")
    assert compiled.is_file(), f"{compiled.name} for {language} is missing: run make setup"
    assert compiled.stat().st_mtime >= source.stat().st_mtime, f"{language}: the compiled catalog is older: run make setup"
    expected = {_key(m.id): m.string for m in _catalog(language) if m.id and not m.fuzzy}["Register"]
    with app.test_request_context(), force_locale(language):
        assert gettext("Register") == expected != "Register"


# The translation review's systematic points (../shared/TRANSLATION-REVIEW.md), kept: each
# language's rule, and a pattern that breaks it.
HOUSE_RULES = {
    "fr": ("a no-break space before a colon or a semicolon (a colon must not wrap alone on a phone)", r"\S [:;]"),
    "nl": ("one word for the door: ingang, not deur", r"(?i)deur"),
    "kk": ("quoted words in «…»", r"[“”]"),
    "ru": ("tickets as of a time, not for a show at that time", r"Билеты на \{time\}"),
}


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_translations_keep_the_house_rules(language):
    rule, broken = HOUSE_RULES[language]
    found = []
    for message in _catalog(language):
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.id and any(re.search(broken, form) for form in forms):
            found.append(_short(message.id))
    assert found == [], f"{language}, {rule}: {found}"


def test_one_english_word_with_two_meanings_is_two_texts(app):
    """"By" heads who scanned a ticket and who wrote a message; "Name" is a person's or an event's
    (message contexts): each language words them apart where it must."""
    from flask_babel import pgettext

    from ticketing.admin.event_forms import EventForm

    with app.test_request_context(), force_locale("ru"):
        assert (pgettext("who scanned a ticket", "By"), pgettext("who wrote a message", "By")) == ("Кто", "Автор")
        assert (str(EventForm.name.args[0]), gettext("Name")) == ("Название", "Имя")
    with app.test_request_context(), force_locale("kk"):
        assert (pgettext("who scanned a ticket", "By"), pgettext("who wrote a message", "By")) == ("Кім", "Жазған")
