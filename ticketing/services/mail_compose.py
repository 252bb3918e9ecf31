"""The e-mails of the outbox, composed: plain text and HTML, the ticket's QR inline, the PDF
ticket and the calendar file attached, in the attendee's language."""
import importlib
import secrets
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from types import SimpleNamespace

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..formatting import local_datetime, local_time
from ..models import Announcement
from . import colours, find_tickets, holds, pictures, texts, tickets, votes

# Kinds whose message carries the ticket (QR inline, PDF and calendar file attached). A repeat
# sign-up carries it when the registration is confirmed; on the waiting list it says so instead.
TICKET_KINDS = frozenset({"confirmation", "repeat_signup", "promoted", "moved", "reminder"})

SUBJECTS = {
    "confirmation": _l("Your ticket: %(title)s"),
    "repeat_signup": _l("Your ticket again: %(title)s"),
    "waitlisted": _l("Waiting list: %(title)s"),
    "promoted": _l("A seat is yours: %(title)s"),
    "cancelled": _l("Registration cancelled: %(title)s"),
    "released": _l("Your seats were given to others: %(title)s"),
    "moved": _l("Your registration has moved: %(title)s"),
    "screening_cancelled": _l("Screening cancelled: %(title)s"),
    "announcement": _l("%(subject)s (%(title)s)"),
    "find_tickets": _l("Your tickets"),
    "confirm_email": _l("Please confirm your booking: %(title)s"),
    "reminder": _l("Reminder: %(title)s, %(when)s"),
    "thank_you": _l("Thank you for coming: %(title)s"),
}
REPEAT_WAITLISTED = _l("Still on the waiting list: %(title)s")
FALLBACK_DOMAIN = "ticketing.invalid"


def _optional(name, function):
    """Return services.<name>.<function> if that module exists yet, else None.

    The PDF ticket and the calendar file come from their own modules; the mail goes out without
    the attachment while one is missing, and any other import error still surfaces.
    """
    try:
        module = importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as error:
        if error.name == f"{__package__}.{name}":
            return None
        raise
    return getattr(module, function, None)


def sender_domain():
    """The domain of MAIL_DEFAULT_SENDER: Message-IDs and Content-IDs are made under it."""
    address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return address.rpartition("@")[2] or FALLBACK_DOMAIN


def new_message_id(outbox_id):
    """Return a Message-ID for outbox message `outbox_id`: unique, fixed before the first try."""
    return f"<outbox.{outbox_id}.{secrets.token_hex(8)}@{sender_domain()}>"


def _from_header(event_name):
    """MAIL_DEFAULT_SENDER; with the festival's name shown when the setting gives none."""
    configured = current_app.config["MAIL_DEFAULT_SENDER"]
    name, address = parseaddr(configured)
    if name or not address:
        return configured
    try:
        return Address(display_name=event_name, addr_spec=address)
    except (ValueError, IndexError):  # an address the header parser cannot take apart
        return configured


def with_ticket(kind, registration):
    """Whether a message of `kind` to `registration` carries the ticket."""
    return kind in TICKET_KINDS and registration.ticket is not None and registration.has_ticket


def superseded(kind, registration):
    """Whether a ticket message has lost its point: the registration is no longer confirmed
    (cancelled before it was sent; the later message says so). A repeat sign-up on the
    waiting list is not: it says the attendee is still waiting."""
    if kind not in TICKET_KINDS or registration.status == "confirmed":
        return False
    return not (kind == "repeat_signup" and registration.status == "waitlisted")


