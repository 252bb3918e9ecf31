"""Staff accounts and door devices: creating them and recognising them."""
import hashlib
import secrets

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError
from ..extensions import db
from ..models import Device, User, utcnow
from .inputs import clean_email, has_hidden_characters

ROLES = ("admin", "door")
PASSWORD_MIN = 12
# Checked against when the e-mail is unknown, so that a miss costs as much time as a hit.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def create_user(email, role, password=None):
    """Create a staff account; return (user, password) where password is the generated one or None.

    Raises InvalidInputError (bad e-mail, unknown role, short password, e-mail taken).
    """
    errors = {}
    try:
        normalized = clean_email(email)[1]
    except ValueError as error:
        errors["email"] = str(error)
    if role not in ROLES:
        errors["role"] = f"The role must be one of: {', '.join(ROLES)}."
    generated = None
    if password is None:
        password = generated = secrets.token_urlsafe(12)
    elif len(password) < PASSWORD_MIN or has_hidden_characters(password):
        errors["password"] = f"A password needs at least {PASSWORD_MIN} characters, none of them control characters."
    if errors:
        raise InvalidInputError(errors)
    with write_transaction() as session:
        if session.scalar(sa.select(User.id).where(User.email == normalized)):
            raise InvalidInputError({"email": "A staff account with this e-mail exists already."})
        user = User(email=normalized, password_hash=generate_password_hash(password), role=role)
        session.add(user)
        session.flush()
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


def create_device(name):
    """Register a door device; return (device, token). The token is shown once, stored hashed."""
    name = (name or "").strip()
    if not name or len(name) > 100 or has_hidden_characters(name):
        raise InvalidInputError({"name": "A device needs a name of 1 to 100 characters."})
    token = secrets.token_urlsafe(32)
    with write_transaction() as session:
        device = Device(name=name, token_hash=_hash_token(token))
        session.add(device)
        session.flush()
    return device, token


def device_for_token(token):
    """Return the active device holding `token`, or None."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return db.session.execute(
        sa.select(Device).where(Device.token_hash == _hash_token(token), Device.revoked_at.is_(None))
    ).scalar_one_or_none()


def revoke_device(device_id):
    """Revoke a device's token. Raises NotFoundError."""
    with write_transaction() as session:
        device = session.get(Device, device_id)
        if device is None:
            raise NotFoundError(f"No device has the id {device_id}.")
        device.revoked_at = device.revoked_at or utcnow()
        return device
