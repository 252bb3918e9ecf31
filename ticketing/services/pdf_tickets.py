"""PDF tickets: one A4 page per ticket, for a phone screen or a printer.

A4 portrait because the festival's attendees and organizers print on A4 (Belgium): the page
prints at its true size with no scaling choice to make. On a phone the viewer fits the page to
the screen's width, so the type is sized against the page's width (values at 24 pt read like a
web page's body text there) and the QR takes 43 % of it. Fonts are DejaVu Sans, embedded as
subsets: they cover French, Turkish (ğ ş ı) and Kazakh Cyrillic (Ә Ғ Қ Ң Ө Ұ Ү Һ І). Titles and
names are drawn as written and never read as markup. Nothing is written to disk.
"""
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from babel.dates import format_date, format_time
from flask import current_app
from flask_babel import force_locale, lazy_gettext as _l
from flask_babel import gettext as _
from flask_babel import ngettext
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, RenderStyle, XPos, YPos

from ..errors import NotFoundError, TicketingError
from ..extensions import db
from ..models import Registration, RegistrationStatus, Screening, Ticket
from . import colours, pictures, texts, tickets

FONT_FAMILY = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
PAGE_WIDTH, PAGE_HEIGHT = 210, 297  # mm, A4 portrait
MARGIN = 16
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 90  # mm, quiet zone included: about 2.7 mm a module, read from a metre away on paper
QR_SMALLEST = 60  # mm, when long facts need the room: 1.8 mm a module, still read at arm's length
FACT_SIZES = (24, 20, 16)  # points: the facts' type, smaller only when the page needs it
BOTTOM = PAGE_HEIGHT - MARGIN
GREY = (90, 90, 90)
LOGO_HEIGHT, LOGO_WIDTH = 14, 48  # mm: the festival's logo fits this box, top right
PT = 0.3528  # mm per point
LINE = 1.25  # line height, in font sizes


class FontMissingError(RuntimeError):
    """The PDF fonts are not installed where TICKET_FONT_DIR says."""


class NoTicketError(TicketingError):
    code = "no_ticket"
    message = _l("Only a confirmed registration has a ticket to print.")


class NothingToPrintError(TicketingError):
    code = "nothing_to_print"
    message = _l("This screening has no confirmed tickets to print yet.")


@dataclass(frozen=True)
class _Holder:
    """What a page shows about one ticket's holder."""

    name: str
    seats: int
    code: str
    link: str | None


def render_ticket_pdf(registration, link=None, locale="en"):
    """Return a one-page PDF of a confirmed registration's ticket; `link`: its self-service URL."""
    if not registration.has_ticket or registration.ticket is None:
        raise NoTicketError()
    holder = _Holder(registration.name, registration.seats, registration.ticket.code, link)
    locale = locale or "en"
    with force_locale(locale):
        pdf = _new_document(registration.screening, locale)
        _draw_ticket(pdf, registration.screening, holder, locale)
        return bytes(pdf.output())


def render_screening_pdf(screening_id, link_for=None, locale="en"):
    """Return a PDF of every confirmed ticket of a screening, one page each, sorted by name.

    `link_for(secret)` gives a registration's self-service URL, when the caller can build one.
    """
    screening = db.session.get(Screening, screening_id)
    if screening is None:
        raise NotFoundError()
    # Plain rows, not ORM objects: a few thousand tickets stay a few hundred kilobytes.
    rows = db.session.execute(
        sa.select(Registration.name, Registration.seats, Registration.secret, Ticket.code)
        .join(Ticket, Ticket.registration_id == Registration.id)
        .where(
            Registration.screening_id == screening.id,
            Registration.status == RegistrationStatus.CONFIRMED.value,
            Registration.hold_until.is_(None),  # a booking not confirmed by e-mail has no ticket yet
        )
        .order_by(Registration.name_normalized, Registration.id)  # as the attendee list sorts
    ).all()
    if not rows:
        raise NothingToPrintError()
    locale = locale or "en"
    with force_locale(locale):
        pdf = _new_document(screening, locale)
        for name, seats, secret, code in rows:
            link = link_for(secret) if link_for else None
            _draw_ticket(pdf, screening, _Holder(name, seats, code, link), locale)
        return bytes(pdf.output())


