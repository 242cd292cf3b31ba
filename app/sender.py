"""The sender: a worker that hands due outbox messages to Twilio's REST API and records what happened.

Run as `flask outbox send` (the Procfile's worker). Errors Twilio marks as temporary (429, 5xx)
and failed connections are tried again later, with back-off; permanent ones (an invalid number,
a landline, an unsubscribed number) give the message up at once. When the outcome of a send is
unknown (the connection broke after the request went out), the message is not tried again:
a text missed is better than a text sent twice. A purge of expired rows runs at start and daily.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from dataclasses import dataclass, field
from typing import Literal

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NewConnectionError

from app.core.events import Event
from app.store.callers import Purged, purge
from app.store.outbox import Claimed, Outbox, now

log = logging.getLogger(__name__)

SendResultKind = Literal["sent", "retry", "failed", "unknown"]
# Twilio error codes met when sending a text (https://www.twilio.com/docs/api/errors): none of these
# gets better by trying again, so the message is given up.
UNSUBSCRIBED = 21610  # the number texted STOP to Twilio: the line records an opt-out too
PERMANENT_CODES = {
    21211: "invalid 'To' number", 21214: "'To' number cannot be reached", 21408: "region not enabled",
    21606: "'From' number cannot send texts", 21608: "unverified number (trial account)",
    UNSUBSCRIBED: "number unsubscribed", 21612: "'To' number unreachable from this sender",
    21614: "'To' number is not a mobile number", 21635: "'To' number is a landline",
}
AUTH_STATUSES = {401, 403}  # wrong credentials: an operator can fix them, so the message waits
RETRY_BASE = dt.timedelta(seconds=30)
RETRY_MAX = dt.timedelta(hours=1)
SEND_TIMEOUT_SECONDS = 10.0
PURGE_EVERY = dt.timedelta(days=1)


@dataclass(frozen=True)
class SendResult:
    """What one send came to, and Twilio's error code when there was one."""

    kind: SendResultKind
    code: int | None = None
    sid: str | None = None
    reason: str = ""


@dataclass
class Tally:
    """What one pass of the sender did."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    opt_outs: int = 0

    def add(self, outcome: SendResult) -> None:
        """Count one outcome."""
        setattr(self, outcome.kind, getattr(self, outcome.kind) + 1)

    @property
    def handled(self) -> int:
        """Messages settled or put back in this pass."""
        return self.sent + self.retry + self.failed + self.unknown


def make_client(account_sid: str, auth_token: str, api_url: str = "") -> Client:
    """Twilio's REST client, with a timeout on every request; `api_url` points it at a stand-in (tests)."""
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS))
    if api_url:
        client.api.base_url = api_url.rstrip("/")
    # The client logs each request's URL and headers at INFO: no numbers, but noise in the worker's log.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    return client


