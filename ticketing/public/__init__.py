"""Public pages: the festival, sign-up, the ticket and the self-service link."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from . import views, votes  # noqa: E402,F401  (routes register on bp)
