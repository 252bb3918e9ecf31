"""Each festival's own look (issue 19, item 2): its colour, refused when text on it would fail AA;
its logo and cover image, checked and resized as posters are; worn by the public pages, the
e-mails and the PDF tickets."""
import io
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
import zxingcpp
from flask_migrate import downgrade, upgrade
from PIL import Image
from pypdf import PdfReader

from mail_support import parts
from pages import errors
from test_events_admin import admin, post  # noqa: F401  (the logged-in admin fixture)
from test_pdf_tickets import RENDERER, book, ticket_pdf
from test_posters import image_bytes
from ticketing.extensions import db
from ticketing.models import AuditEntry, Event, Registration
from ticketing.services import colours, mailer

EVENT_FIELDS = {"name": "Days of Kazakh Cinema", "slug": "fest", "timezone": "Europe/Brussels"}


# --- The colour -------------------------------------------------------------------------------

@pytest.mark.parametrize("first,second,ratio", [
    ("#ffffff", "#000000", 21.0),
    ("#ffffff", "#ffffff", 1.0),
    ("#ffffff", "#767676", 4.54),  # the lightest grey that passes on white: a well-known figure
    ("#ffffff", "#777777", 4.48),
    ("#ffffff", "#0b5cad", 6.67),
    ("#f3f5f8", "#0b5cad", 6.11),
])
def test_contrast_is_computed_as_wcag_says(first, second, ratio):
    assert colours.contrast(first, second) == pytest.approx(ratio, abs=0.01)
    assert colours.contrast(second, first) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize("typed,parsed", [
    ("#0B5CAD", "#0b5cad"), ("0b5cad", "#0b5cad"), (" #0b5cad ", "#0b5cad"), ("#abc", "#aabbcc"),
    ("", None), ("#0b5cad0", None), ("#12345", None), ("red", None), ("#gggggg", None), ("#٠١٢٣٤٥", None),
    (None, None), (12, None),
])
def test_a_colour_is_read_in_the_usual_spellings_only(typed, parsed):
    assert colours.parse(typed) == parsed


@pytest.mark.parametrize("colour", ["#f5c518", "#00afca", "#767676", "#ff0000", "#ffffff", "#7a7a7a"])
def test_the_shade_offered_for_a_light_colour_passes_and_is_darker(colour):
    assert not colours.passes(colour)
    offered = colours.darker_passing(colour)
    assert colours.passes(offered)
    assert colours.contrast(offered, colours.WHITE) >= 4.5 and colours.contrast(offered, colours.LIGHT_PANEL) >= 4.5
    assert colours.luminance(offered) < colours.luminance(colour)


@pytest.mark.parametrize("colour", ["#0b5cad", "#00718a", "#000000", "#5b1a18", "#1e6b2f", "#876c0d"])
def test_the_dark_page_links_read_on_the_dark_panels(colour):
    assert colours.passes(colour)
    assert colours.contrast(colours.dark_mode_link(colour), colours.DARK_PANEL) >= 4.5
    css = colours.theme_css(colour)
    assert f"--brand: {colour}" in css and "prefers-color-scheme: dark" in css


def event_page(client, event_id):
    return client.get(f"/admin/events/{event_id}").get_data(as_text=True)


def test_the_organizer_sets_a_colour_and_the_public_pages_wear_it(app, admin, client, make_event, make_screening):
    event_id = make_event()
    screening_id = make_screening(event_id)
    response = post(admin, f"/admin/events/{event_id}", **EVENT_FIELDS, accent="#00718A", is_published="y")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Event, event_id).accent == "#00718a"
    sheet = client.get("/theme/00718a.css")
    assert sheet.status_code == 200 and sheet.mimetype == "text/css"
    assert "max-age=31536000" in sheet.headers["Cache-Control"] and "--brand: #00718a" in sheet.get_data(as_text=True)
    for path in ("/e/fest", f"/screenings/{screening_id}"):
        page = client.get(path).get_data(as_text=True)
        assert '<link rel="stylesheet" href="/theme/00718a.css">' in page, path
        assert '<body class="festival">' in page and '<meta name="theme-color" content="#00718a">' in page
    # The back office shows it as the public will see it, and keeps its own colours elsewhere.
    assert 'href="/theme/00718a.css"' in event_page(admin, event_id)
    assert "/theme/" not in admin.get("/admin/").get_data(as_text=True)


def test_a_festival_without_a_colour_keeps_the_sites_own(client, make_event):
    make_event(is_published=True)
    page = client.get("/e/fest").get_data(as_text=True)
    assert "/theme/" not in page and '<meta name="theme-color" content="#0b5cad">' in page


