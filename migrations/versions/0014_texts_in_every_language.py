"""The organizers' words in every language: an event's main language, its directions and the
closing words of its e-mails; the texts of events, screenings and messages in other languages.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 20:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('main_language', sa.String(length=8), nullable=False, server_default='en'))
        batch_op.add_column(sa.Column('directions', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('mail_closing', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('texts', sa.JSON(), nullable=False, server_default='{}'))
    for table in ('screenings', 'announcements'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('texts', sa.JSON(), nullable=False, server_default='{}'))


def downgrade():
    for table in ('announcements', 'screenings'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('texts')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('texts')
        batch_op.drop_column('mail_closing')
        batch_op.drop_column('directions')
        batch_op.drop_column('main_language')
