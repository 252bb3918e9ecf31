"""A festival's page is a programme (issue 19): days as headings in the festival's time zone, each
screening a card, and filters by day, language and venue that work without JavaScript."""
import re
from datetime import datetime, timezone

import pytest


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture
def festival(make_event, make_screening):
    event_id = make_event(slug="fest", is_published=True, timezone="Europe/Brussels", venue="Cinema Nova")
    # 21:30 UTC is 23:30 in Brussels on 1 May; 22:30 UTC is already 2 May there.
    make_screening(event_id=event_id, title="Late Film", starts_at=at("2030-05-01T21:30:00"), language="Kazakh",
                   is_published=True)
    make_screening(event_id=event_id, title="After Midnight", starts_at=at("2030-05-01T22:30:00"), language="Russian",
                   venue="Flagey", hall="Studio 5", is_published=True)
    make_screening(event_id=event_id, title="Morning Film", starts_at=at("2030-05-02T08:00:00"), language="Kazakh",
                   is_published=True)
    make_screening(event_id=event_id, title="Draft Film", starts_at=at("2030-05-02T09:00:00"), language="French",
                   is_published=False)
    return event_id


def days_and_films(page):
    """[(day heading, [film titles])] in page order."""
    shown = []
    for section in re.findall(r'<section class="day".*?</section>', page, re.S):
        heading = re.search(r'<h3 class="day-heading"[^>]*>([^<]+)</h3>', section).group(1)
        shown.append((heading, re.findall(r'<h4 class="film-title"><a [^>]+>([^<]+)</a>', section)))
    return shown


def test_days_are_headings_in_the_festivals_time_zone(client, festival):
    page = client.get("/e/fest").get_data(as_text=True)
    assert days_and_films(page) == [
        ("Wednesday, May 1, 2030", ["Late Film"]),
        ("Thursday, May 2, 2030", ["After Midnight", "Morning Film"]),  # unpublished Draft Film not shown
    ]
    assert re.search(r"<time datetime=\"2030-05-01T21:30:00\+00:00\">11:30\s?PM</time>", page)  # local time


@pytest.mark.parametrize("query,expected", [
    ("language=Kazakh", [("Wednesday, May 1, 2030", ["Late Film"]), ("Thursday, May 2, 2030", ["Morning Film"])]),
    ("day=2030-05-02", [("Thursday, May 2, 2030", ["After Midnight", "Morning Film"])]),
    ("venue=Flagey", [("Thursday, May 2, 2030", ["After Midnight"])]),
    ("day=2030-05-02&language=Kazakh&venue=Cinema+Nova", [("Thursday, May 2, 2030", ["Morning Film"])]),
    # a value nobody offers (an old link, a hand-made one, garbage) is no filter
    ("language=French", [("Wednesday, May 1, 2030", ["Late Film"]), ("Thursday, May 2, 2030", ["After Midnight", "Morning Film"])]),
    ("day=%00%3Cb%3E&venue=" + "x" * 5000, [("Wednesday, May 1, 2030", ["Late Film"]), ("Thursday, May 2, 2030", ["After Midnight", "Morning Film"])]),
])
def test_the_filters_narrow_the_programme_without_javascript(client, festival, query, expected):
    response = client.get(f"/e/fest?{query}")
    assert response.status_code == 200
    assert days_and_films(response.get_data(as_text=True)) == expected


def test_a_choice_that_matches_nothing_says_so_and_offers_everything_again(client, festival):
    page = client.get("/e/fest?day=2030-05-01&language=Russian").get_data(as_text=True)
    assert days_and_films(page) == [] and "No screening matches these choices." in page
    assert '<a href="/e/fest">Show everything</a>' in page


def test_the_filter_form_offers_what_the_programme_holds_and_keeps_the_choice(client, festival):
    page = client.get("/e/fest?language=Russian").get_data(as_text=True)
    form = re.search(r'<form method="get" class="filters" action="/e/fest".*?</form>', page, re.S).group(0)
    options = lambda name: re.findall(r'<option value="([^"]*)"', re.search(rf'name="{name}">(.*?)</select>', form, re.S).group(1))  # noqa: E731
    assert options("day") == ["", "2030-05-01", "2030-05-02"]
    assert options("language") == ["", "Kazakh", "Russian"]  # not French: its screening is unpublished
    assert options("venue") == ["", "Cinema Nova", "Flagey"]
    assert '<option value="Russian" selected>' in form


def test_each_card_says_what_a_film_goer_needs(client, festival):
    page = client.get("/e/fest").get_data(as_text=True)
    card = re.search(r'<li class="screening[^"]*">(?:(?!</li>).)*After Midnight.*?</li>', page, re.S).group(0)
    for needed in ("Language: Russian", "Flagey, Studio 5", 'class="availability"', 'class="button"', "<time datetime="):
        assert needed in card, needed


def test_one_day_one_language_one_venue_needs_no_filters(client, make_event, make_screening):
    event_id = make_event(slug="small", is_published=True)
    make_screening(event_id=event_id, title="Only Film", is_published=True)
    page = client.get("/e/small").get_data(as_text=True)
    assert 'class="filters"' not in page and "Only Film" in page
