"""Staff accounts and door devices: creating, changing and recognising them.

Every change made here is written to the audit log in its own transaction (services.audit),
without passwords, hashes or tokens.
"""
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import write_transaction
from ..errors import InvalidInputError, LastAdminError, NotFoundError, SelfDeactivationError
from ..extensions import db
from ..models import Device, Event, StaffSession, User, utcnow
from . import audit
from .inputs import clean_email, has_hidden_characters

ROLES = ("admin", "door")
PASSWORD_MIN = 12
PASSWORD_MAX = 200
# Werkzeug's scrypt (N=2^15, r=8, p=1): about 0.1 s per login on a small server, which makes
# guessing offline from a stolen database slow. The test suite sets a cheap method (conftest.py)
# so that its many logins do not take minutes; a check follows the method a hash was made with.
PASSWORD_HASH_METHOD = "scrypt"
# A staff session lasts PERMANENT_SESSION_LIFETIME (12 hours: a festival day); the rows of ended
# and lapsed sessions are deleted after a month.
SESSION_ROWS_KEPT = timedelta(days=30)
# Checked against when the e-mail is unknown, so that a miss costs as much time as a hit.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16), method=PASSWORD_HASH_METHOD)


def hash_password(password):
    """The stored form of a password (salted, PASSWORD_HASH_METHOD)."""
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def create_user(email, role, password=None, events=(), by_user_id=None):
    """Create a staff account; return (user, password) where password is the generated one or None.

    `events`: ids of the events a door user is limited to (none: every event). `by_user_id`:
    the admin who creates it (None from the command line). Raises InvalidInputError (bad
    e-mail, unknown role, short password, unknown event, e-mail taken).
    """
    errors = {}
    try:
        normalized = clean_email(email)[1]
    except ValueError as error:
        errors["email"] = str(error)
    if role not in ROLES:
        errors["role"] = _("The role must be one of: %(roles)s.", roles=", ".join(ROLES))
    generated = None
    if password is None:
        password = generated = generate_password()
    else:
        _check_password(password, errors)
    event_ids = _check_event_ids(events, errors)
    if errors:
        raise InvalidInputError(errors)
    with write_transaction() as session:
        if session.scalar(sa.select(User.id).where(User.email == normalized)):
            raise InvalidInputError({"email": _("A staff account with this e-mail exists already.")})
        user = User(email=normalized, password_hash=hash_password(password), role=role)
        user.events = _load_events(session, event_ids, role)
        session.add(user)
        session.flush()
        audit.record(session, by_user_id, "user.create", user, email=user.email, role=role,
                     **_events_details(user), password="generated" if generated else "typed")
    return user, generated


def generate_password():
    """Return a new random password (16 characters, about 96 bits), to be shown once."""
    return secrets.token_urlsafe(12)


def _check_password(password, errors):
    if (not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX
            or has_hidden_characters(password)):
        errors["password"] = _("A password needs at least %(min)d characters (at most %(max)d), "
                               "none of them control characters.", min=PASSWORD_MIN, max=PASSWORD_MAX)


def _check_event_ids(events, errors):
    """Return the event ids as a sorted list, or None after noting an error."""
    ids = set()
    for raw in events or ():
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**31:
            errors["events"] = _("Choose events from the list.")
            return None
        ids.add(raw)
    return sorted(ids)


def _load_events(session, event_ids, role):
    """Return the Event rows of `event_ids`; admins work at every door, so they get none."""
    if role == "admin" or not event_ids:
        return []
    found = session.scalars(sa.select(Event).where(Event.id.in_(event_ids)).order_by(Event.id)).all()
    if len(found) != len(event_ids):
        raise InvalidInputError({"events": _("One of the chosen events does not exist (any more).")})
    return list(found)


def _events_details(user):
    return {"event_ids": [e.id for e in user.events], "events": [e.name for e in user.events]}


def _lock_active_admins(session):
    """Return the ids of the active admins, their rows locked in id order.

    Two admins demoting each other at once then run one after the other, and the second sees
    the first's change (PostgreSQL re-checks a locked row; SQLite runs one writer at a time).
    """
    return set(session.scalars(
        sa.select(User.id).where(User.role == "admin", User.is_active.is_(True))
        .order_by(User.id).with_for_update()
    ).all())


