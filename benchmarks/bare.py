"""The yardstick for benchmarks/load.py: a Flask app that only checks Twilio's signature and answers constant TwiML."""

from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

VOICE = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/turn?at=main" input="dtmf speech">'
         '<Say>Hello.</Say></Gather></Response>')
SMS = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hello.</Message></Response>'


def create_app() -> Flask:
    app = Flask(__name__)
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    base = os.environ["PUBLIC_BASE_URL"].rstrip("/")

    def check() -> None:
        query = request.query_string.decode()
        url = base + request.path + (f"?{query}" if query else "")
        if not validator.validate(url, request.form, request.headers.get("X-Twilio-Signature", "")):
            abort(403)

    @app.post("/voice")
    @app.post("/voice/turn")
    def voice() -> Response:
        check()
        return Response(VOICE, mimetype="text/xml")

    @app.post("/sms")
    def sms() -> Response:
        check()
        return Response(SMS, mimetype="text/xml")

    return app
