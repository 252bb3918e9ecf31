"""Configuration: defaults, instance/, the environment, in that order."""
import pytest

from ticketing import create_app
from ticketing.config import database_uri


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("TICKETING_INSTANCE_PATH", str(tmp_path))
    for key in ("DATABASE_URL", "SECRET_KEY", "MAIL_PORT", "MAIL_USE_TLS"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def test_secret_key_is_generated_once_into_instance(instance):
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600


def test_default_database_is_sqlite_in_instance(instance):
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance}/ticketing.sqlite3"


def test_environment_overrides_instance_config(instance, monkeypatch):
    (instance / "config.py").write_text('SECRET_KEY = "from-file"\nMAIL_SERVER = "file.example"\n')
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["MAIL_SERVER"] == "file.example"
    assert app.config["MAIL_PORT"] == 2525 and app.config["MAIL_USE_TLS"] is True


def test_postgres_urls_get_the_psycopg_driver():
    assert database_uri("postgres://u@h/db", "/x") == "postgresql+psycopg://u@h/db"
    assert database_uri("postgresql://u@h/db", "/x") == "postgresql+psycopg://u@h/db"
    assert database_uri("sqlite:////tmp/a.db", "/x") == "sqlite:////tmp/a.db"
