"""The audience's vote: votes opened by organizers, one ballot per person let in at the door,
and the audit log's words for opening and changing a vote.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 01:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

ACTIONS = (
    "device.create", "device.revoke", "event.cover", "event.cover_remove", "event.create", "event.logo",
    "event.logo_remove", "event.publish", "event.unpublish", "event.update",
    "guests.add", "outbox.retry", "outbox.retry_failed", "person.erase", "person.export", "privacy.purge",
    "registration.cancel", "registration.move", "registration.resend", "screening.announce",
    "screening.cancel", "screening.create", "screening.poster", "screening.poster_remove",
    "screening.publish", "screening.release", "screening.unpublish", "screening.update", "user.create",
    "user.password_reset", "user.sessions_end", "user.update", "vote.create", "vote.update",
)


def _actions_check(values):
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_action_known'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_audit_log_action_known'), f"action IN ({', '.join(repr(value) for value in values)})")


def upgrade():
    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('screening_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('results_public', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('rating', 'best_film')", name=op.f('ck_votes_kind_known')),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_votes_closes_after_opening')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_votes_created_by_id_users')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_votes_event_id_events')),
    sa.ForeignKeyConstraint(['screening_id'], ['screenings.id'], name=op.f('fk_votes_screening_id_screenings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes'))
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_votes_event_id'), ['event_id'], unique=False)
    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=False),
    sa.Column('screening_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)', name=op.f('ck_ballots_rating_one_to_five')),
    sa.ForeignKeyConstraint(['screening_id'], ['screenings.id'], name=op.f('fk_ballots_screening_id_screenings')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ballots_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_ballots_vote_id_votes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('vote_id', 'ticket_id', 'seat', name='one_ballot_per_seat')
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballots_vote_id'), ['vote_id'], unique=False)
    _actions_check(ACTIONS)


def downgrade():
    op.execute(sa.text("DELETE FROM audit_log WHERE action IN ('vote.create', 'vote.update')"))
    _actions_check(ACTIONS[:-2])
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballots_vote_id'))
        batch_op.drop_index(batch_op.f('ix_ballots_ticket_id'))
    op.drop_table('ballots')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_votes_event_id'))
    op.drop_table('votes')
