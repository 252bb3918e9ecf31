"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1), and how to read what it receives."""
import email
import email.policy
import logging
import threading

from aiosmtpd.controller import Controller

PUBLIC_URL = "https://tickets.example.org"


class Inbox:
    """An SMTP handler that keeps what it accepts; `answer` may refuse a message instead, and
    `before_ack` runs before the server answers (the sender-killing test uses it)."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        self.answer = None  # e.g. "451 4.3.0 Try again later"
        self.before_ack = None

    async def handle_DATA(self, server, session, envelope):
        if self.before_ack is not None and self.before_ack(envelope) is False:
            return "421 4.3.0 Going away"
        if self.answer:
            return self.answer
        with self.lock:
            self.received.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 2.0.0 OK"

    def ids(self):
        with self.lock:
            return [m["Message-ID"] for m in self.received]


class SMTPServer(Controller):
    """aiosmtpd's Controller on port 0: it learns its port before checking that it answers.

    It stands for the outside mail server, whose own log (aiosmtpd's "mail.log", every command
    and line of each message at DEBUG) names recipients as any mail server's does: it is kept to
    warnings, so that the suite's logs (tests/log_privacy.py) are the app's.
    """

    def __init__(self, *args, **kwargs):
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        super().__init__(*args, **kwargs)

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def parts(message):
    """Every leaf part as (content type, disposition, part)."""
    return [(p.get_content_type(), p.get_content_disposition(), p) for p in message.walk() if not p.is_multipart()]
