"""Tables and their invariants: no HTTP, no commits, no QR codes, no mail."""
import enum
import hashlib
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow():
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; times are stored in UTC and must carry a zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class RegistrationSource(str, enum.Enum):
    """Who made a registration."""

    PUBLIC = "public"  # the sign-up form or the API
    GUEST = "guest"  # added by an organizer, by hand or from a CSV file
    WALKIN = "walkin"  # added at the door, and admitted at once


class Protection(str, enum.Enum):
    """How an event keeps its free seats for people (services/holds.py): by e-mail confirmation,
    or not at all."""

    NONE = "none"
    EMAIL = "email"  # a public booking holds its seats until the link in its e-mail is followed


class RegistrationStatus(str, enum.Enum):
    """Where a registration stands."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class ScanResult(str, enum.Enum):
    """What a scan at the door gave (an undo is logged as a scan of its own)."""

    ADMITTED = "admitted"
    ALREADY_CHECKED_IN = "already_checked_in"
    NOT_VALID = "not_valid"
    UNDONE = "undone"


class ScanReason(str, enum.Enum):
    """Why, with the result: the door's reasons (services/checkin.py, MESSAGES), a walk-in seated
    and admitted at the door, and an undo."""

    NONE = ""
    ALL_IN = "all_in"
    FEWER_SEATS_LEFT = "fewer_seats_left"
    UNKNOWN_CODE = "unknown_code"
    OTHER_SCREENING = "other_screening"
    CANCELLED = "cancelled"
    RELEASED = "released"
    WAITLISTED = "waitlisted"
    SCREENING_CANCELLED = "screening_cancelled"
    UNCONFIRMED = "unconfirmed"  # a booking whose e-mail address was not confirmed yet
    WALKIN = "walkin"
    UNDO = "undo"


class MessageKind(str, enum.Enum):
    """What a message in the outbox tells the attendee."""

    CONFIRMATION = "confirmation"
    REPEAT_SIGNUP = "repeat_signup"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"
    RELEASED = "released"
    MOVED = "moved"
    SCREENING_CANCELLED = "screening_cancelled"
    ANNOUNCEMENT = "announcement"  # an organizer's message (services/announcements.py)
    FIND_TICKETS = "find_tickets"  # every active booking of an address (services/find_tickets.py)
    CONFIRM_EMAIL = "confirm_email"  # the link that confirms a held booking (services/holds.py)
    REMINDER = "reminder"  # before the screening, with a link that frees seats (services/reminders.py)
    THANK_YOU = "thank_you"  # after the film, to those let in, with the vote's link (services/thanks.py)


class QuestionKind(str, enum.Enum):
    """The kinds of answer an organizer's own question takes (services/questions.py)."""

    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    CHOICES = "choices"
    YES_NO = "yes_no"
    NUMBER = "number"
    COUNTRY = "country"
    CONSENT = "consent"


class VoteKind(str, enum.Enum):
    """What the audience's vote asks (services/votes.py)."""

    RATING = "rating"  # each voter rates the film they saw, 1 to 5 stars
    BEST_FILM = "best_film"  # each voter names the festival's best film among its screenings


class AuditAction(str, enum.Enum):
    """A staff action the audit log records (services/audit.py)."""

    DEVICE_CREATE = "device.create"
    DEVICE_REVOKE = "device.revoke"
    EVENT_COVER = "event.cover"
    EVENT_COVER_REMOVE = "event.cover_remove"
    EVENT_CREATE = "event.create"
    EVENT_LOGO = "event.logo"
    EVENT_LOGO_REMOVE = "event.logo_remove"
    EVENT_PUBLISH = "event.publish"
    EVENT_UNPUBLISH = "event.unpublish"
    EVENT_UPDATE = "event.update"
    GUESTS_ADD = "guests.add"
    OUTBOX_RETRY = "outbox.retry"
    OUTBOX_RETRY_FAILED = "outbox.retry_failed"
    PERSON_ERASE = "person.erase"
    PERSON_EXPORT = "person.export"
    PRIVACY_PURGE = "privacy.purge"
    REGISTRATION_CANCEL = "registration.cancel"
    REGISTRATION_MOVE = "registration.move"
    REGISTRATION_RESEND = "registration.resend"
    SCREENING_ANNOUNCE = "screening.announce"
    SCREENING_CANCEL = "screening.cancel"
    SCREENING_CREATE = "screening.create"
    SCREENING_POSTER = "screening.poster"
    SCREENING_POSTER_REMOVE = "screening.poster_remove"
    SCREENING_PUBLISH = "screening.publish"
    SCREENING_RELEASE = "screening.release"
    SCREENING_UNPUBLISH = "screening.unpublish"
    SCREENING_UPDATE = "screening.update"
    USER_CREATE = "user.create"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_SESSIONS_END = "user.sessions_end"
    USER_UPDATE = "user.update"
    VOTE_CREATE = "vote.create"
    VOTE_UPDATE = "vote.update"


