"""The audience's vote: an organizer opens a vote for a screening or a whole event, between an
opening and a closing time; only tickets let in at the door vote, one ballot per person let in.

Two kinds: a 1-to-5 rating of the film the voter saw (per screening, or at every screening of the
event), or the festival's best film (per event: the voter names one of its screenings). A ticket
votes from its own page, or from the vote's page shown on the cinema screen after the film
(`/votes/<id>`, which asks for the short code printed under the ticket's QR).

One ballot per admitted seat: casting locks the ticket's row (the door's check-in updates that row,
so the two wait for each other), counts its ballots and writes the next seat's, so that racing presses of one ticket never cast
more ballots than it let people in; a unique (vote, ticket, seat) stands behind it. An admission
undone later leaves the ballots cast meanwhile (the door's log says what happened).
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError, TicketingError
from ..extensions import db
from ..models import Ballot, Event, Registration, RegistrationStatus, Screening, Ticket, Vote, VoteKind, utcnow
from . import audit, tickets
from . import event_inputs as fi

RATING = VoteKind.RATING.value
BEST_FILM = VoteKind.BEST_FILM.value
KINDS = tuple(kind.value for kind in VoteKind)
STARS = range(1, 6)
_B, _T, _R = Ballot.__table__.c, Ticket.__table__.c, Registration.__table__.c


class VoteClosedError(TicketingError):
    code = "vote_closed"
    message = _l("This vote is closed.")


class VoteNotOpenError(TicketingError):
    code = "vote_not_open"
    message = _l("This vote is not open yet.")


class NotAdmittedError(TicketingError):
    code = "not_admitted"
    message = _l("Only tickets let in at the door of this vote's screenings can vote.")


class AllVotedError(TicketingError):
    code = "all_voted"
    message = _l("Everyone on this ticket has voted. Thank you!")


# ---------------------------------------------------------------------------------------------
# Organizers: open a vote, change its times


def _clean(fields, event):
    """The vote's typed fields, checked: kind, screening (None: the whole event), opening and
    closing times in the event's zone, public results. Raises InvalidInputError."""
    errors = {}
    kind = fi.choice(fields.get("kind"), "kind", errors, KINDS, what=_l("The kind of vote"))
    screening_id = None
    raw = fields.get("screening_id")
    if raw not in (None, ""):
        screening_id = fi.whole(raw, "screening_id", errors, 1, 2_147_483_647, what=_l("The screening"))
        if screening_id is not None and db.session.scalar(
                sa.select(Screening.id).where(Screening.id == screening_id, Screening.event_id == event.id)) is None:
            errors["screening_id"] = _("Choose one of this event's screenings, or the whole event.")
    if kind == BEST_FILM and screening_id is not None:
        errors["screening_id"] = _("The best film is chosen among the event's screenings: choose the whole event.")
    opens_at = fi.local_time(fields.get("opens_at"), "opens_at", errors, event.tz, required=True,
                             what=_l("The opening"))
    closes_at = fi.local_time(fields.get("closes_at"), "closes_at", errors, event.tz, required=True,
                              what=_l("The closing"))
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = _("The vote must close after it opens.")
    public = fi.flag(fields.get("results_public"), "results_public", errors)
    if errors:
        raise InvalidInputError(errors)
    return dict(kind=kind, screening_id=screening_id, opens_at=opens_at, closes_at=closes_at, results_public=public)