def update_user(user_id, role=None, is_active=None, events=None, by_user_id=None):
    """Change a staff account's role, whether it is active, and the events of a door user.

    None leaves a value as it is; `events=[]` lets a door user work at every event. A
    deactivated user's sessions stop working at their next request. Returns the user.
    Raises NotFoundError, InvalidInputError, LastAdminError (the last active admin would be
    demoted or deactivated), SelfDeactivationError.
    """
    errors = {}
    if role is not None and role not in ROLES:
        errors["role"] = _("The role must be one of: %(roles)s.", roles=", ".join(ROLES))
    if is_active is not None and not isinstance(is_active, bool):
        errors["is_active"] = _("Say whether the account is active: yes or no.")
    event_ids = _check_event_ids(events, errors) if events is not None else None
    if errors:
        raise InvalidInputError(errors)
    with write_transaction() as session:
        admins = _lock_active_admins(session)
        user = session.execute(
            sa.select(User).where(User.id == user_id).with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if user is None:
            raise NotFoundError(_("No staff account has the id %(id)s.", id=user_id))
        new_role = user.role if role is None else role
        new_active = user.is_active if is_active is None else is_active
        if user.is_active and not new_active and user_id == by_user_id:
            raise SelfDeactivationError()
        if user.id in admins and not (new_role == "admin" and new_active) and admins == {user.id}:
            raise LastAdminError()
        before = {"role": user.role, "is_active": user.is_active, **_events_details(user)}
        user.role, user.is_active = new_role, new_active
        if not new_active:  # deactivated: every session ends now; reactivation revives none
            _end_sessions(session, user.id)
        if event_ids is not None or new_role == "admin":
            user.events = _load_events(session, event_ids or [], new_role)
        after = {"role": user.role, "is_active": user.is_active, **_events_details(user)}
        changed = {key: value for key, value in after.items() if before[key] != value}
        if changed:
            session.flush()
            audit.record(session, by_user_id, "user.update", user, email=user.email, **changed)
        return user


def reset_password(user_id, new_password=None, by_user_id=None, keep_session=None):
    """Set a staff account's password; return (user, password generated or None). Every session
    of the account ends, except the one whose token is `keep_session` (the user changing it).

    Without `new_password` one is generated, to be shown once and never stored in clear.
    Raises NotFoundError, InvalidInputError.
    """
    generated = None
    errors = {}
    if new_password is None or new_password == "":
        new_password = generated = generate_password()
    else:
        _check_password(new_password, errors)
    if errors:
        raise InvalidInputError(errors)
    with write_transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(_("No staff account has the id %(id)s.", id=user_id))
        user.password_hash = hash_password(new_password)
        _end_sessions(session, user.id, keep_token=keep_session)
        audit.record(session, by_user_id, "user.password_reset", user, email=user.email,
                     password="generated" if generated else "typed")
    return user, generated


def authenticate(email, password):
    """Return the active user with this e-mail and password, or None."""
    try:
        normalized = clean_email(email)[1]
    except ValueError:
        normalized = None
    user = normalized and db.session.scalar(sa.select(User).where(User.email == normalized))
    if not user:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        return None
    return user


def _hash_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_device(name, by_user_id=None):
    """Register a door device; return (device, token). The token is shown once, stored hashed."""
    name = (name or "").strip()
    if not name or len(name) > 100 or has_hidden_characters(name):
        raise InvalidInputError({"name": _("A device needs a name of 1 to 100 characters.")})
    token = secrets.token_urlsafe(32)
    with write_transaction() as session:
        device = Device(name=name, token_hash=_hash_token(token))
        session.add(device)
        session.flush()
        audit.record(session, by_user_id, "device.create", device, name=name)
    return device, token


def device_for_token(token):
    """Return the active device holding `token`, or None."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return db.session.execute(
        sa.select(Device).where(Device.token_hash == _hash_token(token), Device.revoked_at.is_(None))
    ).scalar_one_or_none()


def revoke_device(device_id, by_user_id=None):
    """Revoke a device's token. Raises NotFoundError."""
    with write_transaction() as session:
        device = session.get(Device, device_id)
        if device is None:
            raise NotFoundError(_("No device has the id %(id)s.", id=device_id))
        if device.revoked_at is None:
            device.revoked_at = utcnow()
            audit.record(session, by_user_id, "device.revoke", device, name=device.name)
        return device


# --- sessions: a staff login the server knows, so that it can end it -----------------------------

def open_session(user_id):
    """Record a new login of user `user_id`; return the token its session cookie carries."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction() as session:
        session.execute(sa.delete(StaffSession).where(StaffSession.created_at < now - SESSION_ROWS_KEPT))
        session.add(StaffSession(user_id=user_id, token_hash=_hash_token(token), created_at=now))
    return token


def _open(now):
    lifetime = current_app.permanent_session_lifetime
    return (StaffSession.ended_at.is_(None), StaffSession.created_at > now - lifetime)


def user_for_session(user_id, token):
    """The active user `user_id` if `token` is one of their open sessions, else None."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return db.session.execute(
        sa.select(User).join(StaffSession, StaffSession.user_id == User.id)
        .where(User.id == user_id, User.is_active.is_(True),
               StaffSession.token_hash == _hash_token(token), *_open(utcnow()))
    ).scalar_one_or_none()


def end_session(token):
    """Log out: the session holding `token` ends (nothing happens for an unknown token)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return
    with write_transaction() as session:
        session.execute(sa.update(StaffSession)
                        .where(StaffSession.token_hash == _hash_token(token), StaffSession.ended_at.is_(None))
                        .values(ended_at=utcnow()))


def end_sessions(user_id, keep_token=None, by_user_id=None):
    """End every open session of user `user_id`, except the one holding `keep_token` (the user's
    own "log out everywhere else"); logged. Returns how many ended. Raises NotFoundError."""
    with write_transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(_("No staff account has the id %(id)s.", id=user_id))
        ended = _end_sessions(session, user_id, keep_token)
        audit.record(session, by_user_id, "user.sessions_end", user, email=user.email, sessions=ended)
        return ended


def _end_sessions(session, user_id, keep_token=None):
    kept = [StaffSession.token_hash != _hash_token(keep_token)] if isinstance(keep_token, str) else []
    return session.execute(
        sa.update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None), *kept)
        .values(ended_at=utcnow())
    ).rowcount


def open_sessions(user_id):
    """How many sessions of user `user_id` are open now."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(StaffSession)
                             .where(StaffSession.user_id == user_id, *_open(utcnow())))
