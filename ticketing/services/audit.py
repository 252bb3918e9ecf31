"""The audit log of staff actions: who changed what, and when."""
import sqlalchemy as sa

from ..extensions import db
from ..models import AuditAction, AuditEntry, User, utcnow

_INSERT = AuditEntry.__table__.insert()


def record(session, user_id, action, subject=None, **details):
    """Log `action` (e.g. "screening.update") by staff user `user_id` on `subject`.

    Runs in the caller's transaction, so that the entry exists exactly when the change does.
    `subject` is a model instance or None; `details` must be JSON-serialisable (ids, counts,
    the names of changed fields and their new values). Raises ValueError for an action that is
    not an AuditAction (the database would refuse it too).
    """
    action = AuditAction(action).value
    session.connection().execute(
        _INSERT,
        {"user_id": user_id, "action": action,
         "subject_type": subject.__tablename__ if subject is not None else "",
         "subject_id": subject.id if subject is not None else None,
         "details": details, "created_at": utcnow()},
    )


def recent(limit=50, before_id=None, subject_type=None, subject_id=None):
    """Return the latest entries with their staff user's e-mail, newest first."""
    query = (
        sa.select(AuditEntry, User.email)
        .outerjoin(User, AuditEntry.user_id == User.id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if subject_type is not None:
        query = query.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    return db.session.execute(query).all()
