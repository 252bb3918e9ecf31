"""Staff users and door devices; check-ins point at them, and an undo at its admission.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 14:16:41.243832

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_devices_token_hash'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'door')", name=op.f('ck_users_role_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undoes_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_checkins_undoes_id'), ['undoes_id'])
        batch_op.create_foreign_key(batch_op.f('fk_checkins_device_id_devices'), 'devices', ['device_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_checkins_undoes_id_checkins'), 'checkins', ['undoes_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_checkins_staff_user_id_users'), 'users', ['staff_user_id'], ['id'])




def downgrade():

    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checkins_staff_user_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_checkins_undoes_id_checkins'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_checkins_device_id_devices'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_checkins_undoes_id'), type_='unique')
        batch_op.drop_column('undoes_id')

    op.drop_table('users')
    op.drop_table('devices')

