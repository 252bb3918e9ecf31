"""After the film: an event's thank-you e-mail to those let in, each screening thanked once, and
the outbox's word for it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 02:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

KINDS = ("confirmation", "repeat_signup", "waitlisted", "promoted", "cancelled", "released", "moved",
         "screening_cancelled", "announcement", "find_tickets", "confirm_email", "reminder", "thank_you")


def _kinds(kinds):
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_kind_known'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_outbox_kind_known'), f"kind IN ({', '.join(repr(kind) for kind in kinds)})")


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thank_you', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thanked_at', sa.DateTime(timezone=True), nullable=True))
    _kinds(KINDS)


def downgrade():
    op.execute(sa.text("DELETE FROM outbox WHERE kind = 'thank_you'"))
    _kinds(KINDS[:-1])
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_column('thanked_at')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('thank_you')
