"""Views of the staff pages: parse, call one service, redirect or re-render."""
import hmac
import io
from functools import wraps
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, send_file, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import InvalidInputError, NoSeatsError, NotFoundError, ScreeningCancelledError
from ..extensions import db, login_manager
from ..formatting import local_datetime
from ..formerrors import put_errors
from ..models import Device, Registration, RegistrationSource, Screening, User
from ..extensions import client_network
from ..security import count, limit_door_scans, login_account_key
from ..services import accounts, checkin, guests
from ..urls import local_path
from . import bp, pwa
from .forms import DeviceForm, EndSessionsForm, LoginForm, LogoutForm, RevokeForm, ScanForm, WalkinForm

ROOT = Path(__file__).resolve().parent.parent.parent
# Front-end files from npm (package-lock.json), served by the app itself: never from a CDN.
VENDOR_FILES = {
    "zxing-reader.js": ("node_modules/zxing-wasm/dist/iife/reader/index.js", "text/javascript"),
    "zxing_reader.wasm": ("node_modules/zxing-wasm/dist/reader/zxing_reader.wasm", "application/wasm"),
}


def admin_required(view):
    """Only admins may use the view; door staff get a 403 page."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


SESSION_KEY = "staff_session"  # the session cookie's entry holding the login's token


@login_manager.user_loader
def load_user(user_id):
    """Return the active staff user of a session the server still has open, or None: after a
    logout, a deactivation, a password change or an admin's "end sessions", a copy of the old
    cookie opens nothing (accounts.user_for_session)."""
    row_id, _, stamp = str(user_id).partition(".")
    if not (row_id.isdigit() and len(row_id) < 10):
        return None
    user = accounts.user_for_session(int(row_id), session.get(SESSION_KEY))
    if user is None or not hmac.compare_digest(stamp, user.password_stamp):
        return None
    return user


def _start_session(user):
    """Log `user` in on a fresh session: nothing of the session before (its CSRF token included)
    carries over, and the server records the login."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF keeps the token made before
    login_user(user)
    session[SESSION_KEY] = accounts.open_session(user.id)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log a staff member in. Every attempt counts against LOGIN_LIMIT (per client address) and
    LOGIN_ACCOUNT_LIMIT (per e-mail address typed, whether it has an account or not) before the
    password is checked, so that a burst of tries cannot slip through together; a login that
    succeeds gives its counts back, so that only failures add up."""
    form = LoginForm()
    error = None
    if request.method == "POST":
        counted = [("LOGIN_LIMIT", "address:" + client_network()), ("LOGIN_ACCOUNT_LIMIT", login_account_key())]
        waits = [count(setting, "logins", key) for setting, key in counted]
        if any(waits):
            abort(429)
        if not form.validate():
            error = _("This form had expired. Please log in again.")
        else:
            user = accounts.authenticate(form.email.data, form.password.data)
            if user is None:
                error = _("The e-mail address or the password is wrong.")
            else:
                for setting, key in counted:
                    count(setting, "logins", key, cost=-1)
                _start_session(user)
                return redirect(local_path(request.args.get("next"), url_for("staff.home")), 303)
    form.password.data = ""
    return render_template("staff/login.html", form=form, error=error), 422 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (a POST with CSRF)."""
    if LogoutForm().validate():
        accounts.end_session(session.get(SESSION_KEY))
        logout_user()
        session.clear()
        flash(_("You are logged out."), "info")
    return redirect(url_for("staff.login"), 303)


