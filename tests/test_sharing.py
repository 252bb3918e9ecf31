"""What a shared link shows (issue 19): icons, the manifest, the description and card tags of the
event and screening pages with the image the app draws, and "Tell a friend"."""
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from ticketing.extensions import db
from ticketing.models import Screening
from ticketing.services import pictures


@pytest.fixture
def database_url(sqlite_url):
    """Pages and images: the database decides nothing here (SQLite only)."""
    return sqlite_url


@pytest.fixture
def festival(app, make_event, make_screening):
    event_id = make_event(name="Days of Kazakh Cinema", slug="kazakh-cinema", is_published=True,
                          description="Five days of Kazakh films in Brussels, free.")
    screening_id = make_screening(event_id=event_id, title="Baqyt Qushağynda", is_published=True,
                                  description="In the Embrace of Happiness.")
    return event_id, screening_id


def meta(page, attribute, name):
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)
    assert found, f"no {name} on the page"
    return found.group(1).replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"')


def image(response, kind="PNG"):
    assert response.status_code == 200, response.status_code
    picture = Image.open(io.BytesIO(response.data))
    assert picture.format == kind
    return picture


def test_the_tab_icon_answers_at_favicon_ico_in_three_sizes(client):
    response = client.get("/favicon.ico")
    assert response.mimetype == "image/x-icon" and "max-age" in response.headers["Cache-Control"]
    assert image(response, "ICO").info["sizes"] == {(16, 16), (32, 32), (48, 48)}


@pytest.mark.parametrize("size", [32, 180, 192, 512])
def test_the_icons_are_pngs_of_their_size(client, size):
    assert image(client.get(f"/icon-{size}.png")).size == (size, size)


def test_an_icon_of_another_size_is_not_drawn(client):
    assert client.get("/icon-4000.png").status_code == 404


def test_the_manifest_names_the_festival_and_every_icon_answers(client, festival):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "Days of Kazakh Cinema" and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        answer = client.get(icon["src"])
        assert answer.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            assert "x".join(map(str, Image.open(io.BytesIO(answer.data)).size)) == icon["sizes"]


def test_every_page_names_its_icons_and_manifest(client, festival):
    page = client.get("/e/kazakh-cinema").get_data(as_text=True)
    for link in ('rel="icon" href="/favicon.ico"', 'rel="icon" href="/static/icon.svg"',
                 'rel="apple-touch-icon" href="/icon-180.png"', 'rel="manifest" href="/manifest.webmanifest"'):
        assert link in page


@pytest.mark.parametrize("path,title", [
    ("/e/kazakh-cinema", "Days of Kazakh Cinema"),
    ("/screenings/1", "Baqyt Qushağynda · Days of Kazakh Cinema"),
])
def test_a_shared_page_carries_its_title_description_and_a_card_of_1200_by_630(client, festival, path, title):
    page = client.get(path).get_data(as_text=True)
    assert meta(page, "property", "og:title") == meta(page, "name", "twitter:title") == title
    description = meta(page, "name", "description")
    assert description == meta(page, "property", "og:description") and 20 < len(description) <= 200
    assert meta(page, "property", "og:url") == "http://localhost" + path
    assert meta(page, "name", "twitter:card") == "summary_large_image"
    card_url = meta(page, "property", "og:image")
    assert card_url == meta(page, "name", "twitter:image") and card_url.startswith("http://localhost/")
    card = image(client.get(card_url))
    assert card.size == (1200, 630) == (int(meta(page, "property", "og:image:width")),
                                        int(meta(page, "property", "og:image:height")))
    assert meta(page, "property", "og:image:alt")


def test_the_card_is_in_the_language_of_the_page_it_was_shared_from(client, festival):
    client.set_cookie("lang", "kk")
    page = client.get("/screenings/1").get_data(as_text=True)
    kazakh = meta(page, "property", "og:image")
    assert kazakh.endswith("lang=kk")
    english = kazakh.replace("lang=kk", "lang=en")
    assert client.get(kazakh).data != client.get(english).data  # the day and month are written in Kazakh
    assert client.get(kazakh.replace("lang=kk", "lang=xx")).data == client.get(english).data  # unknown: the default


def test_a_screenings_card_shows_its_poster(app, client, festival):
    _event_id, screening_id = festival
    plain = Image.open(io.BytesIO(client.get(f"/screenings/{screening_id}/card.png").data)).convert("RGB")
    red = io.BytesIO()
    Image.new("RGB", (800, 1200), (200, 30, 30)).save(red, "PNG")
    with app.app_context():
        pictures.save_poster(screening_id, red.getvalue())
    card = Image.open(io.BytesIO(client.get(f"/screenings/{screening_id}/card.png").data)).convert("RGB")

    def redish(picture):  # pixels of the right third that are the poster's red
        pixels = picture.crop((800, 0, 1200, 630)).tobytes()
        return sum(1 for i in range(0, len(pixels), 3) if pixels[i] > 150 and pixels[i + 1] < 80)

    assert redish(plain) == 0 and redish(card) > 50_000  # the right third holds the poster


def test_an_unpublished_screening_has_no_card(app, client, festival):
    _event_id, screening_id = festival
    with app.app_context():
        db.session.get(Screening, screening_id).is_published = False
        db.session.commit()
    assert client.get(f"/screenings/{screening_id}/card.png").status_code == 404
    assert client.get("/e/no-such-festival/card.png").status_code == 404


@pytest.mark.parametrize("path", ["/e/kazakh-cinema", "/screenings/1"])
def test_tell_a_friend_works_without_javascript(client, festival, path):
    page = client.get(path).get_data(as_text=True)
    url = "http://localhost" + path
    assert re.search(rf'<input id="share-url" type="url" value="{re.escape(url)}" readonly>', page)
    links = {urlsplit(href.replace("&amp;", "&")).netloc or "mailto": href.replace("&amp;", "&")
             for href in re.findall(r'<li><a href="([^"]+)"', page)}
    assert url in parse_qs(urlsplit(links["mailto"]).query)["body"][0]
    assert url in parse_qs(urlsplit(links["wa.me"]).query)["text"][0]
    assert parse_qs(urlsplit(links["t.me"]).query)["url"] == [url]
    # The share sheet and the copy button need a script: hidden until it finds the browser has them.
    assert re.search(r'<p class="share-native" hidden>', page) and re.search(r'data-copy hidden>', page)
