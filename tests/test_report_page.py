"""The operators' report page at /report: off unless set up, signed in with a password, a session cookie
with the right flags, CSRF on every form, a limit on failed sign-ins shared by every worker, sign-out."""

from __future__ import annotations

import re

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from app.phone import Phone

PASSWORD = "correct horse battery staple"
SECRET = "a-long-random-value-for-tests"
HASH = generate_password_hash(PASSWORD)


@pytest.fixture
def app(make_app):
    return make_app(OPERATOR_PASSWORD_HASH=HASH, SECRET_KEY=SECRET)


def token(client, url: str = "/report/sign-in") -> str:
    return re.search(r'name="csrf_token"[^>]* value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def sign_in(client, password: str = PASSWORD, **extra):
    return client.post("/report/sign-in", data={"password": password, "csrf_token": token(client), **extra})


@pytest.mark.parametrize("settings", [{}, {"OPERATOR_PASSWORD_HASH": HASH}, {"SECRET_KEY": SECRET}])
def test_the_page_is_not_there_unless_both_settings_are_set(make_app, settings):
    client = make_app(**settings).test_client()
    for url in ("/report", "/report/sign-in"):
        assert client.get(url).status_code == 404
    assert client.post("/report/sign-in", data={"password": PASSWORD}).status_code == 404


def test_signed_out_the_page_asks_to_sign_in(app):
    response = app.test_client().get("/report")
    assert response.status_code == 302 and response.headers["Location"].endswith("/report/sign-in")


def test_the_right_password_shows_the_report_built_from_real_calls(app):
    call = Phone.for_app(app).call()
    call.press("3")
    client = app.test_client()
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/report")
    page = client.get("/report")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    body = page.get_data(as_text=True)
    assert "1 calls and 0 text messages in 30 days." in body and "Sign out" in body
    assert "7 calls" not in body and "1 calls and 0 text messages in 7 days." in client.get(
        "/report?days=7").get_data(as_text=True)
    assert "in 30 days." in client.get("/report?days=12345").get_data(as_text=True)  # not a choice: 30


def test_a_wrong_password_is_refused(app):
    client = app.test_client()
    response = sign_in(client, "wrong password")
    assert response.status_code == 401 and "not right" in response.get_data(as_text=True)
    assert client.get("/report").status_code == 302


def test_five_failures_in_15_minutes_lock_the_client_out_even_with_the_right_password(app, make_app):
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, "guess").status_code == 401
    locked = sign_in(client)
    assert locked.status_code == 429 and "wait 15 minutes" in locked.get_data(as_text=True)
    # Another worker (another app on the same database) refuses too: the count is in the database.
    other = make_app(OPERATOR_PASSWORD_HASH=HASH, SECRET_KEY=SECRET).test_client()
    assert sign_in(other).status_code == 429


def test_a_lock_is_per_client_and_ends_after_15_minutes(app, monkeypatch):
    import datetime as dt

    from app.store import sign_ins
    client = app.test_client()
    for _ in range(5):
        sign_in(client, "guess")
    other_client = app.test_client()
    ok = other_client.post("/report/sign-in", data={"password": PASSWORD, "csrf_token": token(other_client)},
                           environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert ok.status_code == 302  # another address is not locked out
    later = sign_ins.now() + dt.timedelta(minutes=16)
    monkeypatch.setattr(sign_ins, "now", lambda: later)
    assert sign_in(client).status_code == 302


def test_a_form_without_its_csrf_token_is_refused_and_not_counted(app):
    client = app.test_client()
    client.get("/report/sign-in")
    for _ in range(6):
        refused = client.post("/report/sign-in", data={"password": PASSWORD})
        assert refused.status_code == 400
    assert sign_in(client).status_code == 302  # six refusals locked nothing out
    assert client.post("/report/sign-out").status_code == 400  # sign-out needs the token too
    assert client.get("/report").status_code == 200


def test_sign_out_ends_the_session(app):
    client = app.test_client()
    sign_in(client)
    response = client.post("/report/sign-out", data={"csrf_token": token(client, "/report")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/report/sign-in")
    assert client.get("/report").status_code == 302


@pytest.mark.parametrize("environment, secure", [("development", False), ("production", True)])
def test_the_session_cookie_is_httponly_samesite_and_secure_outside_development(make_app, environment, secure):
    app = make_app(OPERATOR_PASSWORD_HASH=HASH, SECRET_KEY=SECRET, LINE_ENV=environment, TWILIO_AUTH_TOKEN="t",
                   PUBLIC_BASE_URL="https://line.example")
    client = app.test_client()
    response = sign_in(client)
    cookie = next(value for name, value in response.headers.items()
                  if name == "Set-Cookie" and value.startswith("line_operator="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure


def test_flask_operator_password_prints_a_hash_of_the_password(app):
    result = app.test_cli_runner().invoke(args=["operator", "password"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    made = re.search(r"OPERATOR_PASSWORD_HASH='([^']+)'", result.output).group(1)
    assert check_password_hash(made, PASSWORD) and PASSWORD not in result.output.split("OPERATOR")[1]
    short = app.test_cli_runner().invoke(args=["operator", "password", "--password", "short"])
    assert short.exit_code == 1 and "at least 12 characters" in short.output


def test_without_a_database_the_page_says_so_without_a_500(make_app):
    client = make_app(migrate=False, OPERATOR_PASSWORD_HASH=HASH, SECRET_KEY=SECRET).test_client()
    response = sign_in(client)
    assert response.status_code == 503 and "database cannot be reached" in response.get_data(as_text=True)
