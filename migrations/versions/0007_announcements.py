"""Organizers' messages to the attendees of a screening (announcements), one outbox row each.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 21:09:39.832649

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('screening_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('form_key', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_announcements_created_by_id_users')),
    sa.ForeignKeyConstraint(['screening_id'], ['screenings.id'], name=op.f('fk_announcements_screening_id_screenings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements')),
    sa.UniqueConstraint('form_key', name=op.f('uq_announcements_form_key'))
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcements_screening_id'), ['screening_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announcement_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_announcement_id'), ['announcement_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_announcement_id_announcements'), 'announcements', ['announcement_id'], ['id'])



def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_announcement_id_announcements'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_announcement_id'))
        batch_op.drop_column('announcement_id')

    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcements_screening_id'))

    op.drop_table('announcements')
