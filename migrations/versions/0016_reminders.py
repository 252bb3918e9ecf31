"""Reminders that free seats: an event's reminder time, a screening's reminders written once and
the seats given back from them, and the outbox's word for a reminder.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 01:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

KINDS = ("confirmation", "repeat_signup", "waitlisted", "promoted", "cancelled", "released", "moved",
         "screening_cancelled", "announcement", "find_tickets", "confirm_email", "reminder")


def _kinds(kinds):
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_kind_known'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_outbox_kind_known'), f"kind IN ({', '.join(repr(kind) for kind in kinds)})")


def upgrade():
    # Every event, made before or after, reminds its seat holders a day before (the issue's
    # default); an organizer turns it off on the event's page.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_hours', sa.Integer(), nullable=True, server_default='24'))
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('seats_freed_by_reminder', sa.Integer(), nullable=False, server_default='0'))
    _kinds(KINDS)


def downgrade():
    op.execute(sa.text("DELETE FROM outbox WHERE kind = 'reminder'"))
    _kinds(KINDS[:-1])
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_column('seats_freed_by_reminder')
        batch_op.drop_column('reminded_at')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('reminder_hours')
