"""PDF tickets: text as written, embedded fonts, A4 pages, QR codes a real reader decodes, the
screening's print-out, and the public and back-office downloads."""
import io
import os
import shutil
import subprocess
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from conftest import missing
from ticketing.extensions import db
from ticketing.errors import NotFoundError
from ticketing.models import Registration, Ticket
from ticketing.services import booking, pdf_tickets, tickets

STARTS = datetime(2030, 11, 14, 18, 30, tzinfo=timezone.utc)  # 19:30 in Brussels
pytestmark = pytest.mark.pdf
RENDERER = shutil.which("pdftoppm")  # Debian's poppler-utils
STANDARD_14 = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats")


@pytest.fixture
def film(make_event, make_screening):
    """A Kazakh film at a Brussels cinema; returns the screening id."""
    event_id = make_event(name="Days of Kazakh Cinema", venue="Cinéma Galeries",
                          address="Galerie de la Reine 26, 1000 Bruxelles")
    return make_screening(event_id, title="Бақыт құшағында", original_title="Baqyt Qushağynda",
                          hall="Salle 1", starts_at=STARTS, capacity=4, max_seats=4)


def book(app, screening_id, name, seats=1):
    """Book through the service; return the registration id."""
    with app.app_context():
        email = f"{abs(hash(name))}@example.org"
        return booking.book(screening_id, name, email, seats).registration.id


def ticket_pdf(app, registration_id, **options):
    """Render a registration's ticket; return (pdf bytes, ticket code)."""
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        return pdf_tickets.render_ticket_pdf(registration, **options), registration.ticket.code


