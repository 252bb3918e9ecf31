"""The ticketing app: screening sign-up, QR-code tickets and door check-in."""
import os
from pathlib import Path

from datetime import datetime

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from . import config as settings
from . import logs, production
from .database import configure_engine, engine_options
from .extensions import babel, check_ipv6_prefix, db, limiter, login_manager, migrate, select_locale

ROOT = Path(__file__).resolve().parent.parent


class JSONProvider(DefaultJSONProvider):
    """JSON with times in ISO 8601 (Flask's default writes them as HTTP dates)."""

    @staticmethod
    def default(value):
        if isinstance(value, datetime):
            return value.isoformat()
        return DefaultJSONProvider.default(value)


def create_app(test_config=None):
    """Build the app: defaults, then instance/config.py, then the environment, then tests."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("TICKETING_INSTANCE_PATH", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
        instance_relative_config=True,
    )
    app.json = JSONProvider(app)
    app.config.from_object(settings.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(settings.from_environment())
    if test_config:
        app.config.update(test_config)
    logs.configure(app)
    production.check(app)  # in production: refuse unsafe settings, before a key is generated
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = settings.instance_secret_key(app.instance_path)
    uri = settings.database_uri(app.config["DATABASE_URL"], app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(uri))
    production.hide_sql_parameters(app)

    logs.register(app)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app):
    """Bind the extensions and the database's per-connection settings."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    babel.init_app(app, locale_selector=select_locale)
    check_ipv6_prefix(app.config)
    limiter.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        configure_engine(db.engine)


def register_security(app):
    """Security headers on every response, secure cookies, the trusted proxy (ticketing.security)."""
    from .security import register

    register(app)


def register_blueprints(app):
    """Mount the public pages, the staff pages, the back office and the API."""
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .health import bp as health_bp
    from .public import bp as public_bp
    from .staff import bp as staff_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(health_bp)


def register_error_handlers(app):
    """Friendly pages for HTTP errors; a 500 rolls the session back."""
    from .errorpages import register

    register(app)


def register_template_helpers(app):
    """Filters for local times and numbers; the organizers' texts in the reader's language."""
    from .formatting import register
    from .services import questions, texts

    register(app)
    texts.register(app)
    questions.register(app)


def register_commands(app):
    """Add `flask demo` and friends."""
    from .cli import register

    register(app)
