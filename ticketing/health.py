"""GET /healthz for load balancers and monitors: is the database reachable?"""
import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify

from .extensions import db, limiter

bp = Blueprint("health", __name__)
log = logging.getLogger("ticketing.health")


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Answer 200 when SELECT 1 works on the database, else 503; no cookie, no rate limit."""
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001: whatever fails, the answer is "not healthy"
        # The type only: a driver's message may name the host, the user or the database.
        log.warning("Health check failed: the database is unreachable (%s)", type(error).__name__)
        return _answer({"status": "error", "database": "unreachable"}, 503)
    return _answer({"status": "ok"}, 200)


def _answer(body, status):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
