"""Seats kept for people: an event's protection, a booking's hold until its e-mail address is
confirmed, the message that carries the confirmation link, and the door's word for a booking
not yet confirmed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 20:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

REASONS = ("", "all_in", "fewer_seats_left", "unknown_code", "other_screening", "cancelled", "released",
           "waitlisted", "screening_cancelled", "unconfirmed", "walkin", "undo")
KINDS = ("confirmation", "repeat_signup", "waitlisted", "promoted", "cancelled", "released", "moved",
         "screening_cancelled", "announcement", "find_tickets", "confirm_email")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _checks(reasons, kinds):
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_checkins_reason_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_checkins_reason_known'), _in('reason', reasons))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_kind_known'), _in('kind', kinds))


def upgrade():
    # Events made before keep booking at once, as their organizers set them up; a new event asks
    # for e-mail confirmation unless its organizer says otherwise (services/events.py).
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protection', sa.String(length=16), nullable=False, server_default='none'))
        batch_op.create_check_constraint(op.f('ck_events_protection_known'), "protection IN ('none', 'email')")
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_registrations_hold_until'), ['hold_until'], unique=False)
    _checks(REASONS, KINDS)


def downgrade():
    # The older schema cannot tell an unconfirmed hold from a booking: holds are cancelled (their
    # seats given back), and the confirmation messages and the door's word for them go.
    op.execute(sa.text(
        "UPDATE screenings SET seats_taken = seats_taken - (SELECT COALESCE(SUM(r.seats), 0) "
        "FROM registrations r WHERE r.screening_id = screenings.id AND r.status = 'confirmed' "
        "AND r.hold_until IS NOT NULL)"))
    op.execute(sa.text(
        "UPDATE registrations SET status = 'cancelled', cancel_reason = 'unconfirmed', "
        "cancelled_at = CURRENT_TIMESTAMP WHERE hold_until IS NOT NULL AND status <> 'cancelled'"))
    op.execute(sa.text("DELETE FROM outbox WHERE kind = 'confirm_email'"))
    op.execute(sa.text("UPDATE checkins SET reason = 'cancelled' WHERE reason = 'unconfirmed'"))
    _checks(tuple(r for r in REASONS if r != "unconfirmed"), KINDS[:-1])
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_hold_until'))
        batch_op.drop_column('hold_until')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_events_protection_known'), type_='check')
        batch_op.drop_column('protection')
