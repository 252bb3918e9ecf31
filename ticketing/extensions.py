"""Flask extensions, created unbound and bound in the app factory."""
from flask import current_app, has_request_context, request
from flask_babel import Babel
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
login_manager.session_protection = "basic"  # "strong" rewrote every public visitor's session


def select_locale():
    """Pick the reader's language from the browser's preferences (the default outside requests)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"
