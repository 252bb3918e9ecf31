"""The door's results and reasons, the outbox's kinds and the audit log's actions are kept to the
words the code knows, by CHECK constraints (the lists as they stand at this revision).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 15:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

RESULTS = ("admitted", "already_checked_in", "not_valid", "undone")
REASONS = ("", "all_in", "fewer_seats_left", "unknown_code", "other_screening", "cancelled", "released",
           "waitlisted", "screening_cancelled", "walkin", "undo")
KINDS = ("confirmation", "repeat_signup", "waitlisted", "promoted", "cancelled", "released", "moved",
         "screening_cancelled", "announcement")
ACTIONS = (
    "device.create", "device.revoke", "event.create", "event.publish", "event.unpublish", "event.update",
    "guests.add", "outbox.retry", "outbox.retry_failed", "person.erase", "person.export", "privacy.purge",
    "registration.cancel", "registration.move", "registration.resend", "screening.announce",
    "screening.cancel", "screening.create", "screening.poster", "screening.poster_remove",
    "screening.publish", "screening.release", "screening.unpublish", "screening.update", "user.create",
    "user.password_reset", "user.sessions_end", "user.update",
)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_checkins_result_known'), _in('result', RESULTS))
        batch_op.create_check_constraint(op.f('ck_checkins_reason_known'), _in('reason', REASONS))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_outbox_kind_known'), _in('kind', KINDS))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_audit_log_action_known'), _in('action', ACTIONS))


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_action_known'), type_='check')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_kind_known'), type_='check')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_checkins_reason_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_checkins_result_known'), type_='check')