@bp.route("/")
@login_required
def home():
    """List the screenings with their counts, each with a link to its door."""
    screenings = [
        s for s in db.session.scalars(sa.select(Screening).order_by(Screening.starts_at))
        if current_user.may_work_at(s.event_id)
    ]
    counts = checkin.screening_counts([s.id for s in screenings])
    return render_template(
        "staff/home.html", screenings=screenings, counts=counts, logout_form=LogoutForm(), user=current_user,
        other_sessions=accounts.open_sessions(current_user.id) - 1, end_sessions_form=EndSessionsForm(),
    )


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    """Log out everywhere else: every other open session of this account ends (a phone left
    logged in at the door, a lost one)."""
    if EndSessionsForm().validate():
        ended = accounts.end_sessions(current_user.id, keep_token=session.get(SESSION_KEY), by_user_id=current_user.id)
        flash(ngettext("%(num)d other session ended.", "%(num)d other sessions ended.", ended), "success")
    else:
        flash(_("This form had expired. Please try again."), "error")
    return redirect(url_for("staff.home"), 303)


@bp.route("/door/<int(max=2147483647):screening_id>", methods=["GET", "POST"])
@login_required
@limit_door_scans
def door(screening_id):
    """The door page of one screening; without JavaScript the form scans by a plain POST."""
    shown = db.get_or_404(Screening, screening_id)
    if not current_user.may_work_at(shown.event_id):
        abort(403)
    guests.release_due(screening_id)  # ends the read transaction: `shown` reloads fresh
    form = ScanForm()
    verdict = error = None
    if request.method == "POST":
        if not form.validate():
            error = _("This form had expired. Please scan again.")
        else:
            try:
                verdict = checkin.check_in(form.code.data, shown.id, user_id=current_user.id)
            except InvalidInputError as failure:
                error = " ".join(failure.fields.values())
    form.code.data = ""
    # A refused scan (an expired form) answers 422, like every other refused form.
    return _door_page(shown, status=422 if error else 200, form=form, verdict=verdict, error=error,
                      walkin=_shown_walkin(shown))


def _shown_walkin(shown):
    """The walk-in just added by the form without JavaScript (?walkin=<id>), shown as the verdict."""
    raw = request.args.get("walkin", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) < 2**31):  # PostgreSQL's integer
        return None
    registration = db.session.get(Registration, int(raw))
    if registration is None or registration.screening_id != shown.id or registration.source != RegistrationSource.WALKIN.value:
        return None
    return registration


def _door_page(shown, status=200, form=None, walkin_form=None, **values):
    """Render the door page of `shown` with its counts; `values` go to the template."""
    confirmed, waiting, inside, free = checkin.screening_counts([shown.id])[shown.id]
    titles, reasons = checkin.door_words()
    return render_template(
        "staff/door.html", screening=shown, form=form or ScanForm(formdata=None),
        walkin_form=walkin_form or WalkinForm(formdata=None),
        confirmed=confirmed, inside=inside, waiting=waiting, free=max(free, 0),
        titles=titles, reasons=reasons, walkin_seats_max=guests.GUEST_SEATS_MAX,
        release_at=guests.release_time(shown),
        screening_times={str(s.id): local_datetime(s.starts_at, shown.event.tz) for s in shown.event.screenings},
        **{"verdict": None, "error": None, "walkin": None, **values},
    ), status


@bp.post("/door/<int(max=2147483647):screening_id>/walkin")
@login_required
def door_walkin(screening_id):
    """Seat and admit a walk-in without JavaScript; then show the door with the verdict (303)."""
    shown = db.get_or_404(Screening, screening_id)
    if not current_user.may_work_at(shown.event_id):
        abort(403)
    form = WalkinForm()
    status = 422
    if not form.validate():
        form.seats.errors = [_("This form had expired. Please try again.")]
    else:
        try:
            registration = guests.add_walkin(shown.id, form.name.data or "", form.seats.data or "1", user_id=current_user.id)
        except InvalidInputError as failure:
            put_errors(form, failure)
        except (NoSeatsError, ScreeningCancelledError) as failure:
            form.seats.errors, status = [str(failure.message)], 409
        else:
            return redirect(url_for("staff.door", screening_id=shown.id, walkin=registration.id), 303)
    return _door_page(shown, status=status, walkin_form=form)


