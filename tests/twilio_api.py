"""A local stand-in of Twilio's Messages endpoint: a real HTTP server on a free port, for the sender's tests.

It answers POST /2010-04-01/Accounts/{Sid}/Messages.json as Twilio does: 201 with a Message resource,
or an error document ({"code", "message", "more_info", "status"}). Like Twilio's test credentials,
some numbers always fail: +15005550001 is invalid (21211), +15005550009 is not a mobile (21614),
+15005550004 has unsubscribed (21610). `fail_next(n, status)` makes the next n requests fail
with a temporary error (429, 500, 503).
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
from dataclasses import dataclass, field

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "stand-in-token"
FAILING_NUMBERS = {
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
}
TEMPORARY = {429: 20429, 500: 20500, 503: 20503}


@dataclass
class TwilioStandIn:
    """The server's state: messages it accepted, requests it saw, failures still to give."""

    accepted: list[dict[str, str]] = field(default_factory=list)
    requests: int = 0
    temporary: list[int] = field(default_factory=list)
    delay: float = 0.0  # seconds before answering (a slow Twilio)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next `count` requests with a temporary error."""
        with self.lock:
            self.temporary += [status] * count

    def bodies_to(self, number: str) -> list[str]:
        """The bodies of the messages accepted for a number, in the order they arrived."""
        return [m["Body"] for m in self.accepted if m["To"] == number]


def _error(status: int, code: int, message: str):
    body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}
    return jsonify(body), status


def build_app(state: TwilioStandIn) -> Flask:
    """The stand-in's Flask app."""
    app = Flask("twilio-stand-in")
    sids = itertools.count(1)

    @app.post("/2010-04-01/Accounts/<account>/Messages.json")
    def create_message(account: str):
        with state.lock:
            state.requests += 1
            temporary = state.temporary.pop(0) if state.temporary else None
        if state.delay:
            threading.Event().wait(state.delay)
        auth = request.authorization
        if account != ACCOUNT_SID or auth is None or (auth.username, auth.password) != (ACCOUNT_SID, AUTH_TOKEN):
            return _error(401, 20003, "Authenticate")
        if temporary:
            return _error(temporary, TEMPORARY[temporary], "Service temporarily unavailable")
        form = request.form.to_dict()
        if not form.get("To") or not form.get("Body") or not form.get("From"):
            return _error(400, 21604, "A 'To' phone number, a 'From' number and a Body are required.")
        if form["To"] in FAILING_NUMBERS:
            code, message = FAILING_NUMBERS[form["To"]]
            return _error(400, code, message)
        sid = f"SM{next(sids):08d}{secrets.token_hex(12)}"
        with state.lock:
            state.accepted.append(form)
        return jsonify({"sid": sid, "account_sid": account, "to": form["To"], "from": form["From"],
                        "body": form["Body"], "status": "queued", "num_segments": "1", "direction": "outbound-api",
                        "error_code": None, "error_message": None, "api_version": "2010-04-01",
                        "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json"}), 201

    return app


class running:
    """A context manager: the stand-in serving on 127.0.0.1 on a free port, in a thread."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.state = TwilioStandIn()
        self.server = make_server("127.0.0.1", 0, build_app(self.state), threaded=True)
        self.state.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TwilioStandIn:
        self.thread.start()
        return self.state

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
