"""The operators' report page at /report: signed in with a password whose hash is a setting, a session
cookie and a CSRF token on every form; at most MAX_FAILURES failed sign-ins per client in 15 minutes,
counted in the shared database so the limit holds for every web worker. Off (404) unless
OPERATOR_PASSWORD_HASH and SECRET_KEY are both set."""

from __future__ import annotations

import datetime as dt
import time

from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response as BaseResponse
from wtforms import PasswordField
from wtforms.validators import DataRequired

from app.services import learner, services
from app.store.guard import describe
from app.store.sign_ins import MAX_FAILURES, SignIns

bp = Blueprint("report", __name__, url_prefix="/report")
DAY_CHOICES = (7, 30, 90, 365)
DEFAULT_DAYS = 30
SIGNED_IN = "operator_signed_in_at"
SESSION_HOURS = 12  # a sign-in lasts this long at most, even in a browser left open


class SignInForm(FlaskForm):
    """The sign-in form: a password, and Flask-WTF's CSRF token."""

    password = PasswordField("Password", validators=[DataRequired()])


class SignOutForm(FlaskForm):
    """The sign-out form: only the CSRF token."""


def enabled() -> bool:
    """Whether the page is on: both OPERATOR_PASSWORD_HASH and SECRET_KEY are set."""
    return bool(current_app.config.get("OPERATOR_PASSWORD_HASH")) and bool(current_app.config.get("SECRET_KEY"))


@bp.before_request
def only_when_set() -> None:
    if not enabled():
        abort(404)


@bp.after_request
def not_cached(response: Response) -> Response:
    """Nothing an operator sees is kept by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def signed_in() -> bool:
    """Whether this browser signed in within SESSION_HOURS."""
    since = session.get(SIGNED_IN)
    return isinstance(since, (int, float)) and 0 <= time.time() - since < SESSION_HOURS * 3600


def client() -> str:
    """Who is signing in, for the limit: the address (behind TRUSTED_PROXIES, the one the proxy saw)."""
    return request.remote_addr or "unknown"


def unavailable(error: Exception) -> tuple[str, int]:
    current_app.logger.warning("report page without the database: %s", describe(error))
    return render_template("sign_in.html", form=None, problem="The database cannot be reached right now. "
                           "Try again in a minute; the line itself keeps answering."), 503


@bp.get("")
def page() -> BaseResponse | tuple[str, int]:
    """The report for the last `days` days (30 unless chosen)."""
    if not signed_in():
        return redirect(url_for("report.sign_in"))
    from app import report  # here, so that starting the line does not load the charting library

    days = request.args.get("days", DEFAULT_DAYS, type=int)
    days = days if days in DAY_CHOICES else DEFAULT_DAYS
    today = dt.date.today()
    store = services().store
    try:
        tallies = store.tallies(today - dt.timedelta(days=days - 1))
        learned = store.guarded(learner().phrases) if current_app.config.get("LEARN_PHRASES") else None
    except Exception as error:
        return unavailable(error)
    controls = {"report_url": url_for("report.page"), "sign_out_url": url_for("report.sign_out"),
                "day_choices": DAY_CHOICES, "csrf_token": generate_csrf()}
    return report.build_report(tallies, services().line, today, days, learned, page=controls), 200


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> BaseResponse | tuple[str, int]:
    """Ask for the password; a right one signs this browser in, a wrong one counts against the client."""
    form = SignInForm()
    if request.method == "GET":
        return render_template("sign_in.html", form=form, problem=""), 200
    attempts = SignIns(services().store)
    try:
        if attempts.locked(client()):
            return render_template("sign_in.html", form=form, problem=f"{MAX_FAILURES} wrong passwords in 15 "
                                   "minutes: wait 15 minutes, then try again."), 429
        if not form.validate_on_submit():
            if "csrf_token" in form.errors:  # no password was checked, so nothing is counted
                return render_template("sign_in.html", form=SignInForm(formdata=None), problem="The form "
                                       "expired or did not come from this page. Please try again."), 400
            return render_template("sign_in.html", form=form, problem="Please type the password."), 400
        if not check_password_hash(current_app.config["OPERATOR_PASSWORD_HASH"], form.password.data or ""):
            attempts.failed(client())
            current_app.logger.warning("report: a wrong password")
            return render_template("sign_in.html", form=SignInForm(formdata=None),
                                   problem="That password is not right. Please try again."), 401
        attempts.succeeded(client())
    except Exception as error:
        return unavailable(error)
    session.clear()
    session[SIGNED_IN] = time.time()
    current_app.logger.info("report: an operator signed in")
    return redirect(url_for("report.page"))


@bp.post("/sign-out")
def sign_out() -> BaseResponse | tuple[str, int]:
    """Forget this browser's sign-in (a CSRF token is needed, so no other site can sign anyone out)."""
    if not SignOutForm().validate_on_submit():
        return render_template("sign_in.html", form=SignInForm(formdata=None), problem="The form expired or did "
                               "not come from this page. Please try again."), 400
    session.clear()
    return redirect(url_for("report.sign_in"))


class ReportSessions(SecureCookieSessionInterface):
    """Sessions only where one is used, the report page: a webhook reads and signs no cookie (with SECRET_KEY set,
    Flask would otherwise build a signer and open a session on every request)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The operator's session on the report's pages; none (Flask's null session) anywhere else."""
        if not request.path.startswith(bp.url_prefix or "/report"):
            return None
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Register the page when it is on; its session cookie is HttpOnly, SameSite=Lax, and Secure outside development."""
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=app.config["LINE_ENV"] != "development",
                      SESSION_COOKIE_NAME="line_operator")
    app.session_interface = ReportSessions()
    app.register_blueprint(bp)