@bp.route("/vendor/<name>")
def vendor(name):
    """Serve a whitelisted front-end file installed from npm."""
    if name not in VENDOR_FILES:
        abort(404)
    relative, mimetype = VENDOR_FILES[name]
    path = ROOT / relative
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=mimetype, max_age=86400)


# The installable door (issue 7): its manifest, icon and service worker. They are public (a
# browser fetches a manifest and its icons without cookies) and hold no data, only asset URLs.
DOOR_STATIC_ASSETS = ("door-rule.js", "door-offline.js", "door-status.js", "door-camera.js", "door.js",
                      "style.css", "door-icon.svg")
SERVICE_WORKER_TEMPLATE = ROOT / "templates" / "staff" / "door-sw.js"


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest of the door: installable, opening on the staff home."""
    icons = [{"src": url_for("static", filename="door-icon.svg"), "sizes": "any", "type": "image/svg+xml"}]
    icons += [{"src": url_for("staff.door_icon", size=size), "sizes": f"{size}x{size}", "type": "image/png"}
              for size in pwa.ICON_SIZES]
    response = jsonify({
        "name": _("Festival door"), "short_name": _("Door"), "lang": str(get_locale()),
        "start_url": url_for("staff.home"), "scope": url_for("staff.home"), "display": "standalone",
        "theme_color": "#0b5cad", "background_color": "#ffffff", "icons": icons,
    })
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/door-icon-<int:size>.png")
def door_icon(size):
    """The door's icon as a PNG (some browsers want one to install), drawn like door-icon.svg."""
    if size not in pwa.ICON_SIZES:
        abort(404)
    return send_file(io.BytesIO(pwa.icon_png(size)), mimetype="image/png", max_age=86400)


@bp.get("/door-sw.js")
def door_service_worker():
    """The door's service worker, served from /staff/ so that its scope covers the staff pages.

    It pre-caches the door's assets; its cache version is a hash of their contents (and of the
    worker itself), so that any change installs a new version that replaces the old caches.
    """
    assets = [url_for("static", filename=name) for name in DOOR_STATIC_ASSETS]
    assets += [url_for("staff.vendor", name=name) for name in VENDOR_FILES]
    assets += [url_for("staff.manifest")] + [url_for("staff.door_icon", size=size) for size in pwa.ICON_SIZES]
    files = [ROOT / "ticketing" / "static" / name for name in DOOR_STATIC_ASSETS]
    files += [ROOT / relative for relative, _mimetype in VENDOR_FILES.values()] + [SERVICE_WORKER_TEMPLATE]
    body = render_template("staff/door-sw.js", assets=assets, version=pwa.contents_hash(tuple(files)),
                           home=url_for("staff.home"), door_prefix=url_for("staff.door", screening_id=0)[:-1])
    return body, 200, {"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"}


@bp.route("/devices", methods=["GET", "POST"])
@admin_required
def devices():
    """List the door devices; create one (its token is shown once, on this answer only)."""
    form = DeviceForm()
    token = error = None
    if request.method == "POST":
        if not form.validate():
            error = _("This form had expired. Please try again.")
        else:
            try:
                _device, token = accounts.create_device(form.name.data, by_user_id=current_user.id)
            except InvalidInputError as failure:
                error = " ".join(failure.fields.values())
    listed = db.session.scalars(sa.select(Device).order_by(Device.id)).all()
    return render_template(
        "staff/devices.html", devices=listed, form=form, revoke_form=RevokeForm(), token=token, error=error
    ), 422 if error else 200


@bp.route("/devices/<int(max=2147483647):device_id>/revoke", methods=["POST"])
@admin_required
def revoke_device(device_id):
    """Revoke a device's token."""
    if not RevokeForm().validate():
        abort(400)
    try:
        device = accounts.revoke_device(device_id, by_user_id=current_user.id)
    except NotFoundError:
        abort(404)
    flash(_("The token of %(name)s is revoked.", name=device.name), "info")
    return redirect(url_for("staff.devices"), 303)
