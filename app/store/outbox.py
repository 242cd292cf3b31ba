"""The outbox: text messages the line has promised to send, kept in the database until a sender sends them.

A webhook only writes rows here (fast, no network); the sender (app/sender.py) claims due rows,
hands them to Twilio and records what happened. A claim is one atomic UPDATE ... WHERE
status = 'queued', so several senders on one database never take the same row; a row whose
sender stopped in the middle of a send is never tried again (it may have gone out), so nothing
is sent twice. The caller's number is kept only until Twilio has taken the message; after that
a row holds the number's HMAC, like every other table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal, Sequence, get_args

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.store import Store, metadata, opt_outs

# queued: waiting for a sender; sending: claimed by one; sent: Twilio took it; delivered/undelivered:
# Twilio's status callback said so; failed: a permanent error or too many tries; cancelled: the
# number opted out first; unknown: a sender stopped mid-send, so it is not tried again.
Status = Literal["queued", "sending", "sent", "delivered", "undelivered", "failed", "cancelled", "unknown"]
STATUSES: tuple[Status, ...] = get_args(Status)
FINAL: frozenset[str] = frozenset({"sent", "delivered", "undelivered", "failed", "cancelled", "unknown"})
# A claim lasts this long; a row still 'sending' after it was left by a sender that stopped.
LEASE = dt.timedelta(minutes=5)
# A message not sent within this long is given up: a text promised yesterday would puzzle.
GIVE_UP_AFTER = dt.timedelta(hours=24)
# Twilio's own statuses (status callbacks) and the one each means here.
TWILIO_STATUSES: dict[str, Status] = {
    "accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent", "sent": "sent",
    "delivered": "delivered", "read": "delivered", "undelivered": "undelivered", "failed": "failed",
    "canceled": "cancelled",
}

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch", String(32), nullable=False),  # one request ("text me this"): what the daily limit counts
    Column("number_hash", String(64), nullable=False),
    Column("to_number", String(32), nullable=True),  # only until Twilio has the message
    Column("from_number", String(32), nullable=True),  # the line's own number
    Column("kind", String(80), nullable=False),  # what it is: "topic:risks:1", "menu"
    Column("body", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_by", String(32), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("twilio_sid", String(40), nullable=True),
    Column("error_code", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("outbox_due", outbox.c.status, outbox.c.next_attempt_at)
Index("outbox_number", outbox.c.number_hash, outbox.c.created_at)
Index("outbox_twilio_sid", outbox.c.twilio_sid, unique=True)
Index("outbox_request", outbox.c.batch, outbox.c.kind, unique=True)  # one request's messages, once each


def now() -> dt.datetime:
    """The time in UTC (one place, so tests can move it)."""
    return dt.datetime.now(dt.timezone.utc)


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def mask(number: str | None, number_hash: str) -> str:
    """A number as an operator may see it: its last two digits, or only the start of its hash."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    return f"+{'*' * (len(digits) - 2)}{digits[-2:]}" if len(digits) > 4 else f"#{number_hash[:8]}"


@dataclass(frozen=True)
class Message:
    """One text to send: what it is (for lists and logs) and its words."""

    kind: str
    body: str


@dataclass(frozen=True)
class Claimed:
    """A message a sender has claimed and must now send, then settle."""

    id: int
    to_number: str
    from_number: str | None
    body: str
    attempts: int
    created_at: dt.datetime
    kind: str = ""  # what it is ("topic:risks:1"), as counted once it is sent or fails


@dataclass(frozen=True)
class Row:
    """A row of the outbox as `flask outbox` and the simulator show it."""

    id: int
    created_at: dt.datetime
    status: str
    attempts: int
    number: str  # masked
    kind: str
    body: str
    error_code: int | None


