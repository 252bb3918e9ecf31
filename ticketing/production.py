"""Start-up checks for production (TICKETING_ENV=production): unsafe settings are refused.

Serving (gunicorn, or any WSGI server importing app.py) stops with an UnsafeSettingsError that
names each setting and says what to do; gunicorn prints it and exits. `flask` commands are not
stopped, so that the operator can still migrate, create users or look at the outbox: they print
the same problems as warnings. Settings that are merely worth knowing are logged as warnings.
"""
import logging
import os
from urllib.parse import urlsplit

import click

PRODUCTION = "production"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"  # config.Defaults.PUBLIC_URL
MIN_SECRET_KEY_LENGTH = 32
# Set by gunicorn.conf.py: the number of worker processes serving the app.
WORKERS_VARIABLE = "TICKETING_WORKERS"

log = logging.getLogger("ticketing.production")


class UnsafeSettingsError(RuntimeError):
    """Settings that production refuses; `problems` holds one sentence per setting."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(
            "Refusing to start with unsafe settings for production (TICKETING_ENV=production):\n"
            + "\n".join(f"- {problem}" for problem in self.problems)
        )


def is_production(config):
    """True when the settings mark a production deployment."""
    return str(config.get("TICKETING_ENV") or "").lower() == PRODUCTION


def worker_count(environ=os.environ):
    """The number of app processes gunicorn.conf.py announced, or None when unknown."""
    value = environ.get(WORKERS_VARIABLE, "")
    return int(value) if value.isdigit() else None


def problems(config, workers=None):
    """Return one sentence per unsafe setting (empty when all is well)."""
    found = []
    key = config.get("SECRET_KEY")
    if not key:
        found.append(
            "SECRET_KEY is not set: a key generated into instance/ would differ between hosts and be lost "
            "with the instance folder. Set SECRET_KEY in the environment to 32 or more random characters, "
            "e.g. the output of: python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    elif len(str(key)) < MIN_SECRET_KEY_LENGTH:
        found.append(
            f"SECRET_KEY is too short ({len(str(key))} characters): use {MIN_SECRET_KEY_LENGTH} or more "
            "random characters, e.g. the output of: python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if config.get("DEBUG"):
        found.append("DEBUG is on: it shows code and data to visitors. Unset FLASK_DEBUG (and DEBUG in instance/config.py).")
    if config.get("TESTING"):
        found.append("TESTING is on: errors would not be handled as in production. Remove TESTING from instance/config.py.")
    public_url = str(config.get("PUBLIC_URL") or "")
    parts = urlsplit(public_url)
    if not public_url or public_url.rstrip("/") == DEFAULT_PUBLIC_URL:
        found.append(
            f"PUBLIC_URL is left at its default {DEFAULT_PUBLIC_URL}: links in e-mails would point there. "
            "Set PUBLIC_URL to the address attendees use, e.g. https://tickets.example.org"
        )
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        found.append(f"PUBLIC_URL ({public_url}) is not an http:// or https:// address with a host name.")
    elif parts.scheme == "https":
        if not config.get("SESSION_COOKIE_SECURE"):
            found.append(
                "SESSION_COOKIE_SECURE is off while PUBLIC_URL is https: the session cookie could travel over "
                "plain HTTP. Set SESSION_COOKIE_SECURE=1."
            )
        if not int(config.get("TRUSTED_PROXIES") or 0):
            # gunicorn speaks plain HTTP: an https address means a proxy in front of it.
            found.append(
                "TRUSTED_PROXIES is 0 while PUBLIC_URL is https, so a proxy serves HTTPS in front of gunicorn: "
                "every visitor would have the proxy's address and share one rate-limit count, and HSTS would "
                "never be sent. Set TRUSTED_PROXIES=1 (the number of proxies in front)."
            )
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    limits_on = config.get("RATELIMIT_ENABLED", True)
    if limits_on and storage.startswith("memory://") and workers and workers > 1:
        found.append(
            f"RATELIMIT_STORAGE_URI is memory:// with {workers} worker processes: each would count on its own, "
            f"letting {workers} times the rate limits through. Set RATELIMIT_STORAGE_URI=redis://HOST:6379/0 "
            "(or run a single worker)."
        )
    return found


def advice(config, workers=None):
    """Return sentences about settings that are allowed but worth knowing."""
    found = []
    if not config.get("MAIL_SERVER"):
        found.append("MAIL_SERVER is not set: e-mails are not sent, only kept in instance/outbox/.")
    public_url = str(config.get("PUBLIC_URL") or "")
    if urlsplit(public_url).scheme == "http" and public_url.rstrip("/") != DEFAULT_PUBLIC_URL:
        found.append("PUBLIC_URL is not https: cookies and private links travel unencrypted.")
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if config.get("RATELIMIT_ENABLED", True) and storage.startswith("memory://") and workers is None:
        found.append("RATELIMIT_STORAGE_URI is memory://: with several processes or hosts each counts on its own; "
                     "use redis:// to share the rate limits.")
    return found


def check(app):
    """In production, refuse unsafe settings (raise UnsafeSettingsError) or, inside a `flask`
    command, log them as warnings; log the advice either way. Does nothing outside production."""
    config = app.config
    if not is_production(config):
        return
    workers = worker_count()
    found = problems(config, workers)
    if found and click.get_current_context(silent=True) is None:
        raise UnsafeSettingsError(found)
    for sentence in found + advice(config, workers):
        log.warning(sentence)


def hide_sql_parameters(app):
    """In production, keep SQL parameters (names, e-mail addresses) out of database errors."""
    if is_production(app.config):
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "hide_parameters": True}
