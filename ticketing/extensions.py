"""Flask extensions, created unbound and bound in the app factory."""
import copy
import ipaddress

import flask_limiter
from babel import negotiate_locale
from flask import current_app, has_app_context, has_request_context, request
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

# Stable constraint names, so that migrations stay the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Objects stay readable after a service commits (a view redirects with what it got back).
db = SQLAlchemy(
    metadata=MetaData(naming_convention=NAMING_CONVENTION),
    session_options={"expire_on_commit": False},
)
migrate = Migrate(render_as_batch=True)
babel = Babel()


class _PerApp:
    """A Limiter attribute kept in the current app's extensions while an app context is active."""

    def __init__(self, name):
        self.name = name

    def __get__(self, limiter, owner=None):
        if limiter is None:
            return self
        state = current_app.extensions.get("limiter_state") if has_app_context() else None
        if state is not None and self.name in state:
            return state[self.name]
        try:
            return limiter.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, limiter, value):
        state = current_app.extensions.get("limiter_state") if has_app_context() else None
        (limiter.__dict__ if state is None else state)[self.name] = value


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter with each app's own storage, key prefix and settings.

    Flask-Limiter keeps them on the extension object: each init_app replaces the storage (two apps
    in one process, as in the tests, would count in one memory storage) and keeps the first app's
    key prefix and flags. Here they live in app.extensions["limiter_state"], so that two apps count
    together only when their RATELIMIT_STORAGE_URI is the same Redis.
    """

    PER_APP = (
        "enabled", "_headers_enabled", "_header_mapping", "_retry_after", "_strategy", "_storage_options",
        "_swallow_errors", "_fail_on_first_breach", "_key_prefix", "_storage", "_limiter", "_storage_dead",
        "_fallback_storage", "_fallback_limiter", "_in_memory_fallback_enabled",
        "_Limiter__check_backend_count", "_Limiter__last_check_backend",
    )

    def init_app(self, app):
        """Bind to `app` with its own copy of the per-app state, then read its config."""
        defaults = self.__dict__
        app.extensions["limiter_state"] = {
            name: copy.copy(defaults[name]) for name in self.PER_APP if name in defaults
        }
        with app.app_context():
            super().init_app(app)


for _name in Limiter.PER_APP:
    setattr(Limiter, _name, _PerApp(_name))

def client_network():
    """The client's address as the rate limits count it: an IPv4 address, or an IPv6 network
    (a /64 unless RATELIMIT_IPV6_PREFIX says otherwise).

    One IPv6 subscriber (a phone, a home, a rented server) is given at least a /64 and may use
    any of its addresses: counting them one by one would let a script guess private links or
    sign people up without ever meeting a limit. An IPv4 address inside IPv6 (::ffff:a.b.c.d)
    counts as that IPv4 address. Behind a proxy, TRUSTED_PROXIES makes remote_addr the client's.
    """
    text = request.remote_addr or "127.0.0.1"
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # fe80::1%eth0: the zone says nothing
    except ValueError:
        return text  # not an address (a unix socket's name): counted as it is
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        prefix = current_app.config["RATELIMIT_IPV6_PREFIX"]  # checked at start-up
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    return str(address)


IPV6_PREFIXES = range(32, 129)  # a /32 is a whole provider's: anything shorter lumps strangers together


def check_ipv6_prefix(config):
    """Refuse, at start-up, a RATELIMIT_IPV6_PREFIX that would fail every request or make no sense."""
    value = config["RATELIMIT_IPV6_PREFIX"]
    if isinstance(value, bool) or not isinstance(value, int) or value not in IPV6_PREFIXES:
        raise ValueError(
            f"RATELIMIT_IPV6_PREFIX is {value!r}: it must be a whole number from {IPV6_PREFIXES[0]} to "
            f"{IPV6_PREFIXES[-1]}, the leading bits of an IPv6 address counted as one client (64: one "
            "phone's or one home's network; 56 or 48: several networks a provider gives one customer)."
        )


limiter = Limiter(key_func=client_network, default_limits=[])
login_manager = LoginManager()
login_manager.login_view = "staff.login"
# Flashed on the login page when a page needs a login: in the reader's language (str() of the lazy text).
login_manager.login_message = _l("Please log in to access this page.")
login_manager.localize_callback = str
login_manager.session_protection = "basic"  # "strong" rewrote every public visitor's session


def select_locale():
    """Pick the reader's language: the one chosen with the switcher (a cookie), else the best of
    the browser's preferences, else the default (also outside requests)."""
    config = current_app.config
    if not has_request_context():
        return config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(config["LANGUAGE_COOKIE"])
    if chosen in config["LANGUAGES"]:
        return chosen
    # In the browser's order of preference, a language or its main part ("kk-KZ": "kk") is taken:
    # "kk-KZ, ru;q=0.8" is Kazakh (werkzeug's best_match would answer Russian, an exact match).
    preferred = [value for value, _quality in request.accept_languages]
    return negotiate_locale(preferred, config["LANGUAGES"], sep="-") or config["BABEL_DEFAULT_LOCALE"]
