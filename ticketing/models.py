"""Tables and their invariants: no HTTP, no commits, no QR codes, no mail."""
import enum
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


class RegistrationStatus(str, enum.Enum):
    """Where a registration stands."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"




class Event(db.Model):
    """A festival: the screenings it holds share its time zone, venue and contact."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="screenings")

    @property
    def seats_left(self):
        """Seats not yet confirmed to anyone."""
        return max(self.capacity - self.seats_taken, 0)

    @property
    def display_venue(self):
        """The venue and hall to show, falling back to the event's venue."""
        venue = self.venue or self.event.venue
        return f"{venue}, {self.hall}" if self.hall else venue


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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(sa.ForeignKey("screenings.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    # Casefolded for search: SQLite's LIKE and lower() fold only ASCII letters.
    name_normalized: Mapped[str] = mapped_column(sa.String(400), default="")
    email: Mapped[str] = mapped_column(sa.String(254))
    email_normalized: Mapped[str] = mapped_column(sa.String(254))
    seats: Mapped[int] = mapped_column(sa.Integer, default=1)
    locale: Mapped[str] = mapped_column(sa.String(16), default="en")
    status: Mapped[str] = mapped_column(sa.String(16))
    secret: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The nonce of the form that created it: a double-submitted form books once.
    form_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    screening: Mapped[Screening] = relationship()
    ticket: Mapped["Ticket | None"] = relationship(back_populates="registration", uselist=False)


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
        return "used" if self.admitted >= self.seats else "valid"


class User(db.Model):
    """A staff account: an admin (everything) or door staff (check-in only)."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("role IN ('admin', 'door')", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored normalised
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Flask-Login's interface.
    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        return str(self.id)

    @property
    def is_admin(self):
        return self.role == "admin"


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
    __table_args__ = (sa.CheckConstraint("seats >= 0", name="seats_not_negative"),)

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


class OutboxMessage(db.Model):
    """A message to an attendee, written in the transaction that causes it; sent later."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id"), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    registration: Mapped[Registration] = relationship()
