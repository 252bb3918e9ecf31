"""Each festival's own look: its colour, logo and cover image; the audit log learns the words for
uploading and removing those pictures.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 18:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

ACTIONS = (
    "device.create", "device.revoke", "event.cover", "event.cover_remove", "event.create", "event.logo",
    "event.logo_remove", "event.publish", "event.unpublish", "event.update",
    "guests.add", "outbox.retry", "outbox.retry_failed", "person.erase", "person.export", "privacy.purge",
    "registration.cancel", "registration.move", "registration.resend", "screening.announce",
    "screening.cancel", "screening.create", "screening.poster", "screening.poster_remove",
    "screening.publish", "screening.release", "screening.unpublish", "screening.update", "user.create",
    "user.password_reset", "user.sessions_end", "user.update",
)
PICTURE_ACTIONS = ("event.cover", "event.cover_remove", "event.logo", "event.logo_remove")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _actions_check(values):
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_action_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_log_action_known'), _in('action', values))


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accent', sa.String(length=7), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('logo', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('cover', sa.String(length=80), nullable=False, server_default=''))
    _actions_check(ACTIONS)


def downgrade():
    # The entries of picture uploads go with the pictures: the older words cannot hold them.
    op.execute(sa.text(f"DELETE FROM audit_log WHERE {_in('action', PICTURE_ACTIONS)}"))
    _actions_check(tuple(action for action in ACTIONS if action not in PICTURE_ACTIONS))
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('cover')
        batch_op.drop_column('logo')
        batch_op.drop_column('accent')