def page_texts(data):
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def decoded_pages(data, tmp_path):
    """Rasterise every page with pdftoppm and read its QR codes with zxing-cpp."""
    import zxingcpp
    from PIL import Image

    if RENDERER is None:
        missing("tools", "pdftoppm is not installed: apt-get install poppler-utils to read the PDF's QR codes")
    source = tmp_path / "tickets.pdf"
    source.write_bytes(data)
    subprocess.run([RENDERER, "-r", "100", "-png", str(source), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
    return [[code.text for code in zxingcpp.read_barcodes(Image.open(path))] for path in images]


def test_ticket_keeps_kazakh_turkish_and_french_text(app, film):
    data, code = ticket_pdf(app, book(app, film, "Әлия Сәрсенбаева", seats=2))
    (text,) = page_texts(data)
    for expected in ("Әлия Сәрсенбаева", "Бақыт құшағында", "Baqyt Qushağynda", "Cinéma Galeries, Salle 1",
                     "Galerie de la Reine 26, 1000 Bruxelles", "Admits 2 people", "Days of Kazakh Cinema"):
        assert expected in text
    assert tickets.short_code(code) in "".join(text.split())  # letter-spaced on the page


def test_ticket_time_is_local_to_the_event(app, film):
    data, _ = ticket_pdf(app, book(app, film, "François Çağrı"))
    (text,) = page_texts(data)
    assert "François Çağrı" in text
    assert "Thursday, November 14, 2030, 7:30" in text  # 18:30 UTC is 19:30 in Brussels (CET)


def test_fonts_are_embedded_and_none_is_a_standard_font(app, film):
    data, _ = ticket_pdf(app, book(app, film, "Әлия Сәрсенбаева"))
    fonts = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    assert fonts
    for font in (reference.get_object() for reference in fonts.values()):
        assert font["/Subtype"] == "/Type0" and "DejaVu" in font["/BaseFont"]
        assert not any(name in font["/BaseFont"] for name in STANDARD_14)
        (descendant,) = font["/DescendantFonts"]
        assert "/FontFile2" in descendant.get_object()["/FontDescriptor"]


def test_page_is_one_a4_portrait(app, film):
    data, _ = ticket_pdf(app, book(app, film, "Әлия Сәрсенбаева"))
    (page,) = PdfReader(io.BytesIO(data)).pages
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


def test_qr_on_the_page_decodes_to_the_ticket_code(app, film, tmp_path):
    data, code = ticket_pdf(app, book(app, film, "Әлия Сәрсенбаева"))
    assert decoded_pages(data, tmp_path) == [[code]]


def test_self_service_link_is_on_the_page_and_clickable(app, film):
    link = "https://tickets.example.org/r/abc"
    data, _ = ticket_pdf(app, book(app, film, "Ana"), link=link)
    (page,) = PdfReader(io.BytesIO(data)).pages
    assert link in page.extract_text()
    assert [a.get_object()["/A"]["/URI"] for a in page["/Annots"]] == [link]


def test_markup_in_a_name_is_printed_as_text(app, film):
    name = '<b>Ana</b> & <script>alert("x")</script> **Bo**'
    data, _ = ticket_pdf(app, book(app, film, name))
    assert name in " ".join(page_texts(data)[0].split())  # wrapped onto two lines


def test_very_long_texts_stay_on_one_page(app, make_screening, make_event):
    event_id = make_event(name="F" * 200, address="Rue " + "très longue " * 24)
    screening_id = make_screening(event_id, title="Қ" * 200, original_title="ğ" * 200, hall="H" * 100)
    data, code = ticket_pdf(app, book(app, screening_id, "Ş" * 200), link="https://x.example/r/" + "s" * 300)
    texts = page_texts(data)
    assert len(texts) == 1 and "…" in texts[0] and tickets.short_code(code) in "".join(texts[0].split())


def test_only_a_confirmed_registration_has_a_pdf(app, film):
    waiting = book(app, film, "Big Family", seats=4)
    book(app, film, "Late Comer")  # no seat left: waitlisted
    with app.app_context():
        late = db.session.scalar(sa.select(Registration).where(Registration.name == "Late Comer"))
        assert late.status == "waitlisted"
        with pytest.raises(pdf_tickets.NoTicketError):
            pdf_tickets.render_ticket_pdf(late)
        booking.cancel(waiting)
        with pytest.raises(pdf_tickets.NoTicketError):
            pdf_tickets.render_ticket_pdf(db.session.get(Registration, waiting))


def test_missing_fonts_say_what_to_install(app, film, tmp_path):
    registration_id = book(app, film, "Ana")
    app.config["TICKET_FONT_DIR"] = str(tmp_path)
    with pytest.raises(pdf_tickets.FontMissingError, match="fonts-dejavu-core.*TICKET_FONT_DIR"):
        ticket_pdf(app, registration_id)


def _crowd(app, film):
    """Confirmed Ana, Bea, Cem (booked out of order); Eve cancelled; Dan waitlisted."""
    ids = {name: book(app, film, name) for name in ("Cem Yılmaz", "Ana Aubert", "Eve Evers", "Bea Bakker")}
    with app.app_context():
        booking.cancel(ids["Eve Evers"])
    ids["Dan Dias"] = book(app, film, "Dan Dias", seats=2)  # one seat left: waitlisted
    with app.app_context():
        statuses = dict(db.session.execute(sa.select(Registration.name, Registration.status)).all())
        codes = dict(db.session.execute(sa.select(Registration.name, Ticket.code).join(Registration.ticket)).all())
    assert statuses == {"Cem Yılmaz": "confirmed", "Ana Aubert": "confirmed", "Bea Bakker": "confirmed",
                        "Eve Evers": "cancelled", "Dan Dias": "waitlisted"}
    return codes


def test_screening_pdf_has_one_page_per_confirmed_ticket_sorted_by_name(app, film):
    _crowd(app, film)
    with app.app_context():
        data = pdf_tickets.render_screening_pdf(film)
    texts = page_texts(data)
    assert [next(n for n in ("Ana", "Bea", "Cem") if n in t) for t in texts] == ["Ana", "Bea", "Cem"]
    assert not any("Eve" in t or "Dan" in t for t in texts)


def test_screening_pdf_pages_scan_to_their_own_tickets(app, film, tmp_path):
    codes = _crowd(app, film)
    with app.app_context():
        data = pdf_tickets.render_screening_pdf(film)
    expected = [[codes[name]] for name in ("Ana Aubert", "Bea Bakker", "Cem Yılmaz")]
    assert decoded_pages(data, tmp_path) == expected


def test_screening_pdf_refuses_unknown_and_empty_screenings(app, film, make_screening):
    empty = make_screening(title="Nobody yet")
    with app.app_context():
        with pytest.raises(pdf_tickets.NothingToPrintError):
            pdf_tickets.render_screening_pdf(empty)
        with pytest.raises(NotFoundError):
            pdf_tickets.render_screening_pdf(999)


def _secret(app, registration_id):
    with app.app_context():
        return db.session.get(Registration, registration_id).secret


def test_public_download_is_a_pdf_of_the_ticket(app, client, film):
    secret = _secret(app, book(app, film, "Әлия Сәрсенбаева"))
    page = client.get(f"/r/{secret}").get_data(as_text=True)
    assert f'href="/r/{secret}/ticket.pdf"' in page and "Download the ticket (PDF)" in page
    response = client.get(f"/r/{secret}/ticket.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="ticket-')
    assert "private" in response.headers["Cache-Control"]
    text = page_texts(response.data)[0]
    assert "Әлия Сәрсенбаева" in text and f"http://localhost/r/{secret}" in text


def test_public_download_refuses_waitlisted_cancelled_and_unknown(app, client, film):
    full = book(app, film, "Big Family", seats=4)
    waiting = book(app, film, "Late Comer")
    cancelled = book(app, film, "Early Leaver")  # waitlisted, then cancelled
    with app.app_context():
        booking.cancel(cancelled)
    assert full and client.get(f"/r/{_secret(app, waiting)}/ticket.pdf").status_code == 404
    assert client.get(f"/r/{_secret(app, cancelled)}/ticket.pdf").status_code == 404
    assert client.get("/r/" + "x" * 32 + "/ticket.pdf").status_code == 404


def test_public_download_writes_nothing_to_disk(app, client, film):
    secret = _secret(app, book(app, film, "Ana"))
    before = sorted(p for p in os.listdir(app.instance_path))
    assert client.get(f"/r/{secret}/ticket.pdf").status_code == 200
    assert sorted(os.listdir(app.instance_path)) == before


def test_organizer_prints_every_ticket_of_a_screening(app, client, admin, film):
    _crowd(app, film)
    page = client.get(f"/admin/screenings/{film}/attendees").get_data(as_text=True)
    assert f'href="/admin/screenings/{film}/tickets.pdf"' in page and "Print all tickets (PDF)" in page
    response = client.get(f"/admin/screenings/{film}/tickets.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 3


def test_organizer_is_told_when_there_is_nothing_to_print(app, client, admin, film):
    response = client.get(f"/admin/screenings/{film}/tickets.pdf")
    assert response.status_code == 303 and response.location.endswith(f"/admin/screenings/{film}/attendees")
    assert "no confirmed tickets to print" in client.get(response.location).get_data(as_text=True)
