"""Command line for personal data: flask privacy purge."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

privacy = AppGroup("privacy", help="Personal data of attendees: purge what old screenings keep.")


def _figures(done, previews):
    return (f"{done.registrations:,} registrations, {done.messages:,} messages, "
            f"{done.checkins:,} door-log codes, {done.files + previews:,} files")


@privacy.command("purge")
@click.option("--days", type=click.IntRange(0, 36500), default=None,
              help="Keep the personal data of screenings that ended fewer days ago than this (default: PRIVACY_KEEP_DAYS, 90).")
@click.option("--dry-run", is_flag=True, help="Count what would be anonymised; change nothing.")
@click.option("--batch-size", type=click.IntRange(1, 10000), default=None,
              help="Registrations per transaction (default 500): each batch holds the write lock briefly.")
def purge_command(days, dry_run, batch_size):
    """Anonymise the attendees of screenings that ended more than --days days ago, keeping the
    counts (seats, statuses, check-ins, times). Safe to run again: a second run finds nothing."""
    from .services import privacy as service

    if days is None:
        days = current_app.config["PRIVACY_KEEP_DAYS"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 36500:
            raise click.UsageError(f"PRIVACY_KEEP_DAYS must be a whole number of days from 0 to 36500, not {days!r}.")
    batch_size = batch_size or service.BATCH
    screening_ids = service.ended_screening_ids(days)
    click.echo(f"Screenings that ended more than {days} days ago: {len(screening_ids):,}.")
    if dry_run:
        report = service.purge(days, dry_run=True)
        click.echo(f"Dry run, nothing changed. Would anonymise {_figures(report.done, report.previews)} "
                   "(message copies in instance/outbox/ are counted when deleted).")
        return
    todo = service.pending(screening_ids)
    if todo.registrations:
        with click.progressbar(length=todo.registrations, label="Anonymising registrations", file=sys.stderr) as bar:
            report = service.purge(days, batch=batch_size, on_progress=bar.update)
    else:
        report = service.purge(days, batch=batch_size)
    if report.did_anything:
        click.echo(f"Anonymised {_figures(report.done, report.previews)} "
                   f"in {report.batches:,} {'batch' if report.batches == 1 else 'batches'} "
                   f"(the longest held the write lock {report.longest_batch * 1000:,.0f} ms).")
    else:
        click.echo("Nothing to anonymise: no personal data is left from those screenings.")
