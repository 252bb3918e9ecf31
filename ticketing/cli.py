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
    from .services.schedule import create_screening, find_event, parse_local

    try:
        event = find_event(event_slug)
        starts = parse_local(starts_at, event.tz)
        screening = create_screening(event, title, starts, capacity, max_seats)
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
