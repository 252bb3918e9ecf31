"""The back office, for admins: events and screenings, attendees and guests, imports, exports,
the dashboard, staff accounts and the audit log."""
from flask import Blueprint, abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__)

# The back office's menu: (endpoint, label). A link shows once its view exists. The template
# shows each label translated (lazy: read in the reader's language at each request).
MENU = (
    ("admin.events", _l("Events and screenings")),
    ("admin.dashboard", _l("Dashboard")),
    ("admin.users", _l("Staff")),
    ("admin.audit_log", _l("Audit log")),
    ("admin.outbox", _l("Messages")),
    ("admin.privacy", _l("Privacy")),
    ("staff.devices", _l("Door devices")),
)


@bp.before_request
@login_required
def require_admin():
    """Every back-office page is for admins only; door staff get a 403 page."""
    if not current_user.is_admin:
        abort(403)


from . import announcements, attendees, dashboard, events, exports, imports, outbox, people, printing, privacy, questions, texts, votes  # noqa: E402,F401,E501


@bp.app_template_global()
def admin_menu():
    """The menu entries whose views exist."""
    from flask import current_app

    return [(endpoint, label) for endpoint, label in MENU if endpoint in current_app.view_functions]
