"""Flask extensions, created unbound and bound in the app factory."""
from babel import negotiate_locale
from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_limiter.util import get_remote_address
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
limiter = Limiter(key_func=get_remote_address, default_limits=[])
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
