"""The back office, for admins: events and screenings, attendees and guests, imports, exports,
the dashboard, staff accounts and the audit log."""
from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__)

# The back office's menu: (endpoint, label). A link shows once its view exists.
MENU = (
    ("admin.events", "Events and screenings"),
    ("admin.dashboard", "Dashboard"),
    ("admin.users", "Staff"),
    ("admin.audit_log", "Audit log"),
    ("admin.outbox", "Messages"),
    ("staff.devices", "Door devices"),
)


@bp.before_request
@login_required
def require_admin():
    """Every back-office page is for admins only; door staff get a 403 page."""
    if not current_user.is_admin:
        abort(403)


from . import attendees, dashboard, events, exports, imports, outbox, people, printing  # noqa: E402,F401


@bp.app_template_global()
def admin_menu():
    """The menu entries whose views exist."""
    from flask import current_app

    return [(endpoint, label) for endpoint, label in MENU if endpoint in current_app.view_functions]
