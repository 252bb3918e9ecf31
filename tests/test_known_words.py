"""The words stored for a scan's result and reason, an outbox message's kind and an audit entry's
action are enums (models.py), and the database keeps each column to its enum's words (CHECK
constraints, migration 0010 and those that add words since), whatever writes the row."""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from factories import make_registration
from ticketing.extensions import db
from ticketing.models import AuditAction, MessageKind, ScanReason, ScanResult, utcnow
from ticketing.services import audit, checkin, notifications

MIGRATIONS = Path(__file__).parent.parent / "migrations" / "versions"


def migration():
    """The lists of words as the newest migration that states each one leaves them."""
    known = {}
    for path in sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        known.update({name: getattr(module, name) for name in ("RESULTS", "REASONS", "KINDS", "ACTIONS")
                      if hasattr(module, name)})
    return SimpleNamespace(**known)


def test_the_migration_knows_every_word_of_the_enums():
    """A word added to an enum needs a migration that lets the database take it: this fails until
    one does (the constraints are built from the enums in the models, frozen in the migration)."""
    known = migration()
    assert set(known.RESULTS) == {word.value for word in ScanResult}
    assert set(known.REASONS) == {word.value for word in ScanReason}
    assert set(known.KINDS) == {word.value for word in MessageKind}
    assert set(known.ACTIONS) == {word.value for word in AuditAction}


def test_the_code_speaks_only_known_words():
    assert {result for result, _reason in checkin.MESSAGES} | {checkin.UNDONE} == {word.value for word in ScanResult}
    assert {reason for _result, reason in checkin.MESSAGES} <= {word.value for word in ScanReason}
    assert set(checkin.TITLES) == {checkin.ADMITTED, checkin.ALREADY, checkin.NOT_VALID}
    assert set(notifications.KINDS) | {notifications.ANNOUNCEMENT} == {word.value for word in MessageKind}


@pytest.fixture
def world(ctx, make_screening):
    sid = make_screening()
    return sid, make_registration(sid)


def insert(table, **values):
    db.session.execute(sa.insert(db.metadata.tables[table]), values)
    db.session.commit()


@pytest.mark.parametrize("table,column,good,bad", [
    ("checkins", "result", "admitted", "let_in"),
    ("checkins", "reason", "all_in", "because"),
    ("outbox", "kind", "confirmation", "spam"),
    ("audit_log", "action", "screening.update", "screening.delete"),
])
def test_the_database_refuses_a_word_it_does_not_know(world, table, column, good, bad):
    sid, registration_id = world
    base = {
        "checkins": {"screening_id": sid, "scanned_code": "X", "seats": 0, "result": "not_valid", "reason": "unknown_code",
                     "scanned_at": utcnow(), "recorded_at": utcnow(), "is_conflict": False},
        "outbox": {"kind": "confirmation", "registration_id": registration_id, "recipient": "a@example.org",
                   "locale": "en", "created_at": utcnow(), "attempts": 0, "last_error": ""},
        "audit_log": {"action": "event.update", "subject_type": "", "details": {}, "created_at": utcnow()},
    }[table]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables[table]))
    insert(table, **{**base, column: good})
    with pytest.raises(IntegrityError):
        insert(table, **{**base, column: bad})
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables[table])) == before + 1


def test_the_checks_of_before_still_hold_after_the_migration(world):
    """SQLite rebuilds a table to add a constraint: the ones it had must come through."""
    sid, _registration_id = world
    with pytest.raises(IntegrityError):
        insert("checkins", screening_id=sid, scanned_code="X", seats=-1, result="undone", reason="undo",
               scanned_at=utcnow(), recorded_at=utcnow(), is_conflict=False)


def test_an_audit_entry_of_an_unknown_action_is_refused_before_the_database(world):
    with pytest.raises(ValueError):
        audit.record(db.session, None, "screening.delete")
