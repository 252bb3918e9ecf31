"""Find my ticket: the outbox learns the message that lists an address's bookings.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

KINDS = ("confirmation", "repeat_signup", "waitlisted", "promoted", "cancelled", "released", "moved",
         "screening_cancelled", "announcement", "find_tickets")


def _kinds_check(values):
    listed = ", ".join(repr(value) for value in values)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_kind_known'), f"kind IN ({listed})")


def upgrade():
    _kinds_check(KINDS)


def downgrade():
    # Those messages are lists of links an address asked for: sent or not, they go with the word.
    op.execute(sa.text("DELETE FROM outbox WHERE kind = 'find_tickets'"))
    _kinds_check(KINDS[:-1])
