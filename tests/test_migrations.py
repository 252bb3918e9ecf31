"""The migrations build the schema of the models, on SQLite and PostgreSQL alike."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from ticketing.extensions import db


def test_migrated_schema_matches_the_models(ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_partial_unique_index_exists(ctx):
    indexes = {ix["name"]: ix for ix in sa.inspect(db.engine).get_indexes("registrations")}
    assert indexes["uq_registrations_active_email"]["unique"]


def test_downgrade_to_nothing_and_up_again(ctx):
    downgrade(revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert {"events", "screenings", "registrations", "tickets", "checkins", "outbox"} <= set(
        sa.inspect(db.engine).get_table_names()
    )
