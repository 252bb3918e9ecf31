"""Registration names casefolded, for searching at the door in any script.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_normalized', sa.String(length=400), nullable=False, server_default=''))
    # Fill it for existing rows: casefolding is done in Python (SQLite folds ASCII only).
    registrations = sa.table('registrations', sa.column('id', sa.Integer), sa.column('name', sa.String),
                             sa.column('name_normalized', sa.String))
    connection = op.get_bind()
    for row in connection.execute(sa.select(registrations.c.id, registrations.c.name)).all():
        connection.execute(registrations.update().where(registrations.c.id == row.id)
                           .values(name_normalized=row.name.casefold()))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.alter_column('name_normalized', server_default=None)


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('name_normalized')