def open_vote(event_id, fields, user_id=None):
    """Open a vote at event `event_id` from an organizer's fields; return it (audited).

    Raises NotFoundError, InvalidInputError."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFoundError()
    values = _clean(fields, event)
    with write_transaction() as session:
        vote = Vote(event_id=event_id, created_by_id=user_id, **values)
        session.add(vote)
        session.flush()
        audit.record(session, user_id, "vote.create", vote, **_jsonable(values))
        return vote


def update_vote(vote_id, fields, user_id=None):
    """Change a vote's times, kind or screening (ballots cast stay); return it (audited)."""
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        raise NotFoundError()
    values = _clean(fields, vote.event)
    with write_transaction() as session:
        vote = session.get(Vote, vote_id, with_for_update=True, populate_existing=True)
        changed = {name: value for name, value in values.items() if getattr(vote, name) != value}
        fixed = [name for name in ("kind", "screening_id") if name in changed]
        if fixed and session.scalar(sa.select(_B.id).where(_B.vote_id == vote_id).limit(1)) is not None:
            # The ballots cast answer the question as it was asked, of the screenings it was asked at.
            raise InvalidInputError({name: _("Votes have been cast: what is asked and who votes stay as they "
                                             "are (the times may change).") for name in fixed})
        for name, value in changed.items():
            setattr(vote, name, value)
        if changed:
            audit.record(session, user_id, "vote.update", vote, **_jsonable(changed))
        return vote


def _jsonable(values):
    return {name: value.isoformat() if isinstance(value, datetime) else value for name, value in values.items()}


def state(vote, now=None):
    """"upcoming", "open" or "closed"."""
    now = now or utcnow()
    if now < vote.opens_at:
        return "upcoming"
    return "open" if now < vote.closes_at else "closed"


def screenings_of(vote):
    """The screenings whose tickets may vote (and, for the best film, the films to choose from)."""
    query = sa.select(Screening).where(Screening.event_id == vote.event_id, Screening.is_cancelled.is_(False))
    if vote.screening_id is not None:
        query = sa.select(Screening).where(Screening.id == vote.screening_id)
    return db.session.scalars(query.order_by(Screening.starts_at, Screening.id)).all()


def open_votes_for(ticket, now=None):
    """The votes open now that a ticket's screening takes part in."""
    now = now or utcnow()
    screening = ticket.registration.screening
    return db.session.scalars(
        sa.select(Vote).where(
            Vote.event_id == screening.event_id, Vote.opens_at <= now, Vote.closes_at > now,
            sa.or_(Vote.screening_id.is_(None), Vote.screening_id == screening.id),
        ).order_by(Vote.id)
    ).all()


# ---------------------------------------------------------------------------------------------
# The audience: find the ticket, cast a ballot


