"""The door offline: a scan's own id (recorded once), what a device decided offline, conflicts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 00:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scan_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('offline_seats', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('is_conflict', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_unique_constraint(batch_op.f('uq_checkins_scan_id'), ['scan_id'])
        batch_op.create_check_constraint('offline_seats_not_negative', 'offline_seats >= 0')


def downgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_checkins_offline_seats_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_checkins_scan_id'), type_='unique')
        batch_op.drop_column('is_conflict')
        batch_op.drop_column('offline_seats')
        batch_op.drop_column('scan_id')
