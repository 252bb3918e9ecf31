"""Command line for the outbox's sender: flask outbox send | run | status."""
import logging
import signal
import sys
import threading

import click
from flask import current_app
from flask.cli import AppGroup

outbox = AppGroup("outbox", help="Send the e-mails waiting in the outbox.")


def _log_to_console():
    """Show the sender's log lines on standard error (through the app's handler when it has one,
    see ticketing/logs.py)."""
    logger = logging.getLogger("ticketing.mail")
    if not logger.hasHandlers():
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _preview():
    """In development, show each message kept with no MAIL_SERVER on the console (never logged:
    it holds the recipient and their private link). None in production."""
    from .production import is_production

    if is_production(current_app.config):
        return None

    def show(message, path):
        text = message.get_body(preferencelist=("plain",))
        click.echo(f"--- E-mail kept in {path}\nTo: {message['To']}\nSubject: {message['Subject']}\n\n"
                   f"{text.get_content() if text else ''}\n---", err=True)

    return show


def _where():
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return f"SMTP {config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    return "no MAIL_SERVER: instance/outbox/"


def _summary(report):
    text = f"{report.sent} sent, {report.retrying} to retry later, {report.given_up} given up"
    return text + (" (the SMTP server could not be reached)" if report.stopped else "")


def _before_sending():
    """What the sender does before each look at the outbox: bookings whose e-mail address was not
    confirmed in time give their seats back, and the reminders and thanks whose time has come
    are written."""
    from .services import holds, reminders, thanks

    log = logging.getLogger("ticketing.mail")
    expired = holds.expire_due()
    if expired:
        log.info("%s unconfirmed bookings gave their seats back.", expired)
    reminded = reminders.queue_due()
    if reminded:
        log.info("%s reminders written.", reminded)
    thanked = thanks.queue_due()
    if thanked:
        log.info("%s thanks written.", thanked)


@outbox.command("send")
@click.option("--limit", default=1000, show_default=True, help="Most messages to try in this pass.")
def send_command(limit):
    """Send the messages that are due, once; print what happened. Bookings whose e-mail address
    was not confirmed in time give their seats back first, and reminders whose time has come are
    written."""
    from .services import mailer

    _log_to_console()
    _before_sending()
    report = mailer.send_due(limit=limit, preview=_preview())
    click.echo(_summary(report))
    if report.stopped:
        sys.exit(1)


@outbox.command("run")
@click.option("--interval", type=float, default=None, help="Seconds between looks at the outbox (default: OUTBOX_POLL_SECONDS).")
def run_command(interval):
    """Send messages as they come, until stopped (Ctrl-C or SIGTERM): the production sender. At
    each look, bookings whose e-mail address was not confirmed in time give their seats back, and
    reminders whose time has come are written."""
    from .extensions import db
    from .services import mailer

    _log_to_console()
    interval = interval or current_app.config["OUTBOX_POLL_SECONDS"]
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    worker = mailer.worker_name()
    preview = _preview()
    log = logging.getLogger("ticketing.mail")
    log.info("Outbox sender %s started (%s), looking every %ss.", worker, _where(), interval)
    while not stopping.is_set():
        try:
            _before_sending()
            report = mailer.send_due(limit=100, worker=worker, stop=stopping.is_set, preview=preview)
        except Exception:  # noqa: BLE001: a database that is away for a moment must not end the sender
            log.exception("The outbox could not be read; trying again in %ss.", interval)
            db.session.remove()
            stopping.wait(interval)
            continue
        if report.tried:
            log.info(_summary(report))
        if report.tried < 100 or report.stopped:
            stopping.wait(interval)  # a full batch: more may be due at once
    log.info("Outbox sender %s stopped.", worker)


@outbox.command("status")
def status_command():
    """Print how many messages wait, are being sent, failed and were sent."""
    from .services import mailer

    counts = mailer.counts()
    click.echo(f"Mail goes to: {_where()}")
    for state in ("waiting", "sending", "failed", "sent"):
        click.echo(f"{state}: {counts[state]}")
    if counts["oldest_waiting"] is not None:
        click.echo(f"oldest waiting since: {counts['oldest_waiting']:%Y-%m-%d %H:%M:%S} UTC")