def ticket_by_short_code(vote, typed):
    """The ticket let in at one of the vote's screenings whose short code (ABCD-EFGH) was typed, or
    None: a ticket not let in is not found (its code may not be learnt here)."""
    short = tickets.normalize_short_code(typed)
    if not short:
        full = tickets.normalize_code(typed)
        short = full[:tickets.SHORT_LENGTH] if full else None
    if not short:
        return None
    ids = [screening.id for screening in screenings_of(vote)]
    found = db.session.scalars(
        sa.select(Ticket).join(Registration)
        .where(_R.screening_id.in_(ids), _T.code.startswith(short), _T.admitted > 0).limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


@dataclass
class Cast:
    """A ballot cast: its seat (1 for the first person of the ticket), and how many remain."""

    seat: int
    left: int


def ballots_left(vote, ticket):
    """How many more ballots `ticket` may cast in `vote` (0 if it may not vote)."""
    if not may_vote(vote, ticket):
        return 0
    cast = db.session.scalar(sa.select(sa.func.count()).where(_B.vote_id == vote.id, _B.ticket_id == ticket.id))
    return max(ticket.admitted - cast, 0)


def may_vote(vote, ticket):
    """Whether `ticket` votes in `vote` at all: confirmed, let in, at one of its screenings."""
    registration = ticket.registration
    if registration.status != RegistrationStatus.CONFIRMED.value or ticket.admitted <= 0:
        return False
    if vote.screening_id is not None:
        return registration.screening_id == vote.screening_id
    return registration.screening.event_id == vote.event_id


def cast(vote_id, ticket_id, choice, now=None):
    """Cast one ballot of ticket `ticket_id` in vote `vote_id`: a rating (1 to 5) of the ticket's
    film, or the id of the best film; return a Cast.

    Raises NotFoundError, VoteNotOpenError, VoteClosedError, NotAdmittedError (not let in, cancelled,
    another screening's), AllVotedError (a ballot per person let in already), InvalidInputError.
    """
    now = now or utcnow()
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        raise NotFoundError()
    if state(vote, now) == "upcoming":
        raise VoteNotOpenError()
    if state(vote, now) == "closed":
        raise VoteClosedError()
    films = {screening.id for screening in screenings_of(vote)}
    db.session.rollback()
    for _try in range(3):
        try:
            with write_transaction() as session:
                ticket = session.execute(
                    sa.select(Ticket).where(_T.id == ticket_id).with_for_update().execution_options(populate_existing=True)
                ).scalar_one_or_none()
                if ticket is None:
                    raise NotFoundError()
                session.refresh(ticket.registration)
                if not may_vote(vote, ticket):
                    raise NotAdmittedError()
                screening_id, rating = _choice(vote, ticket, choice, films)
                taken = session.scalar(sa.select(sa.func.count()).where(_B.vote_id == vote.id, _B.ticket_id == ticket.id))
                if taken >= ticket.admitted:
                    raise AllVotedError()
                session.add(Ballot(vote_id=vote.id, ticket_id=ticket.id, seat=taken + 1, screening_id=screening_id,
                                   rating=rating, created_at=now))
                session.flush()
                return Cast(taken + 1, ticket.admitted - taken - 1)
        except IntegrityError:  # a racing press took this seat's ballot first (the unique seat)
            continue
    raise AllVotedError()


def _choice(vote, ticket, choice, films):
    """(screening, rating) of a ballot: the ticket's film and its stars, or the film named best."""
    if vote.kind == RATING:
        rating = choice if isinstance(choice, int) and not isinstance(choice, bool) else None
        if rating not in STARS:
            raise InvalidInputError({"choice": _("Choose from 1 to 5 stars.")})
        return ticket.registration.screening_id, rating
    if not isinstance(choice, int) or isinstance(choice, bool) or choice not in films:
        raise InvalidInputError({"choice": _("Choose one of the films.")})
    return choice, None


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class FilmResult:
    screening: Screening
    ballots: int = 0
    stars: int = 0  # the sum of the ratings
    counts: tuple = (0, 0, 0, 0, 0)  # ballots of 1 to 5 stars

    @property
    def average(self):
        return self.stars / self.ballots if self.ballots else None


def results(vote):
    """Per film of the vote: its ballots and, for a rating, the stars; best first (most ballots
    for the best film, highest average for a rating), then in programme order."""
    rows = db.session.execute(
        sa.select(_B.screening_id, _B.rating, sa.func.count()).where(_B.vote_id == vote.id)
        .group_by(_B.screening_id, _B.rating)
    ).all()
    films = {screening.id: FilmResult(screening) for screening in screenings_of(vote)}
    for screening_id, rating, count in rows:
        film = films.get(screening_id)
        if film is None:  # a screening cancelled after it was voted for: still counted
            film = films[screening_id] = FilmResult(db.session.get(Screening, screening_id))
        film.ballots += count
        if rating:
            film.stars += rating * count
            film.counts = tuple(n + (count if star == rating else 0) for star, n in zip(STARS, film.counts))
    order = list(films.values())
    if vote.kind == RATING:
        order.sort(key=lambda f: -(f.average or 0))
    else:
        order.sort(key=lambda f: -f.ballots)
    return order


def ballot_rows(vote):
    """Every ballot for the export: time, film, rating (no name: a vote is the voter's own)."""
    return db.session.execute(
        sa.select(_B.created_at, Screening.title, Screening.starts_at, _B.rating, _B.seat)
        .join(Screening, Screening.id == _B.screening_id).where(_B.vote_id == vote.id).order_by(_B.id)
    ).all()