@pytest.mark.parametrize("typed,message", [
    ("#f5c518", "White text on #f5c518 would be hard to read (contrast 1.4:1; at least 4.5:1 is needed). "
                "A darker shade that reads well: #876c0d."),
    # 4.47 against the light panel: cut, not rounded, so that the refusal never reads "4.5:1"
    ("#717171", "White text on #717171 would be hard to read (contrast 4.4:1; at least 4.5:1 is needed). "
                "A darker shade that reads well: DARKER."),
    ("yellow", "Type a colour as # and six hexadecimal digits, such as #0b5cad, or leave it empty."),
    ("#12345", "Type a colour as # and six hexadecimal digits, such as #0b5cad, or leave it empty."),
    ("<script>alert(1)</script>", "Type a colour as # and six hexadecimal digits, such as #0b5cad, or leave it empty."),
    ("#" + "0" * 5000, "Type a colour as # and six hexadecimal digits, such as #0b5cad, or leave it empty."),
])
def test_a_colour_that_would_not_read_is_refused_and_nothing_typed_is_lost(app, admin, make_event, typed, message):
    message = message.replace("DARKER", colours.darker_passing(typed) if colours.parse(typed) else "")
    event_id = make_event(accent="#0b5cad")
    response = post(admin, f"/admin/events/{event_id}", **EVENT_FIELDS, description="Kept as typed", accent=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and errors(page)["accent"] == message
    assert "Kept as typed" in page
    with app.app_context():
        assert db.session.get(Event, event_id).accent == "#0b5cad"


def test_the_shade_offered_is_taken_and_an_empty_field_means_the_sites_colour(app, admin, make_event):
    event_id = make_event(accent="#f5c518")  # as an older version could have stored it: still served safely
    assert post(admin, f"/admin/events/{event_id}", **EVENT_FIELDS, accent="#876c0d").status_code == 303
    assert post(admin, f"/admin/events/{event_id}", **EVENT_FIELDS, accent="").status_code == 303
    with app.app_context():
        assert db.session.get(Event, event_id).accent == ""


def test_the_refusal_reads_in_the_organizers_language(admin, make_event):
    event_id = make_event()
    admin.get("/language/fr")
    page = post(admin, f"/admin/events/{event_id}", **EVENT_FIELDS, accent="#f5c518").get_data(as_text=True)
    assert "1,4:1" in errors(page)["accent"] and "#876c0d" in errors(page)["accent"]


@pytest.mark.parametrize("path", ["/theme/f5c518.css", "/theme/0B5CAD.css", "/theme/abc.css", "/theme/0b5cad0.css",
                                  "/theme/zzzzzz.css", "/theme/%00.css", "/theme/..%2F.css"])
def test_no_theme_sheet_is_served_for_a_colour_the_form_would_refuse(client, path):
    assert client.get(path).status_code == 404


# --- The logo and the cover -------------------------------------------------------------------

def upload(client, event_id, kind, data, filename="picture.png"):
    return client.post(f"/admin/events/{event_id}/{kind}", content_type="multipart/form-data",
                       data={"csrf_token": client.csrf, kind: (io.BytesIO(data), filename), "upload": "Upload"})


def stored(app, event_id, kind):
    with app.app_context():
        return getattr(db.session.get(Event, event_id), kind)


def transparent_logo(size=(1200, 400)):
    logo = Image.new("RGBA", size, (0, 0, 0, 0))
    logo.paste((0, 113, 138, 255), (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4))
    out = io.BytesIO()
    logo.save(out, "PNG")
    return out.getvalue()


def test_a_logo_keeps_its_transparency_and_fits_its_box(app, admin, client, make_event):
    event_id = make_event(is_published=True)
    assert upload(admin, event_id, "logo", transparent_logo()).status_code == 303
    name = stored(app, event_id, "logo")
    assert re.fullmatch(rf"event-{event_id}-logo-[0-9a-f]{{16}}\.png", name)
    served = client.get(f"/posters/{name}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"]
    image = Image.open(io.BytesIO(served.data))
    assert (image.format, image.size, image.mode) == ("PNG", (600, 200), "RGBA")
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((300, 100)) == (0, 113, 138, 255)
    # In the header of every public page of the festival, beside its name.
    header = client.get("/e/fest").get_data(as_text=True).split("</header>")[0]
    assert f'<img class="logo" src="/posters/{name}" alt="" width="600" height="200">' in header
    assert "Test Festival" in header


def test_a_cover_is_a_resized_jpeg_at_the_top_of_the_programme(app, admin, client, make_event):
    event_id = make_event(is_published=True)
    assert upload(admin, event_id, "cover", image_bytes((4000, 1500), fmt="WEBP"), "cover.webp").status_code == 303
    name = stored(app, event_id, "cover")
    assert re.fullmatch(rf"event-{event_id}-cover-[0-9a-f]{{16}}\.jpg", name)
    image = Image.open(Path(app.instance_path) / "posters" / name)
    assert (image.format, image.size) == ("JPEG", (1600, 600))
    page = client.get("/e/fest").get_data(as_text=True)
    assert f'<img class="cover" src="/posters/{name}" alt="" width="1600" height="600">' in page
    # The shared link's card is the cover, the festival's name written across it.
    card = Image.open(io.BytesIO(client.get("/e/fest/card.png").data)).convert("RGB")
    assert card.size == (1200, 630) and card.getpixel((1150, 600)) == pytest.approx((200, 30, 30), abs=12)


@pytest.mark.parametrize("kind", ["logo", "cover"])
@pytest.mark.parametrize("data,message", [
    (b"", "Choose an image file to upload: this one is empty."),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "This file is not an image we can read (JPEG, PNG, WebP or GIF), or it is damaged."),
    (image_bytes((50, 50))[:60], "This file is not an image we can read (JPEG, PNG, WebP or GIF), or it is damaged."),
])
def test_a_bad_picture_is_refused_on_its_own_field(app, admin, make_event, kind, data, message):
    event_id = make_event()
    response = upload(admin, event_id, kind, data)
    assert response.status_code == 422 and errors(response.get_data(as_text=True)) == {kind: message}
    assert stored(app, event_id, kind) == ""


