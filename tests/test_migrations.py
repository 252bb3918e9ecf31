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


def test_downgrade_below_the_back_office_keeps_guests_without_email(ctx, make_screening):
    from ticketing.services import guests

    screening = make_screening()
    guests.add_guest(screening, "Press, no e-mail")
    guests.add_guest(screening, "Partner, no e-mail")
    db.session.remove()
    downgrade(revision="0003")
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT name, email_normalized FROM registrations ORDER BY id")).all()
    assert [r.name for r in rows] == ["Press, no e-mail", "Partner, no e-mail"]
    assert all(r.email_normalized.startswith("no-email-") for r in rows)
    upgrade()
