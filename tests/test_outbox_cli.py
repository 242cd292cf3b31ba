"""`flask outbox`, `flask outbox send --once`, `flask purge`, and Twilio's status callback for messages."""

from __future__ import annotations

import datetime as dt

from twilio.request_validator import RequestValidator
from twilio_api import ACCOUNT_SID, AUTH_TOKEN, running

from app.services import services
from app.store.callers import CallerMemory
from app.store.outbox import Message, Outbox

NUMBER = "+15551234567"
LINE = "+15550001111"


def outbox_of(app) -> Outbox:
    with app.app_context():
        return Outbox(services().store)


def test_flask_outbox_lists_messages_with_numbers_masked(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    assert "The outbox is empty." in runner.invoke(args=["outbox"]).output
    outbox_of(app).enqueue(NUMBER, [Message("topic:risks:1", "Side effects, part 1. " * 5)], LINE)
    output = runner.invoke(args=["outbox"]).output
    assert "queued" in output and "topic:risks:1" in output and "+*********67" in output
    assert "5551234567" not in output and "1234567" not in output
    assert "In all: 1 queued." in output


def test_flask_outbox_send_once_without_an_account_sends_nothing(make_app):
    app = make_app()
    outbox_of(app).enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--once"])
    assert result.exit_code == 0 and "TWILIO_ACCOUNT_SID is not set" in result.output
    assert outbox_of(app).totals() == {"queued": 1}


def test_flask_outbox_send_once_sends_through_twilio(make_app):
    with running() as twilio:
        app = make_app(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_API_URL=twilio.url,
                       PUBLIC_BASE_URL="https://line.example")
        outbox_of(app).enqueue(NUMBER, [Message("menu", "The list.")], LINE)
        outbox_of(app).enqueue("+15005550001", [Message("menu", "The list.")], LINE)
        result = app.test_cli_runner().invoke(args=["outbox", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1, to retry 0, failed 1, unknown 0" in result.output
    [sent] = twilio.accepted
    assert (sent["To"], sent["From"], sent["StatusCallback"]) == (NUMBER, LINE, "https://line.example/sms/status")


def test_flask_purge_removes_expired_rows(make_app):
    app = make_app(RETENTION_DAYS=7)
    with app.app_context():
        CallerMemory(services().store).remember_place(NUMBER, ("risks", 1),
                                                      at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=8))
    output = app.test_cli_runner().invoke(args=["purge"]).output
    assert "Removed 1 callers' places and speeds, 0 texters' places and 0 messages older than 7 days" in output


def test_the_status_callback_records_delivery(make_app):
    app = make_app(TWILIO_AUTH_TOKEN="secret-token", PUBLIC_BASE_URL="https://line.example")
    box = outbox_of(app)
    box.enqueue(NUMBER, [Message("menu", "The list.")], LINE)
    [claimed] = box.claim()
    box.sent(claimed.id, "SM42")
    client = app.test_client()
    form = {"MessageSid": "SM42", "MessageStatus": "undelivered", "ErrorCode": "30006", "To": NUMBER}
    signature = RequestValidator("secret-token").compute_signature("https://line.example/sms/status", form)
    assert client.post("/sms/status", data=form).status_code == 403  # unsigned
    response = client.post("/sms/status", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 204
    [row] = box.rows()
    assert (row.status, row.error_code) == ("undelivered", 30006)
