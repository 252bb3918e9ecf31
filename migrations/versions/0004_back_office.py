"""The back office: publishing, guests and held seats, release before the film, posters,
door staff limited to events, and the audit log of staff actions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 15:58:30.061547

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_log_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_user_id'), ['user_id'], unique=False)

    op.create_table('user_events',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_user_events_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'event_id', name=op.f('pk_user_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_published', sa.Boolean(), nullable=False, server_default=sa.true()))

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=False, server_default='public'))
        batch_op.add_column(sa.Column('note', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=16), nullable=False, server_default=''))
        batch_op.alter_column('email_normalized',
               existing_type=sa.VARCHAR(length=254),
               nullable=True)
        batch_op.create_index('ix_registrations_created', ['screening_id', 'created_at'], unique=False)
        batch_op.create_index('ix_registrations_name', ['screening_id', 'name_normalized'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_registrations_created_by_id_users'), 'users', ['created_by_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_registrations_source_known'), "source IN ('public', 'guest', 'walkin')")

    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_published', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('seats_held', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('release_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('released_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('poster', sa.String(length=80), nullable=False, server_default=''))
        batch_op.create_check_constraint(op.f('ck_screenings_seats_held_not_negative'), 'seats_held >= 0')
        batch_op.create_check_constraint(op.f('ck_screenings_release_minutes_not_negative'), 'release_minutes >= 0')

    # The defaults above filled existing rows; new rows get theirs from the models.
    for table, columns in (('events', ['is_published']), ('screenings', ['is_published', 'seats_held', 'poster']),
                           ('registrations', ['source', 'note', 'cancel_reason'])):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, server_default=None)



def downgrade():
    # Guests and walk-ins may have no e-mail: give them a unique placeholder before the column
    # becomes NOT NULL again (the partial unique index allows no duplicates).
    op.execute("UPDATE registrations SET email_normalized = 'no-email-' || id WHERE email_normalized IS NULL")
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_screenings_release_minutes_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_screenings_seats_held_not_negative'), type_='check')
        batch_op.drop_column('poster')
        batch_op.drop_column('released_at')
        batch_op.drop_column('release_minutes')
        batch_op.drop_column('seats_held')
        batch_op.drop_column('is_published')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_registrations_created_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(op.f('ck_registrations_source_known'), type_='check')
        batch_op.drop_index('ix_registrations_name')
        batch_op.drop_index('ix_registrations_created')
        batch_op.alter_column('email_normalized',
               existing_type=sa.VARCHAR(length=254),
               nullable=False)
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('note')
        batch_op.drop_column('source')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('is_published')

    op.drop_table('user_events')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))

    op.drop_table('audit_log')
