"""Views of the staff pages: parse, call one service, redirect or re-render."""
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter, login_manager
from ..models import Screening, User
from ..services import accounts, checkin
from . import bp
from .forms import LoginForm, LogoutForm


@login_manager.user_loader
def load_user(user_id):
    """Return the active staff user of a session, or None."""
    user = db.session.get(User, int(user_id)) if str(user_id).isdigit() else None
    return user if user is not None and user.is_active else None


def _login_limit():
    return current_app.config["LOGIN_LIMIT"]


def _safe_next(target):
    """Only a path on this site may follow a login."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not (target or "").startswith("/") or target.startswith("//"):
        return url_for("staff.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Log a staff member in."""
    form = LoginForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = _("This form had expired. Please log in again.")
        else:
            user = accounts.authenticate(form.email.data, form.password.data)
            if user is None:
                error = _("The e-mail address or the password is wrong.")
            else:
                login_user(user)
                return redirect(_safe_next(request.args.get("next")), 303)
    form.password.data = ""
    return render_template("staff/login.html", form=form, error=error), 422 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (a POST with CSRF)."""
    if LogoutForm().validate():
        logout_user()
        flash(_("You are logged out."), "info")
    return redirect(url_for("staff.login"), 303)


@bp.route("/")
@login_required
def home():
    """List the screenings with their counts, each with a link to its door."""
    screenings = db.session.scalars(sa.select(Screening).order_by(Screening.starts_at)).all()
    counts = checkin.screening_counts([s.id for s in screenings])
    return render_template(
        "staff/home.html", screenings=screenings, counts=counts, logout_form=LogoutForm(), user=current_user
    )
