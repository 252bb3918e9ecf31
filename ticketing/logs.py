"""Logs without personal data: one JSON object per line in production, readable lines otherwise.

Two layers keep names, e-mail addresses, ticket codes, self-service links, device tokens,
passwords and CSRF tokens out of the logs. First, the log calls themselves name things by id and
kind, never by their personal values. Second, every line written by the handler installed here
(and by gunicorn's logger in gunicorn.conf.py) goes through `redact()`, a safety net for what a
log call or an exception message lets slip: e-mail addresses, ticket codes, private paths,
bearer tokens, secret-looking parameters, query strings and long random tokens. Names cannot be
recognised by a pattern: only the first layer keeps them out.

This module imports nothing from the ticketing package: gunicorn.conf.py loads it by path in
gunicorn's master process, where importing the package would keep stale app modules in the
workers started after a reload (HUP).
"""
import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import g, has_request_context, request
from flask.logging import default_handler

PRODUCTION = "production"
REQUEST_ID_HEADER = "X-Request-ID"
_MARK = "_ticketing_handler"  # our handler on the root logger, replaced by each configure()

_CONVERTER_ARGS = re.compile(r"<(\w+)\([^)]*\):")
_TOKEN = r"[A-Za-z0-9_-]"
_REDACTIONS = (
    # PostgreSQL's DETAIL lines quote the row or key values of a failed statement ("Failing row
    # contains (…, Zofia …)", "Key (email)=(…)"): names cannot be recognised, so the whole line goes.
    (re.compile(r"(?m)^(\s*DETAIL:).*$"), r"\1 <redacted>"),
    # Query strings (searches and addresses travel there).
    (re.compile(r"(/[^\s?\"']*)\?[^\s\"'#]+"), r"\1?<redacted>"),
    # E-mail addresses (Unicode local parts and domains included).
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    # Self-service links /r/<secret>… and import previews /import/<token> (not a route template).
    (re.compile(r"(/(?:r|import)/)(?!<)[^/\s?#\"'<>]+"), r"\1<redacted>"),
    (re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+"), r"\1<redacted>"),
    (re.compile(r"(?i)\b(\w*(?:password|passwd|secret|token|api_key|session|authorization)\w*)"
                r"([\"']?\s*[=:]\s*[\"']?)[^\s&\"',;]+"), r"\1\2<redacted>"),
    # Ticket codes: 26 base32 characters, and their short form ABCD-EFGH.
    (re.compile(r"(?<![A-Za-z0-9])[A-Za-z2-7]{26}(?![A-Za-z0-9])"), "<code>"),
    (re.compile(r"(?<![A-Za-z0-9-])[A-Z2-7]{4}-[A-Z2-7]{4}(?![A-Za-z0-9-])"), "<code>"),
    # Long random tokens (secrets, device tokens, CSRF and session values): 20 or more URL-safe
    # characters mixing upper case, lower case and digits.
    (re.compile(rf"(?<!{_TOKEN})(?={_TOKEN}*[A-Z])(?={_TOKEN}*[a-z])(?={_TOKEN}*[0-9]){_TOKEN}{{20,}}(?!{_TOKEN})"),
     "<token>"),
)


def redact(text):
    """Return `text` with e-mail addresses, codes, private paths, query strings and tokens masked."""
    text = str(text)
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def route():
    """The current request's route template, converters shortened ("/r/<secret>",
    "/screenings/<int:screening_id>"), never its raw path; None when no route matched."""
    rule = request.url_rule
    return _CONVERTER_ARGS.sub(r"<\1:", rule.rule) if rule else None


def request_fields():
    """The current request's id, method and route template, if any."""
    if not has_request_context():
        return {}
    return {"request_id": g.get("request_id"), "method": request.method, "route": route()}


def _fields(record):
    """The structured values of a record: its request's, then those passed as extra={"fields": …}."""
    fields = request_fields()
    for key, value in (getattr(record, "fields", None) or {}).items():
        fields[key] = redact(value) if isinstance(value, str) else value
    return fields


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, pid, request fields, exception."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "pid": record.process,
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A readable line: time, level, logger, message, then the request fields as key=value."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record):
        line = super().format(record)
        extra = " ".join(f"{key}={value}" for key, value in _fields(record).items() if value is not None)
        head, _, rest = line.partition("\n")  # the fields stay on the first line, before a traceback
        return redact(f"{head} [{extra}]" + ("\n" + rest if rest else "") if extra else line)


class _Stderr:
    """sys.stderr as it is at each write (pytest and others replace it after start-up)."""

    def write(self, text):
        return sys.stderr.write(text)

    def flush(self):
        sys.stderr.flush()


def configure(app):
    """Send the app's logs to standard error: JSON lines in production, readable lines otherwise.

    Replaces the handler a previous call installed (tests create many apps) and Flask's own, so
    that each line is written once.
    """
    production = app.config.get("TICKETING_ENV") == PRODUCTION
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(JSONFormatter() if production else TextFormatter())
    setattr(handler, _MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    ours = logging.getLogger(app.import_name)
    ours.removeHandler(default_handler)
    ours.setLevel(str(app.config.get("LOG_LEVEL") or "INFO").upper())
    logging.captureWarnings(production)  # in production, Python's warnings as JSON lines too


def _start_request():
    g.request_id = uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response):
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    if g.get("request_id"):
        response.headers.setdefault(REQUEST_ID_HEADER, g.request_id)
    logging.getLogger("ticketing.request").info(
        "%s %s %s", request.method, route() or "(no route)", response.status_code,
        extra={"fields": {"status": response.status_code, "duration_ms": duration}},
    )
    return response


def register(app):
    """Log one line per request (method, route template, status, duration) with a request id,
    which the response carries in X-Request-ID (gunicorn's access log shows it too)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)  # first: time it all
    app.after_request(_finish_request)
