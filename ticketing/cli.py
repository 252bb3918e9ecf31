"""Command line: flask demo, flask screenings create."""
import click
import sqlalchemy as sa
from flask.cli import AppGroup, with_appcontext

from .errors import InvalidInputError, NotFoundError
from .extensions import db
from .models import Event


def register(app):
    """Add the commands to `app`."""
    app.cli.add_command(demo)
    app.cli.add_command(screenings)


@click.command("demo")
@with_appcontext
def demo():
    """Load the demo festival (Days of Kazakh Cinema) into an empty database."""
    from .demo import load_demo

    if db.session.scalar(sa.select(sa.func.count()).select_from(Event)):
        click.echo("The database already holds a festival: the demo was not loaded.")
        return
    event = load_demo()
    click.echo(f"Loaded the demo festival {event.name!r} with {len(event.screenings)} screenings.")


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