def test_a_picture_too_large_is_refused_with_its_limit(app, admin, make_event):
    event_id = make_event()
    response = upload(admin, event_id, "cover", b"\x89PNG" + b"\0" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 422
    assert errors(response.get_data(as_text=True)) == {"cover": "This file is larger than 10 MB. Please upload a smaller image."}
    # Far larger, it is refused before it is read, as every request is.
    response = upload(admin, event_id, "cover", b"\0" * (12 * 1024 * 1024))
    assert response.status_code == 413 and "What you sent is too large" in response.get_data(as_text=True)
    assert stored(app, event_id, "cover") == ""


def test_a_new_picture_replaces_the_old_file_and_removing_deletes_it(app, admin, make_event):
    event_id = make_event()
    upload(admin, event_id, "logo", transparent_logo())
    first = stored(app, event_id, "logo")
    upload(admin, event_id, "logo", transparent_logo((900, 300)))
    second = stored(app, event_id, "logo")
    folder = Path(app.instance_path) / "posters"
    assert first != second and sorted(p.name for p in folder.iterdir()) == [second]
    response = admin.post(f"/admin/events/{event_id}/logo", data={"csrf_token": admin.csrf, "remove": "Remove the logo"})
    assert response.status_code == 303 and stored(app, event_id, "logo") == ""
    assert list(folder.iterdir()) == []
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("event.%"))
                                     .order_by(AuditEntry.id)).all()
    assert actions == ["event.logo", "event.logo", "event.logo_remove"]


def test_the_migration_takes_the_pictures_words_away_on_the_way_down(app, admin, make_event):
    event_id = make_event()
    upload(admin, event_id, "cover", image_bytes((800, 450)))
    with app.app_context():
        db.session.remove()
        downgrade(revision="0010")
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT action FROM audit_log")).scalars().all() == ["user.create"]
        upgrade()
        assert db.session.get(Event, event_id).cover == ""  # the column came back empty


# --- E-mails and PDF tickets ------------------------------------------------------------------

@pytest.fixture
def festival(app, admin, make_event, make_screening):
    """A festival with its colour and logo, and a screening of it; returns the screening id."""
    event_id = make_event(accent="#5b1a18", venue="Cinéma Galeries", address="Galerie de la Reine 26, 1000 Bruxelles")
    assert upload(admin, event_id, "logo", transparent_logo()).status_code == 303
    return make_screening(event_id, title="Бақыт құшағында", capacity=5, max_seats=4)


def test_the_email_carries_the_logo_inline_and_the_festivals_colour(app, inbox, festival):
    book(app, festival, "Алия Ануарбек")
    with app.app_context():
        mailer.send_due()
    [message] = inbox.received
    html = message.get_body(preferencelist=("html",)).get_content()
    images = {p["Content-ID"][1:-1]: p for ctype, _, p in parts(message) if ctype == "image/png"}
    [logo_cid] = [cid for cid in images if cid.startswith("logo.")]
    assert f'src="cid:{logo_cid}"' in html and 'width="144" height="48"' in html
    logo = Image.open(io.BytesIO(images[logo_cid].get_content()))
    assert logo.size == (600, 200) and logo.mode == "RGBA"
    assert "background:#5b1a18" in html and "border-bottom:3px solid #5b1a18" in html