class Outbox:
    """The outbox table behind one Store; every method is one short transaction."""

    def __init__(self, store: Store):
        self.store = store
        self.engine = store.engine
        self.worker = secrets.token_hex(8)  # this sender's name on its claims

    # ----- the webhooks' side ----------------------------------------------------------------

    def history(self, number: str, since: dt.datetime, request_id: str = "") -> tuple[int, bool, bool]:
        """For the daily limit and the first-time words, in one read: how many requests for texts this
        number made since a moment, whether it ever asked (while rows are kept), and whether this very
        request (see enqueue) is queued already."""
        key, batch = self.store.number_key(number), self.batch_id(request_id)

        def read() -> tuple[int, bool, bool]:
            with self.engine.connect() as conn:
                mine = outbox.c.number_hash == key
                recent = conn.execute(select(func.count(func.distinct(outbox.c.batch)))
                                      .where(mine, outbox.c.created_at >= since)).scalar_one()
                ever = conn.execute(select(outbox.c.id).where(mine).limit(1)).first() is not None
                again = bool(batch) and conn.execute(select(outbox.c.id).where(mine, outbox.c.batch == batch)
                                                     .limit(1)).first() is not None
            return int(recent), ever, again

        return self.store.guarded(read)

    @staticmethod
    def batch_id(request_id: str) -> str:
        """The id of a request's messages: derived from the request when it has one ("" otherwise)."""
        return hashlib.sha256(request_id.encode()).hexdigest()[:32] if request_id else ""

    def enqueue(self, number: str, messages: Sequence[Message], from_number: str | None = None,
                at: dt.datetime | None = None, request_id: str = "") -> str:
        """Queue messages to one number, in order, as one request; returns the request's id.

        A request_id (a call and what it asked for) makes this idempotent: the same request again,
        or a retried write, queues nothing more, so a caller who asks twice gets one set of texts.
        """
        moment = at or now()
        batch = self.batch_id(request_id) or secrets.token_hex(16)
        key = self.store.number_key(number)
        rows = [{"batch": batch, "number_hash": key, "to_number": number, "from_number": from_number or None,
                 "kind": m.kind[:80], "body": m.body, "status": "queued", "attempts": 0,
                 "next_attempt_at": moment, "created_at": moment, "updated_at": moment} for m in messages]

        def write() -> None:
            with self.engine.begin() as conn:
                insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(outbox)
                conn.execute(insert.on_conflict_do_nothing(index_elements=["batch", "kind"]), rows)

        if rows:
            self.store.guarded(write)
        return batch

    # ----- the sender's side -------------------------------------------------------------------

    def claim(self, limit: int = 10, at: dt.datetime | None = None) -> list[Claimed]:
        """Take up to `limit` due messages for this sender, oldest first; no other sender gets them.

        Messages to a number that has opted out since they were queued are cancelled instead.
        """
        moment = at or now()
        opted_out = exists().where(opt_outs.c.number_hash == outbox.c.number_hash)
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.status == "queued", opted_out)
                         .values(status="cancelled", to_number=None, updated_at=moment))
            # Two steps: as a subquery, PostgreSQL may run the LIMIT ... SKIP LOCKED select more than once.
            due = conn.execute(select(outbox.c.id)
                               .where(outbox.c.status == "queued", outbox.c.next_attempt_at <= moment)
                               .order_by(outbox.c.id).limit(limit).with_for_update(skip_locked=True)).scalars().all()
            if not due:
                return []
            # The status test again: on a database without row locks (SQLite) a row another sender
            # took meanwhile is left alone, not taken twice.
            claimed = conn.execute(
                update(outbox).where(outbox.c.id.in_(due), outbox.c.status == "queued")
                .values(status="sending", claimed_by=self.worker, lease_until=moment + LEASE,
                        attempts=outbox.c.attempts + 1, updated_at=moment)
                .returning(outbox.c.id, outbox.c.to_number, outbox.c.from_number, outbox.c.body,
                           outbox.c.attempts, outbox.c.created_at, outbox.c.kind)).all()
        return sorted((Claimed(r.id, r.to_number or "", r.from_number, r.body, r.attempts, aware(r.created_at), r.kind)
                       for r in claimed), key=lambda c: c.id)

    def _settle(self, message_id: int, at: dt.datetime | None, **values: object) -> bool:
        """Record a claimed message's outcome, if this sender still holds the claim."""
        with self.engine.begin() as conn:
            done = conn.execute(update(outbox).where(outbox.c.id == message_id, outbox.c.claimed_by == self.worker,
                                                     outbox.c.status == "sending")
                                .values(claimed_by=None, lease_until=None, updated_at=at or now(), **values))
            return bool(done.rowcount)

    def sent(self, message_id: int, twilio_sid: str, at: dt.datetime | None = None) -> bool:
        """Twilio took the message: keep its SID, forget the number."""
        return self._settle(message_id, at, status="sent", twilio_sid=twilio_sid, to_number=None)

    def retry(self, message_id: int, next_attempt_at: dt.datetime, error_code: int | None,
              at: dt.datetime | None = None) -> bool:
        """A temporary error: queue the message again for later."""
        return self._settle(message_id, at, status="queued", next_attempt_at=next_attempt_at, error_code=error_code)

    def failed(self, message_id: int, error_code: int | None, status: Status = "failed",
               at: dt.datetime | None = None) -> bool:
        """A permanent error (or an unknown outcome): give the message up and forget the number."""
        return self._settle(message_id, at, status=status, error_code=error_code, to_number=None)

    def give_up_stale(self, at: dt.datetime | None = None) -> tuple[int, int]:
        """Settle what no sender will finish: claims left by a stopped sender (never retried, since
        they may have gone out) and messages queued too long. Returns (unknown, expired)."""
        moment = at or now()
        with self.engine.begin() as conn:
            unknown = conn.execute(update(outbox).where(outbox.c.status == "sending", outbox.c.lease_until < moment)
                                   .values(status="unknown", to_number=None, claimed_by=None, lease_until=None,
                                           updated_at=moment)).rowcount
            expired = conn.execute(update(outbox)
                                   .where(outbox.c.status == "queued", outbox.c.created_at < moment - GIVE_UP_AFTER)
                                   .values(status="failed", to_number=None, updated_at=moment)).rowcount
        return unknown, expired

    def status_callback(self, twilio_sid: str, twilio_status: str, error_code: int | None,
                        at: dt.datetime | None = None) -> bool:
        """Twilio's status callback for a message; a later status never goes back to an earlier one."""
        status = TWILIO_STATUSES.get(twilio_status.strip().lower())
        if status is None or status == "sent":
            return False  # nothing more than the sender already recorded
        # "delivered" may follow "undelivered" (a late delivery report); nothing goes back from a final status.
        earlier = ("sent", "undelivered") if status == "delivered" else ("sent",)

        def write() -> bool:
            with self.engine.begin() as conn:
                done = conn.execute(update(outbox)
                                    .where(outbox.c.twilio_sid == twilio_sid, outbox.c.status.in_(earlier))
                                    .values(status=status, error_code=error_code, updated_at=at or now()))
                return bool(done.rowcount)

        return self.store.guarded(write)

    # ----- what operators and the simulator see ----------------------------------------------

    def rows(self, limit: int = 50, number: str | None = None) -> list[Row]:
        """The newest messages first (one number's, when given), with numbers masked."""
        query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if number is not None:
            query = query.where(outbox.c.number_hash == self.store.number_key(number))
        with self.engine.connect() as conn:
            return [Row(r.id, aware(r.created_at), r.status, r.attempts, mask(r.to_number, r.number_hash), r.kind,
                        r.body, r.error_code) for r in conn.execute(query)]

    def received_by(self, number: str, after_id: int = 0) -> list[tuple[int, str, str]]:
        """(id, status, body) of the texts queued for or sent to a number after a given id, oldest first."""
        query = (select(outbox.c.id, outbox.c.status, outbox.c.body)
                 .where(outbox.c.number_hash == self.store.number_key(number), outbox.c.id > after_id,
                        outbox.c.status.notin_(("cancelled", "failed")))
                 .order_by(outbox.c.id))
        def read() -> list[tuple[int, str, str]]:
            with self.engine.connect() as conn:
                return [(r.id, r.status, r.body) for r in conn.execute(query)]

        return self.store.guarded(read)

    def backlog(self, at: dt.datetime | None = None) -> tuple[int, dt.timedelta]:
        """How many messages are due to be sent now, and for how long the longest-due has been (a message
        waiting out a retry's back-off is not due)."""
        moment = at or now()

        def read() -> tuple[int, dt.timedelta]:
            with self.engine.connect() as conn:
                due = (outbox.c.status == "queued") & (outbox.c.next_attempt_at <= moment)
                count, oldest = conn.execute(select(func.count(), func.min(outbox.c.next_attempt_at)).where(due)).one()
            return int(count), (moment - aware(oldest)) if oldest is not None else dt.timedelta(0)

        return self.store.guarded(read)

    def totals(self) -> dict[str, int]:
        """How many messages are in each status."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
            return {status: int(count) for status, count in rows}
