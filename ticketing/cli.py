"""Command line: flask demo, flask screenings create."""
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup, with_appcontext

from .errors import InvalidInputError, NotFoundError
from .extensions import db
from .models import Event, User


def register(app):
    """Add the commands to `app`."""
    app.cli.add_command(demo)
    app.cli.add_command(screenings)
    app.cli.add_command(users)
    app.cli.add_command(devices)
    app.cli.add_command(guests_group)
    app.cli.add_command(export_command)
    from .outbox_cli import outbox

    app.cli.add_command(outbox)
    from .privacy_cli import privacy

    app.cli.add_command(privacy)


@click.command("demo")
@with_appcontext
def demo():
    """Load the demo festival (Days of Kazakh Cinema) into an empty database; add a demo admin if
    there is no staff account yet."""
    from .demo import DEMO_ADMIN, load_demo
    from .services.accounts import create_user

    if db.session.scalar(sa.select(sa.func.count()).select_from(Event)):
        click.echo("The database already holds a festival: the demo was not loaded.")
    else:
        event = load_demo()
        click.echo(f"Loaded the demo festival {event.name!r} with {len(event.screenings)} screenings.")
    if not db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        _, password = create_user(DEMO_ADMIN, "admin")
        click.echo(f"Staff login (shown once): {DEMO_ADMIN} / {password}")


screenings = AppGroup("screenings", help="Manage screenings.")


@screenings.command("create")
@click.option("--title", required=True, help="Film title, as it is written.")
@click.option("--starts-at", required=True, help='Local time of the event: "YYYY-MM-DD HH:MM".')
@click.option("--capacity", required=True, type=int, help="Seats in the hall.")
@click.option("--event", "event_slug", default=None, help="Event slug (default: the only one).")
@click.option("--max-seats", default=1, show_default=True, type=int, help="Most seats per registration.")
def create_screening_command(title, starts_at, capacity, event_slug, max_seats):
    """Create a screening; print its id alone on the last line."""
    from .services.events import create_screening
    from .services.schedule import find_event, parse_local

    try:
        event = find_event(event_slug)
        starts = parse_local(starts_at, event.tz)
        screening = create_screening(event.id, title=title, starts_at=starts, capacity=capacity,
                                     max_seats=max_seats, is_published=True)
    except NotFoundError as error:
        raise click.UsageError(str(error.message)) from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--starts-at") from None
    except InvalidInputError as error:
        raise click.UsageError(" ".join(error.fields.values())) from None
    click.echo(f"Created screening {title!r} at {starts_at} ({event.timezone}).")
    click.echo(screening.id)


users = AppGroup("users", help="Manage staff accounts.")


@users.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "door"]), help="admin: everything; door: check-in only.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of generating one.")
def create_user_command(email, role, password_stdin):
    """Create a staff account; without --password-stdin a password is generated and printed once."""
    from .services.accounts import create_user

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        user, generated = create_user(email, role, password)
    except InvalidInputError as error:
        raise click.UsageError(" ".join(error.fields.values())) from None
    click.echo(f"Created {user.role} account {user.email}.")
    if generated:
        click.echo(f"Password (shown once): {generated}")


devices = AppGroup("devices", help="Manage door devices and their tokens.")


@devices.command("create")
@click.argument("name")
def create_device_command(name):
    """Create a door device; print its bearer token alone on the last line (shown once)."""
    from .services.accounts import create_device

    try:
        device, token = create_device(name)
    except InvalidInputError as error:
        raise click.UsageError(" ".join(error.fields.values())) from None
    click.echo(f"Created device {device.id} ({device.name}). Its token, shown once:")
    click.echo(token)


@devices.command("revoke")
@click.argument("device_id", type=int)
def revoke_device_command(device_id):
    """Revoke a device's token: it can no longer call the API."""
    from .services.accounts import revoke_device

    try:
        device = revoke_device(device_id)
    except NotFoundError as error:
        raise click.UsageError(str(error.message)) from None
    click.echo(f"Revoked device {device.id} ({device.name}).")


@click.command("export")
@click.argument("kind", type=click.Choice(["attendees", "checkins"]))
@click.option("--screening", "screening_id", type=int, help="One screening, by id.")
@click.option("--event", "event_slug", help="Every screening of the event with this slug.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File to write (CSV: standard output without it).")
@with_appcontext
def export_command(kind, screening_id, event_slug, fmt, output):
    """Export the attendees or the check-ins of a screening or an event as CSV or XLSX."""
    from .services import exports

    if (screening_id is None) == (event_slug is None):
        raise click.UsageError("Give either --screening ID or --event SLUG.")
    if fmt == "xlsx" and not output:
        raise click.UsageError("XLSX is a binary file: give --output FILE.")
    try:
        scope = exports.screening_scope(screening_id) if screening_id is not None else exports.event_scope(slug=event_slug)
    except NotFoundError as error:
        raise click.UsageError(str(error.message)) from None
    if not output:
        for chunk in exports.csv_chunks(kind, scope):
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        return
    total = exports.count_rows(kind, scope)
    with click.progressbar(length=total, label=f"Exporting {total} {kind}", file=sys.stderr) as bar:
        if fmt == "csv":
            with open(output, "wb") as target:
                for chunk in exports.csv_chunks(kind, scope, on_rows=bar.update):
                    target.write(chunk)
        else:
            exports.write_xlsx(kind, scope, output, on_rows=bar.update)
    click.echo(f"Wrote {total} rows to {output}.", err=True)


guests_group = AppGroup("guests", help="Guests of a screening.")


@guests_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--screening", "screening_id", required=True, type=int, help="The screening's id.")
@click.option("--yes", is_flag=True, help="Add the guests without asking.")
def import_guests_command(file, screening_id, yes):
    """Check a CSV guest list (name, email, seats, note) and add it, all or none."""
    from .errors import TicketingError
    from .services import imports

    data = file.read(imports.MAX_BYTES + 1)
    try:
        with click.progressbar(length=imports.count_records(data), label="Checking rows", file=sys.stderr) as bar:
            preview = imports.build_preview(screening_id, data, on_rows=bar.update)
    except NotFoundError:
        raise click.UsageError(f"No screening has the id {screening_id}.") from None
    except TicketingError as error:
        raise click.ClickException(str(error.message)) from None
    if preview.encoding != "UTF-8":
        click.echo(f"Note: the file is not UTF-8; it was read as {preview.encoding}.", err=True)
    for row in preview.bad_rows:
        for field, message in sorted(row.errors.items()):
            click.echo(f"Row {row.number}, {field}: {message}", err=True)
    for problem in preview.problems:
        click.echo(problem, err=True)
    if not preview.is_ok:
        raise click.ClickException(f"Nothing was added: {len(preview.bad_rows)} rows have errors.")
    click.echo(f"{len(preview.rows)} guests, {preview.seats} seats, are ready to be added.")
    if not yes:
        click.confirm("Add them?", abort=True)
    click.echo("Adding them in one transaction…", err=True)
    try:
        added = imports.add_previewed(preview, screening_id)
    except TicketingError as error:
        raise click.ClickException(f"Nothing was added: {error.message}") from None
    click.echo(f"{len(added)} guests added.")
