"""Staff pages: login, logout, and the door."""
from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import views  # noqa: E402,F401  (routes register on bp)