def test_an_email_without_a_logo_has_only_the_qr_inline(app, inbox, make_event, make_screening):
    book(app, make_screening(make_event()), "Ana")
    with app.app_context():
        mailer.send_due()
    [message] = inbox.received
    html = message.get_body(preferencelist=("html",)).get_content()
    assert [p["Content-ID"][1:4] for ctype, _, p in parts(message) if ctype == "image/png"] == ["qr."]
    assert "background:#0b5cad" in html


def rendered(data, tmp_path):
    """The first page, rasterised at 100 dpi by pdftoppm."""
    if RENDERER is None:
        pytest.skip("pdftoppm is not installed")  # test_pdf_tickets makes the same check a failure in CI
    source = tmp_path / "ticket.pdf"
    source.write_bytes(data)
    subprocess.run([RENDERER, "-r", "100", "-f", "1", "-l", "1", "-png", str(source), str(tmp_path / "page")], check=True)
    return Image.open(next(tmp_path.glob("page-*.png"))).convert("RGB")


@pytest.mark.pdf
def test_the_pdf_ticket_has_the_logo_and_the_festivals_colour(app, festival, tmp_path):
    data, code = ticket_pdf(app, book(app, festival, "Алия Ануарбек", 2), link="https://x.example/r/abc")
    [page] = PdfReader(io.BytesIO(data)).pages
    assert len(page.images) == 1  # the logo (the QR is drawn, not an image)
    picture = rendered(data, tmp_path)
    assert Counter(picture.getdata())[(91, 26, 24)] > 100  # the name and the rule in the festival's colour
    assert [found.text for found in zxingcpp.read_barcodes(picture)] == [code]


WORDY = {  # every fact on as many lines as it may take, at the largest type or the smallest
    "largest": (dict(name="Days of Kazakh Cinema", venue="Salle Steppe, Brussels (a cinema invented for the test)",
                     address="Rue de la Loi 155, 1040 Etterbeek"),
                dict(title="Myn Bala: Warriors of the Steppe, the long version", original_title="Мың бала",
                     hall="Hall 1"), "Алия Ануарбек"),
    "smallest": (dict(name="F" * 200, address="Rue " + "très longue " * 24),
                 dict(title="Қ" * 200, original_title="ğ" * 200, hall="H" * 100), "Ş " * 100),
}


@pytest.mark.pdf
@pytest.mark.parametrize("wordy", WORDY)
def test_long_facts_shrink_the_qr_but_never_reach_the_footer(app, make_event, make_screening, tmp_path, admin, wordy):
    event_fields, screening_fields, name = WORDY[wordy]
    event_id = make_event(accent="#00718a", **event_fields)
    upload(admin, event_id, "logo", transparent_logo())
    screening_id = make_screening(event_id, max_seats=4, **screening_fields)
    data, code = ticket_pdf(app, book(app, screening_id, name, 3), link="https://x.example/r/" + "s" * 300, locale="kk")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    picture = rendered(data, tmp_path)
    assert [found.text for found in zxingcpp.read_barcodes(picture)] == [code]
    # No two lines of text drawn over each other (their boxes as poppler lays them out).
    lines = text_lines(data, tmp_path)
    assert len(lines) > 12
    for (top, bottom, text), (next_top, _bottom, next_text) in zip(lines, lines[1:]):
        assert bottom <= next_top + 0.5, f"{text!r} runs into {next_text!r}"


def text_lines(data, tmp_path):
    """(top, bottom, text) of each line of text on the first page, top to bottom (pdftotext -bbox-layout)."""
    source = tmp_path / "lines.pdf"
    source.write_bytes(data)
    layout = subprocess.run([str(Path(RENDERER).with_name("pdftotext")), "-bbox-layout", "-f", "1", "-l", "1",
                             str(source), "-"], check=True, capture_output=True, text=True).stdout
    lines = []
    for attributes, body in re.findall(r"<line ([^>]*)>(.*?)</line>", layout, re.S):
        box = dict(re.findall(r'(\w+)="([0-9.]+)"', attributes))
        words = " ".join(re.findall(r">([^<]+)</word>", body))
        lines.append((float(box["yMin"]), float(box["yMax"]), words))
    return sorted(lines)