def font_paths():
    """Return {style: path} of the fonts to embed, or raise FontMissingError saying what to do."""
    folder = Path(current_app.config["TICKET_FONT_DIR"])
    paths = {style: folder / name for style, name in FONT_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        # For the operator (a server error and its log line): in English.
        raise FontMissingError(
            f"PDF tickets need the DejaVu Sans fonts, not found: {', '.join(missing)}. "
            "Install Debian's fonts-dejavu-core, or set TICKET_FONT_DIR to a folder holding "
            f"{' and '.join(FONT_FILES.values())}."
        )
    return paths


def format_when(starts_at, tz, locale):
    """Return the day and the clock time of a screening in its event's zone, for `locale`."""
    day = format_date(starts_at.astimezone(tz).date(), "full", locale=locale)
    return f"{day}, {format_time(starts_at, 'short', tzinfo=tz, locale=locale)}"


class _TicketPDF(FPDF):
    """An A4 document that remembers how it laid out each text."""

    def __init__(self):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.layouts = {}


def _new_document(screening, locale):
    pdf = _TicketPDF()
    for style, path in font_paths().items():
        pdf.add_font(FONT_FAMILY, style, str(path))
    pdf.set_auto_page_break(False)  # each ticket is fitted to its page below
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_lang(locale)
    pdf.set_title(_("Ticket: %(title)s", title=screening.title))
    pdf.set_creator(screening.event.name)
    return pdf


def _draw_ticket(pdf, screening, holder, locale):
    event = screening.event
    pdf.add_page()
    _header(pdf, event)
    _text(pdf, screening.title, 32, style="B", smallest=20, max_lines=2)
    if screening.original_title and screening.original_title != screening.title:
        _text(pdf, screening.original_title, 20, smallest=14, max_lines=1)
    pdf.ln(3)
    facts = (
        (_("Name"), holder.name, 2),
        (_("When"), format_when(screening.starts_at, event.tz, locale), 2),
        (_("Where"), _where(screening), 3),
        (_("Seats"), ngettext("Admits %(num)d person", "Admits %(num)d people", holder.seats), 1),
    ) + (((_("Also"), texts.text(screening, "note", locale), 2),) if screening.note else ())
    top = pdf.get_y()
    room = BOTTOM - _footer_height(holder.link) - 2 - top - (30 * PT * LINE + 4)  # but the short code
    # The QR as large as the facts leave room for, from QR_SIZE down to QR_SMALLEST; the facts'
    # type smaller only when even that is not enough (long names, long addresses).
    for size in FACT_SIZES:
        qr = min(QR_SIZE, room - sum(_fact_height(pdf, value, lines, size) for _label, value, lines in facts))
        if qr >= QR_SMALLEST:
            break
    qr = max(qr, QR_SMALLEST)
    _draw_qr(pdf, holder.code, (PAGE_WIDTH - qr) / 2, top, qr)
    pdf.set_y(top + qr)
    pdf.set_char_spacing(1.5)
    _text(pdf, tickets.short_code(holder.code), 30, style="B", align="C", max_lines=1)
    pdf.set_char_spacing(0)
    pdf.ln(4)
    for label, value, lines in facts:
        _fact(pdf, label, value, lines, size)
    _footer(pdf, holder.link)


def _header(pdf, event):
    """The festival's name in its colour, its logo on the right, a rule of its colour below."""
    colour = colours.rgb(event.accent or colours.HOUSE)
    top = pdf.get_y()
    logo = pictures.picture_path(event.logo) if event.logo else None
    name_width, bottom = TEXT_WIDTH, top
    if logo is not None:
        pixels_wide, pixels_high = pictures.picture_size(event.logo)
        height = min(LOGO_HEIGHT, LOGO_WIDTH * pixels_high / pixels_wide)
        width = height * pixels_wide / pixels_high
        pdf.image(str(logo), x=PAGE_WIDTH - MARGIN - width, y=top, w=width, h=height)
        name_width, bottom = TEXT_WIDTH - width - 4, top + height
        pdf.set_y(top + (height - 14 * PT * LINE) / 2)  # the name beside the logo's middle
    pdf.set_text_color(*colour)
    _text(pdf, event.name, 14, style="B", max_lines=1, width=name_width)
    rule = max(pdf.get_y(), bottom) + 1.5
    pdf.set_draw_color(*colour)
    pdf.set_line_width(0.8)
    pdf.line(MARGIN, rule, PAGE_WIDTH - MARGIN, rule)
    pdf.set_y(rule + 2.5)
    pdf.set_text_color(0)


def _where(screening):
    lines = [screening.display_venue]
    # The event's address belongs to the event's venue; a screening elsewhere has only its own.
    if screening.event.address and (not screening.venue or screening.venue == screening.event.venue):
        lines.append(screening.event.address)
    return "\n".join(line for line in lines if line)


def _fact(pdf, label, value, max_lines, size):
    pdf.set_text_color(*GREY)
    _text(pdf, label, 12, max_lines=1)
    pdf.set_text_color(0)
    _text(pdf, value or "–", size, smallest=min(14, size), max_lines=max_lines)
    pdf.ln(2)


def _fact_height(pdf, value, max_lines, size):
    """The height _fact() takes for `value` at `size` points."""
    key = (value or "–", size, "", min(14, size), max_lines, TEXT_WIDTH)
    if key not in pdf.layouts:
        pdf.layouts[key] = _layout(pdf, *key[:2], "", min(14, size), max_lines)
    points, lines = pdf.layouts[key]
    return 12 * PT * LINE + points * PT * LINE * len(lines) + 2


def _footer_height(link):
    return (11 * PT * LINE) * (3 if link else 1)


def _footer(pdf, link):
    hint = _("Show this code at the door, on your phone or printed.")
    pdf.set_y(BOTTOM - _footer_height(link))
    pdf.set_text_color(*GREY)
    _text(pdf, hint, 11, max_lines=1)
    if link:
        _text(pdf, _("Your ticket online, to cancel if you cannot come:"), 11, max_lines=1)
        pdf.set_text_color(0, 0, 160)
        pdf.set_font(FONT_FAMILY, "", 11)
        pdf.cell(TEXT_WIDTH, 11 * PT * LINE, _shorten(pdf, link, TEXT_WIDTH), link=link,
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)


def _text(pdf, text, size, style="", smallest=None, max_lines=1, align="L", width=TEXT_WIDTH):
    """Write `text` across the page (or `width` of it) in at most `max_lines` lines, shrinking it
    down to `smallest` points and then cutting it short with an ellipsis: a page never overflows."""
    key = (text, size, style, smallest, max_lines, width)
    if key not in pdf.layouts:  # a screening's pages repeat all but the name: lay out once
        pdf.layouts[key] = _layout(pdf, text, size, style, smallest or size, max_lines, width)
    points, lines = pdf.layouts[key]
    pdf.set_font(FONT_FAMILY, style, points)
    for line in lines:
        pdf.cell(width, points * PT * LINE, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _layout(pdf, text, size, style, smallest, max_lines, width=TEXT_WIDTH):
    """Return (font size, lines) for `text`: see _text."""
    if max_lines == 1:
        text = " ".join(text.split())
    else:
        text = "\n".join(" ".join(line.split()) for line in text.splitlines())
    for points in range(size, smallest - 1, -2):
        pdf.set_font(FONT_FAMILY, style, points)
        if "\n" not in text and pdf.get_string_width(text) <= width:
            return points, [text]  # the usual case, without the line breaker's cost
        lines = pdf.multi_cell(width, points * PT * LINE, text, dry_run=True, output=MethodReturnValue.LINES)
        if len(lines) <= max_lines:
            return points, lines
    lines = lines[:max_lines]
    lines[-1] = _shorten(pdf, lines[-1] + "…", width)
    return points, lines


def _shorten(pdf, text, width):
    while len(text) > 1 and pdf.get_string_width(text) > width:
        text = text[:-2] + "…"
    return text


def _draw_qr(pdf, code, left, top, size):
    """Draw the QR as filled rectangles, one per run of dark modules: sharp at any zoom."""
    rows = tickets.qr_modules(code)
    module = size / len(rows)
    pdf.set_fill_color(0)
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            # A hair taller than a module, so that rows touch without a seam when anti-aliased.
            pdf.rect(left + start * module, top + y * module, (x - start) * module, module * 1.02, style=RenderStyle.F)
