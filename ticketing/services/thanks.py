"""After the film: an e-mail that thanks those let in at the door, in their language, with the
link to vote while a vote is open to their ticket (services/votes.py). Optional, per event
(`thank_you`, off by default).

The outbox's sender writes the thanks at each look, as it writes the reminders
(services/reminders.py): once per screening (one conditional UPDATE marks it thanked, so that
only one sender wins it), when the film is over (its start plus its running time, or plus
AFTER_UNKNOWN_RUNTIME when the running time is not known), and not later than WITHIN after
that (an event that turns thanks on does not thank the audiences of long ago).
"""
from datetime import timedelta

import sqlalchemy as sa

from ..database import write_transaction
from ..extensions import db
from ..models import Event, MessageKind, Registration, RegistrationStatus, Screening, Ticket, utcnow
from .notifications import notify_where

KIND = MessageKind.THANK_YOU.value
AFTER_UNKNOWN_RUNTIME = timedelta(hours=2)
WITHIN = timedelta(days=2)
_S, _R, _T = Screening.__table__.c, Registration.__table__.c, Ticket.__table__.c


def film_over(screening):
    """When a screening's film is over: its start plus its running time (or two hours)."""
    runtime = timedelta(minutes=screening.runtime_minutes) if screening.runtime_minutes else AFTER_UNKNOWN_RUNTIME
    return screening.starts_at + runtime


def queue_due(now=None):
    """Write the thanks of every screening whose film is over, at events that send them; return
    how many messages were written. Safe to call often and from several senders at once."""
    now = now or utcnow()
    candidates = db.session.scalars(
        sa.select(Screening).join(Event, Screening.event_id == Event.id)
        .where(Event.thank_you.is_(True), Event.is_published.is_(True), _S.is_published.is_(True),
               _S.thanked_at.is_(None), _S.is_cancelled.is_(False),
               _S.starts_at <= now, _S.starts_at > now - WITHIN - timedelta(days=1))
    ).all()
    due = [screening.id for screening in candidates if film_over(screening) <= now < film_over(screening) + WITHIN]
    db.session.rollback()  # no read transaction left open behind the caller's back
    written = 0
    for screening_id in due:
        with write_transaction() as session:
            won = session.execute(
                Screening.__table__.update().where(_S.id == screening_id, _S.thanked_at.is_(None))
                .values(thanked_at=now).returning(_S.id)
            ).first()
            if won is not None:
                let_in = sa.select(_T.registration_id).where(_T.admitted > 0)
                written += notify_where(session, sa.and_(
                    _R.screening_id == screening_id, _R.status == RegistrationStatus.CONFIRMED.value,
                    _R.id.in_(let_in)), KIND, now)
    return written