def _never_connected(error: requests.ConnectionError) -> bool:
    """Whether a connection error happened before the request could reach Twilio (so it is safe to retry)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    return isinstance(reason, MaxRetryError) and isinstance(reason.reason, NewConnectionError)


def classify(error: Exception) -> SendResult:
    """Whether a failed send may be tried again, must be given up, or may have gone out."""
    if isinstance(error, TwilioRestException):
        code = int(error.code) if error.code else None
        if error.status == 429 or error.status >= 500:
            return SendResult("retry", code, reason=f"Twilio answered {error.status}")
        if error.status in AUTH_STATUSES:
            return SendResult("retry", code, reason="Twilio refused the credentials (check TWILIO_ACCOUNT_SID and "
                                                 "TWILIO_AUTH_TOKEN)")
        return SendResult("failed", code, reason=PERMANENT_CODES.get(code or 0, f"Twilio answered {error.status}"))
    if isinstance(error, requests.ConnectionError) and _never_connected(error):
        return SendResult("retry", reason="could not connect to Twilio")
    return SendResult("unknown", reason=f"{type(error).__name__} after the request went out")


def backoff(attempts: int, jitter: float | None = None) -> dt.timedelta:
    """How long to wait after the n-th failed attempt: doubling from 30 s up to an hour, give or take 20%."""
    base: dt.timedelta = min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_MAX)
    factor = jitter if jitter is not None else random.uniform(0.8, 1.2)
    return base * factor


@dataclass
class Sender:
    """Sends what the outbox holds through a Twilio client; without a client it only purges."""

    outbox: Outbox
    client: Client | None
    from_number: str = ""  # SMS_FROM_NUMBER: wins over the number each call came in on
    status_callback: str = ""  # where Twilio posts delivery reports, when the line has a public address
    max_attempts: int = 8
    batch: int = 10
    retention_days: int = 30
    last_purge: dt.datetime | None = field(default=None)

    def send_due(self, at: dt.datetime | None = None, limit: int | None = None) -> Tally:
        """Send every message due now (at most `limit`), one claim of `batch` at a time."""
        tally = Tally()
        if self.client is None:
            return tally
        while limit is None or tally.handled < limit:
            claimed = self.outbox.claim(self.batch if limit is None else min(self.batch, limit - tally.handled), at)
            if not claimed:
                break
            for message in claimed:
                tally.add(self._send(message, tally))
        return tally

    def _send(self, message: Claimed, tally: Tally) -> SendResult:
        sender = self.from_number or message.from_number
        if not sender:
            log.error("outbox message=%d: no number to send from (set SMS_FROM_NUMBER)", message.id)
            self.outbox.failed(message.id, None)
            self.outbox.store.count("sms", Event("text_failed", message.kind))
            return SendResult("failed", reason="no number to send from")
        assert self.client is not None
        store = self.outbox.store
        if store.number_key(message.to_number) in store.journal.pending():  # a STOP not yet in the database
            self.outbox.failed(message.id, None, status="cancelled")
            return SendResult("failed", reason="the number stopped")
        try:
            options = {"status_callback": self.status_callback} if self.status_callback else {}
            sent = self.client.messages.create(to=message.to_number, from_=sender, body=message.body, **options)
        except Exception as error:
            outcome = classify(error)
            return self._settle_failure(message, outcome, tally)
        self.outbox.sent(message.id, str(sent.sid))
        store.count("sms", Event("text_sent", message.kind))
        log.info("outbox message=%d status=sent sid=%s attempts=%d", message.id, sent.sid, message.attempts)
        return SendResult("sent", sid=str(sent.sid))

    def _settle_failure(self, message: Claimed, outcome: SendResult, tally: Tally) -> SendResult:
        if outcome.kind == "retry" and message.attempts < self.max_attempts:
            wait = backoff(message.attempts)
            self.outbox.retry(message.id, now() + wait, outcome.code)
            log.warning("outbox message=%d status=retry code=%s attempts=%d wait_s=%.0f: %s", message.id,
                        outcome.code, message.attempts, wait.total_seconds(), outcome.reason)
            return outcome
        if outcome.kind == "retry":
            outcome = SendResult("failed", outcome.code, reason=f"{outcome.reason}; gave up after "
                                                             f"{message.attempts} attempts")
        if outcome.code == UNSUBSCRIBED:
            self.outbox.store.opt_out(message.to_number)  # also cancels the rest of this number's queue
            tally.opt_outs += 1
        self.outbox.failed(message.id, outcome.code, status="unknown" if outcome.kind == "unknown" else "failed")
        self.outbox.store.count("sms", Event("text_failed", message.kind))
        log.warning("outbox message=%d status=%s code=%s attempts=%d: %s", message.id,
                    outcome.kind, outcome.code, message.attempts, outcome.reason)
        return outcome

    def purge_if_due(self, at: dt.datetime | None = None) -> Purged | None:
        """The daily purge of expired rows (and at the first pass)."""
        moment = at or now()
        if self.last_purge is not None and moment - self.last_purge < PURGE_EVERY:
            return None
        self.last_purge = moment
        purged = purge(self.outbox.store, self.retention_days, moment)
        log.info("purge removed callers=%d sms_positions=%d outbox=%d", purged.callers, purged.sms_positions,
                 purged.outbox)
        return purged

    def run(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        """Send until `stop` is set: a pass whenever messages are due, a short sleep when none are."""
        if self.client is None:
            log.warning("TWILIO_ACCOUNT_SID is not set: messages stay in the outbox (see `flask outbox`); "
                        "the sender only purges expired rows")
        while not stop.is_set():
            try:
                self.purge_if_due()
                tally = self.send_due()
            except Exception:  # the database stumbled: wait, then try again
                log.exception("sender pass failed; trying again shortly")
                tally = Tally()
            if not tally.handled:
                stop.wait(poll_seconds)