def one_of(column, vocabulary, name):
    """A CHECK constraint keeping `column` to the values of the enum `vocabulary`: the database
    refuses a word the code does not know, whatever writes it."""
    values = ", ".join(f"'{member.value}'" for member in vocabulary)
    return sa.CheckConstraint(f"{column} IN ({values})", name=name)




class Event(db.Model):
    """A festival: the screenings it holds share its time zone, venue and contact."""

    __tablename__ = "events"
    __table_args__ = (one_of("protection", Protection, "protection_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    # Unpublished events and their screenings are seen by staff only.
    is_published: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The festival's own look (services/colours.py, services/pictures.py): "" for the site's own.
    accent: Mapped[str] = mapped_column(sa.String(7), default="")
    logo: Mapped[str] = mapped_column(sa.String(80), default="")
    cover: Mapped[str] = mapped_column(sa.String(80), default="")
    # How public bookings keep their seats for people (Protection): a new event made in the back
    # office asks for e-mail confirmation (services/events.py); "none" books at once.
    protection: Mapped[str] = mapped_column(sa.String(16), default=Protection.NONE.value)
    # The language its organizers write in (the fallback of their texts in other languages), how
    # to get there, and the closing words of its e-mails.
    main_language: Mapped[str] = mapped_column(sa.String(8), default="en")
    directions: Mapped[str] = mapped_column(sa.Text, default="")
    mail_closing: Mapped[str] = mapped_column(sa.Text, default="")
    # The organizers' texts in the other languages (services/texts.py): {locale: {field: text}}.
    texts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Hours before each screening at which every seat holder is reminded, with a link that frees
    # their seats (services/reminders.py); None: no reminders.
    reminder_hours: Mapped[int | None] = mapped_column(sa.Integer, default=24)
    # Whether those let in are thanked by e-mail after each film (services/thanks.py).
    thank_you: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    screenings: Mapped[list["Screening"]] = relationship(
        back_populates="event", order_by="Screening.starts_at"
    )

    @property
    def tz(self):
        """The event's time zone as a tzinfo."""
        return ZoneInfo(self.timezone)


class Screening(db.Model):
    """One showing of a film, with its seats and its registration window."""

    __tablename__ = "screenings"
    __table_args__ = (
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("max_seats >= 1", name="max_seats_positive"),
        sa.CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        # The backstop behind the conditional UPDATE in services.booking (R1).
        sa.CheckConstraint("seats_taken <= capacity", name="seats_within_capacity"),
        sa.CheckConstraint("seats_held >= 0", name="seats_held_not_negative"),
        sa.CheckConstraint("release_minutes >= 0", name="release_minutes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    original_title: Mapped[str] = mapped_column(sa.String(200), default="")
    director: Mapped[str] = mapped_column(sa.String(200), default="")
    year: Mapped[int | None] = mapped_column(sa.Integer)
    runtime_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    language: Mapped[str] = mapped_column(sa.String(100), default="")
    subtitles: Mapped[str] = mapped_column(sa.String(100), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    hall: Mapped[str] = mapped_column(sa.String(100), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(sa.Integer)
    max_seats: Mapped[int] = mapped_column(sa.Integer, default=1)
    seats_taken: Mapped[int] = mapped_column(sa.Integer, default=0)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_cancelled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_published: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # Seats still held back for guests: the public cannot take them (services.guests).
    seats_held: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Minutes before the start at which unclaimed seats go to the waiting list and walk-ins;
    # None: never. `released_at` says when that happened (once).
    release_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The poster's file name under instance/posters/ ("" for none); it changes with the image.
    poster: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Its description and note in the event's other languages (services/texts.py).
    texts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # When its reminders were written to the outbox (once), and the seats people gave back from
    # them (services/reminders.py).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seats_freed_by_reminder: Mapped[int] = mapped_column(sa.Integer, default=0)
    thanked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the thanks written (services/thanks.py)

    event: Mapped[Event] = relationship(back_populates="screenings")

    @property
    def seats_left(self):
        """Seats the public can still take: neither confirmed nor held back for guests."""
        return max(self.capacity - self.seats_taken - self.seats_held, 0)

    @property
    def is_visible(self):
        """Whether the public sees it: it and its event are published."""
        return self.is_published and self.event.is_published

    @property
    def place(self):
        """Where it is shown: its own venue, else the event's."""
        return self.venue or self.event.venue

    @property
    def display_venue(self):
        """The venue and hall to show, falling back to the event's venue."""
        return f"{self.place}, {self.hall}" if self.hall else self.place


class Registration(db.Model):
    """A person's request for seats at one screening."""

    __tablename__ = "registrations"
    __table_args__ = (
        sa.CheckConstraint("seats >= 1", name="seats_positive"),
        sa.CheckConstraint(
            "status IN ('confirmed', 'waitlisted', 'cancelled')", name="status_known"
        ),
        # R6: one active registration per e-mail and screening.
        sa.Index(
            "uq_registrations_active_email",
            "screening_id",
            "email_normalized",
            unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        ),
        # The waiting list is read in arrival order.
        sa.Index("ix_registrations_queue", "screening_id", "status", "id"),
        # The organizer's lists sort by name and by sign-up time.
        sa.Index("ix_registrations_name", "screening_id", "name_normalized"),
        sa.Index("ix_registrations_created", "screening_id", "created_at"),
        sa.Index("ix_registrations_seats", "screening_id", "seats", "id"),
        sa.CheckConstraint("source IN ('public', 'guest', 'walkin')", name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(sa.ForeignKey("screenings.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    # Casefolded for search: SQLite's LIKE and lower() fold only ASCII letters.
    name_normalized: Mapped[str] = mapped_column(sa.String(400), default="")
    email: Mapped[str] = mapped_column(sa.String(254))  # "" for a guest or walk-in without one
    email_normalized: Mapped[str | None] = mapped_column(sa.String(254))  # None without e-mail
    seats: Mapped[int] = mapped_column(sa.Integer, default=1)
    locale: Mapped[str] = mapped_column(sa.String(16), default="en")
    status: Mapped[str] = mapped_column(sa.String(16))
    secret: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The nonce of the form that created it: a double-submitted form books once.
    form_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    source: Mapped[str] = mapped_column(sa.String(16), default=RegistrationSource.PUBLIC.value)
    note: Mapped[str] = mapped_column(sa.String(500), default="")  # the organizer's, for guests
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # attendee, organizer, released (unclaimed before the film) or moved (to another screening)
    cancel_reason: Mapped[str] = mapped_column(sa.String(16), default="")
    # Until when a public booking keeps its place unconfirmed (services/holds.py): None once the
    # link in its e-mail was followed, or when none was asked for.
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    screening: Mapped[Screening] = relationship()
    ticket: Mapped["Ticket | None"] = relationship(back_populates="registration", uselist=False)

    @property
    def is_held(self):
        """Whether it waits for its e-mail address to be confirmed (services/holds.py)."""
        return self.hold_until is not None and self.status != RegistrationStatus.CANCELLED.value

    @property
    def has_ticket(self):
        """Whether its ticket admits: confirmed, and its address confirmed where that was asked."""
        return self.status == RegistrationStatus.CONFIRMED.value and self.hold_until is None


class Ticket(db.Model):
    """The code shown at the door; it admits as many people as its registration has seats.

    Whether it is valid follows its registration's status (one source of truth); the door
    counts admissions in `admitted`.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        sa.CheckConstraint("admitted >= 0", name="admitted_not_negative"),
        sa.CheckConstraint("admitted <= seats", name="admitted_within_seats"),
        sa.CheckConstraint("seats >= 1", name="seats_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id"), unique=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    seats: Mapped[int] = mapped_column(sa.Integer)
    admitted: Mapped[int] = mapped_column(sa.Integer, default=0)
    first_admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="ticket")

    @property
    def status(self):
        """One of valid, waitlisted, cancelled, used (everyone admitted)."""
        if self.registration.status != RegistrationStatus.CONFIRMED.value:
            return self.registration.status
        if self.registration.hold_until is not None:
            return "unconfirmed"
        return "used" if self.admitted >= self.seats else "valid"


user_events = sa.Table(
    "user_events",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    """A staff account: an admin (everything) or door staff (check-in only).

    Door staff with `events` listed work at those events' doors only; with none, at every door.
    """

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("role IN ('admin', 'door')", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored normalised
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list[Event]] = relationship(secondary=user_events, order_by="Event.id")

    # Flask-Login's interface.
    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        """The session's user id: the row id and a stamp of the password, so that changing the
        password ends the sessions opened with the old one (see staff.views.load_user)."""
        return f"{self.id}.{self.password_stamp}"

    @property
    def password_stamp(self):
        """A short digest of the password hash: it changes with the password, reveals nothing."""
        return hashlib.sha256(f"session:{self.password_hash}".encode()).hexdigest()[:16]

    @property
    def is_admin(self):
        return self.role == "admin"

    def may_work_at(self, event_id):
        """Whether this user may check tickets in at the doors of event `event_id`."""
        return self.is_admin or not self.events or any(e.id == event_id for e in self.events)


class StaffSession(db.Model):
    """A staff login, known to the server: the session cookie carries its token (stored here as a
    SHA-256 only). Logging out, deactivating the account, changing its password or an admin's
    "end sessions" ends it (`ended_at`); so does its age (`accounts.SESSION_LIFETIME`). A copy of
    the cookie taken before then opens nothing after."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # SHA-256, hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Device(db.Model):
    """A scanner or phone at the door, known by a bearer token that an admin creates."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # SHA-256, hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CheckIn(db.Model):
    """One scan at the door, whatever its result (R5); an undo is a row of its own."""

    __tablename__ = "checkins"
    __table_args__ = (
        sa.CheckConstraint("seats >= 0", name="seats_not_negative"),
        sa.CheckConstraint("offline_seats >= 0", name="offline_seats_not_negative"),
        one_of("result", ScanResult, "result_known"),
        one_of("reason", ScanReason, "reason_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    screening_id: Mapped[int] = mapped_column(sa.ForeignKey("screenings.id"), index=True)
    scanned_code: Mapped[str] = mapped_column(sa.String(64), default="")
    staff_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(sa.ForeignKey("devices.id"))
    seats: Mapped[int] = mapped_column(sa.Integer, default=0)
    result: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.String(64), default="")
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # For an undo: the admission it takes back.
    undoes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checkins.id"), unique=True)
    # The device's own id for a scan: a scan sent twice (a retry, a sync after a time-out) is
    # recorded once.
    scan_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # A scan decided on the device without the server (offline): how many people the device let
    # in (0 when it refused). None for a scan the server judged when it happened.
    offline_seats: Mapped[int | None] = mapped_column(sa.Integer)
    # The device let in more people offline than the server could admit when the scan arrived
    # (the ticket was used meanwhile elsewhere, or cancelled): shown to the organizers.
    is_conflict: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    @property
    def is_offline(self):
        return self.offline_seats is not None


class AuditEntry(db.Model):
    """One staff action in the back office: who changed what, when (shown to admins)."""

    __tablename__ = "audit_log"
    # A registration's page reads the entries about it.
    __table_args__ = (
        sa.Index("ix_audit_log_subject", "subject_type", "subject_id"),
        one_of("action", AuditAction, "action_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))  # e.g. screening.update
    subject_type: Mapped[str] = mapped_column(sa.String(32), default="")
    subject_id: Mapped[int | None] = mapped_column(sa.Integer)
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User | None] = relationship()


class Announcement(db.Model):
    """A message an organizer wrote to the attendees of a screening; one outbox row per person."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(sa.ForeignKey("screenings.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    audience: Mapped[str] = mapped_column(sa.String(16))  # confirmed | active (with the waiting list)
    recipients: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The form's one-time key: the same form sent twice (a double click, a reload) sends once.
    form_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Its subject and text in the event's other languages (services/texts.py).
    texts: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    created_by: Mapped[User | None] = relationship()
    screening: Mapped[Screening] = relationship()


class OutboxMessage(db.Model):
    """A message to an attendee, written in the transaction that causes it; sent later.

    services.mailer sends it: waiting (sent_at and failed_at both None, due once next_attempt_at
    has passed), claimed by one sender while claimed_until lies ahead, then sent or given up.
    """

    __tablename__ = "outbox"
    __table_args__ = (one_of("kind", MessageKind, "kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id"), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    # The columns below are nullable, so that the INSERT … SELECTs that queue messages in bulk
    # need not name them. None in next_attempt_at: due at once.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A sender's lease: no other sender takes the message before claimed_until (a sender that
    # dies leaves it to the next one once the lease runs out).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # given up
    # The Message-ID header, fixed at the first attempt: every retry carries the same one.
    message_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    # For kind "announcement": the organizer's message it carries.
    announcement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("announcements.id"), index=True)

    registration: Mapped[Registration] = relationship()


class Question(db.Model):
    """An organizer's own question on the sign-up form of an event's screenings (all of them, or
    one): services/questions.py. A removed one stays, so that its answers stay readable."""

    __tablename__ = "questions"
    __table_args__ = (one_of("kind", QuestionKind, "kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    screening_id: Mapped[int | None] = mapped_column(sa.ForeignKey("screenings.id"))  # None: every screening
    kind: Mapped[str] = mapped_column(sa.String(16))
    label: Mapped[str] = mapped_column(sa.String(300))
    choices: Mapped[list] = mapped_column(sa.JSON, default=list)  # for one or several choices
    link: Mapped[str] = mapped_column(sa.String(500), default="")  # for a consent box
    required: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    # The label and choices in the event's other languages: {locale: {"label", "choices"}}.
    texts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    screening: Mapped[Screening | None] = relationship()


class Answer(db.Model):
    """A registration's answer to a question: its value (text, a list of choices, "yes" or "no",
    a number as text, a country code), and the question's label as it was answered."""

    __tablename__ = "answers"
    __table_args__ = (sa.UniqueConstraint("registration_id", "question_id", name="one_answer_per_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"), index=True)
    value: Mapped[object] = mapped_column(sa.JSON)
    label: Mapped[str] = mapped_column(sa.String(300), default="")


class Vote(db.Model):
    """The audience's vote, opened by an organizer for one screening or the whole event
    (screening_id None) between two times (services/votes.py)."""

    __tablename__ = "votes"
    __table_args__ = (one_of("kind", VoteKind, "kind_known"),
                      sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), index=True)
    screening_id: Mapped[int | None] = mapped_column(sa.ForeignKey("screenings.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    results_public: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # the projector page, for anyone
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    screening: Mapped[Screening | None] = relationship()


class Ballot(db.Model):
    """One person's vote: a ticket casts one ballot per person it let in (`seat`, from 1)."""

    __tablename__ = "ballots"
    __table_args__ = (
        sa.UniqueConstraint("vote_id", "ticket_id", "seat", name="one_ballot_per_seat"),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_one_to_five"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("votes.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    seat: Mapped[int] = mapped_column(sa.Integer)
    screening_id: Mapped[int] = mapped_column(sa.ForeignKey("screenings.id"))  # the film rated or named
    rating: Mapped[int | None] = mapped_column(sa.Integer)  # 1 to 5 stars; None for the best film
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