def compose(outbox, registration, message_id, now):
    """Return the EmailMessage for outbox row `outbox` (kind, recipient, locale) about
    `registration`, with the Message-ID `message_id`.

    It runs outside any request: links are made under PUBLIC_URL, in a request context of their
    own, and texts in the registration's language (force_locale).
    """
    config = current_app.config
    screening = registration.screening
    event = screening.event
    with current_app.test_request_context(base_url=config["PUBLIC_URL"]), force_locale(outbox.locale or "en"):
        ticket = registration.ticket if with_ticket(outbox.kind, registration) else None
        qr_cid = f"<qr.{secrets.token_hex(8)}@{sender_domain()}>" if ticket else None
        logo = _logo(event)
        logo_cid = f"<logo.{secrets.token_hex(8)}@{sender_domain()}>" if logo else None
        link = url_for("public.registration", secret=registration.secret, _external=True)
        attachments = _attachments(registration, link, outbox.locale or "en") if ticket else []
        context = dict(
            kind=outbox.kind, registration=registration, screening=screening, event=event,
            ticket=ticket, short_code=tickets.short_code(ticket.code) if ticket else "",
            when=local_datetime(screening.starts_at, event.tz), venue=screening.display_venue, link=link,
            qr_src=f"cid:{qr_cid[1:-1]}" if qr_cid else "",
            attached={kind for kind, *_ in attachments}, announcement=_announcement(outbox),
            accent=event.accent or colours.HOUSE,
            logo_src=f"cid:{logo_cid[1:-1]}" if logo else "", logo_size=logo[1] if logo else None,
            bookings=_bookings(registration, now) if outbox.kind == find_tickets.KIND else (),
            confirm_link=confirm_link(registration) if registration.is_held else "",
            hold_ends=local_time(registration.hold_until, event.tz) if registration.is_held else "",
            free_link=url_for("public.free_seats", secret=registration.secret, _external=True)
            if outbox.kind == "reminder" else "",
            vote_links=_vote_links(registration, now) if outbox.kind == "thank_you" else [],
        )
        subject = SUBJECTS[outbox.kind]
        if outbox.kind == "repeat_signup" and registration.status == "waitlisted":
            subject = REPEAT_WAITLISTED
        message = EmailMessage()
        fill = {"title": screening.title, "when": context["when"],
                "subject": context["announcement"].subject if context["announcement"] else ""}
        message["Subject"] = " ".join(str(subject % fill).split())
        message["From"] = _from_header(event.name)
        message["To"] = outbox.recipient
        if event.contact_email:
            message["Reply-To"] = event.contact_email
        message["Date"] = format_datetime(now)
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
        message.set_content(render_template(f"mail/{outbox.kind}.txt", **context))
        message.add_alternative(render_template(f"mail/{outbox.kind}.html", **context), subtype="html")
    html = message.get_payload()[1]
    if logo:
        html.add_related(logo[0], "image", "png", cid=logo_cid, filename="logo.png", disposition="inline")
    if ticket:
        html.add_related(tickets.render_qr_png(ticket.code), "image", "png", cid=qr_cid,
                         filename=f"ticket-{context['short_code']}.png", disposition="inline")
        for _kind, data, maintype, subtype, filename in attachments:
            # A text part says its charset, else a reader takes the calendar's UTF-8 for ASCII.
            params = {"charset": "utf-8", "method": "PUBLISH"} if maintype == "text" else None
            message.add_attachment(data, maintype, subtype, filename=filename, params=params)
    message["Content-Language"] = outbox.locale or "en"  # set last: a multipart's parts move content headers
    return message


def _bookings(registration, now):
    """The address's active bookings for a Find my ticket message: (registration, local time,
    link); a booking not yet confirmed links to its confirmation."""
    return [
        (booked, local_datetime(booked.screening.starts_at, booked.screening.event.tz),
         confirm_link(booked) if booked.is_held
         else url_for("public.registration", secret=booked.secret, _external=True))
        for booked in find_tickets.active_bookings(registration, now)
    ]


def _vote_links(registration, now):
    """The votes open to this ticket as the thanks leave, with their links."""
    ticket = registration.ticket
    if ticket is None or not registration.has_ticket:
        return []
    return [(vote, url_for("public.ticket_vote", secret=registration.secret, vote_id=vote.id, _external=True))
            for vote in votes.open_votes_for(ticket, now) if votes.ballots_left(vote, ticket)]


def confirm_link(registration):
    """The link that confirms a held booking (holds.py): only e-mails carry it."""
    return url_for("public.confirm_booking", secret=registration.secret, token=holds.token(registration.secret),
                   _external=True)


LOGO_HEIGHT = 48  # pixels: the logo above the message, as small as a letterhead's


def _logo(event):
    """The festival's logo for the message: (PNG bytes, (width, height) to show it at), or None."""
    path = pictures.picture_path(event.logo) if event.logo else None
    if path is None:
        return None
    width, height = pictures.picture_size(event.logo)
    return path.read_bytes(), (max(1, round(width * LOGO_HEIGHT / height)), LOGO_HEIGHT)


def _announcement(outbox):
    """The organizer's message an outbox row of kind "announcement" carries (or a preview holds,
    not yet written), in the row's language where the organizer wrote it in that one, else None."""
    message = getattr(outbox, "announcement", None)
    if message is None:
        announcement_id = getattr(outbox, "announcement_id", None)
        message = db.session.get(Announcement, announcement_id) if announcement_id else None
    if message is None:
        return None
    locale = outbox.locale or "en"
    return SimpleNamespace(subject=texts.text(message, "subject", locale), body=texts.text(message, "body", locale))


def _attachments(registration, link, locale):
    """The PDF ticket and the calendar file, as far as their modules exist: (kind, bytes,
    maintype, subtype, file name) each."""
    found = []
    short = tickets.short_code(registration.ticket.code)
    render_pdf = _optional("pdf_tickets", "render_ticket_pdf")
    if render_pdf is not None:
        found.append(("pdf", render_pdf(registration, link=link, locale=locale), "application", "pdf", f"ticket-{short}.pdf"))
    render_ics = _optional("calendar", "render_ics")
    if render_ics is not None:
        found.append(("ics", render_ics(registration, manage_url=link), "text", "calendar", "screening.ics"))
    return found
