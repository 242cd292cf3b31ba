"""What callers said that the line did not understand, kept only with LEARN_PHRASES=true, so that editors
can add it as a phrase (`flask content suggestions`). An adapter: it runs SQL on the line's database, each
call a short transaction; on a call's path (app/services.learner) behind the store's deadline.

Kept, and nothing else: a short phrase (at most 5 words, digits and the words zero to nine removed)
once at least 3 different callers said it, with how many different callers said it and the last day
it was said. Until then only keyed hashes: of the phrase, and of the caller (keyed differently from
the opt-out list's, so the two cannot be joined). Both are deleted 90 days after they were last said.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Any, Callable

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from app.core.callflow import DIGIT_WORDS, normalize
from app.store.schema import MAX_PHRASE_CHARS, learned_phrases, phrase_sightings

MAX_WORDS = 5
MIN_CALLERS = 3
KEEP_DAYS = 90
Runner = Callable[[Callable[[], Any]], Any]  # runs a database call: at once, or behind Store.guarded's deadline


def _at_once(call: Callable[[], Any]) -> Any:
    return call()


def short_phrase(said: str) -> str | None:
    """What a caller said as a phrase worth keeping: lower-case words, digits and digit words removed, at
    most 5 words; None when nothing (or too much) is left."""
    words = [w for w in re.sub(r"\d+", " ", normalize(said)).split() if w not in DIGIT_WORDS and w != "oh"]
    if not words or len(words) > MAX_WORDS:
        return None
    phrase = " ".join(words)
    return phrase if len(phrase) <= MAX_PHRASE_CHARS else None


class LearnedPhrases:
    """The phrases store, on the line's database engine; every method is one short transaction."""

    def __init__(self, engine: Engine, secret: str, run: Runner = _at_once):
        self.engine = engine
        self._secret = secret.encode()
        self._run = run

    def _key(self, kind: str, value: str) -> str:
        return hmac.new(self._secret, f"learned-{kind}\n{value}".encode(), hashlib.sha256).hexdigest()

    def note(self, said: str, caller: str, today: dt.date | None = None) -> bool:
        """Count a phrase the line did not understand from this caller; True when it is now kept as text."""
        phrase = short_phrase(said)
        caller_id = "".join(ch for ch in caller if ch.isdigit() or ch == "+")
        if phrase is None or not caller_id:
            return False
        today = today or dt.date.today()
        phrase_key, caller_key = self._key("phrase", phrase), self._key("caller", caller_id)

        def write() -> bool:
            with self.engine.begin() as conn:
                _forget_old(conn, today)
                where = and_(phrase_sightings.c.phrase_key == phrase_key, phrase_sightings.c.caller_key == caller_key)
                if not conn.execute(update(phrase_sightings).where(where).values(day=today)).rowcount:
                    try:
                        with conn.begin_nested():
                            conn.execute(phrase_sightings.insert().values(phrase_key=phrase_key, caller_key=caller_key,
                                                                          day=today))
                    except IntegrityError:  # the same caller twice at once: already counted
                        pass
                callers = conn.execute(select(func.count()).select_from(phrase_sightings)
                                       .where(phrase_sightings.c.phrase_key == phrase_key)).scalar_one()
                if callers < MIN_CALLERS:
                    return False
                values = {"callers": callers, "last_day": today}
                if not conn.execute(update(learned_phrases).where(learned_phrases.c.phrase == phrase)
                                    .values(**values)).rowcount:
                    try:
                        with conn.begin_nested():
                            conn.execute(learned_phrases.insert().values(phrase=phrase, **values))
                    except IntegrityError:
                        conn.execute(update(learned_phrases).where(learned_phrases.c.phrase == phrase).values(**values))
            return True

        return bool(self._run(write))

    def phrases(self, today: dt.date | None = None) -> list[tuple[str, int]]:
        """The kept phrases and how many different callers said each, most first (old ones deleted first)."""
        def read() -> list[tuple[str, int]]:
            with self.engine.begin() as conn:
                _forget_old(conn, today or dt.date.today())
                rows = conn.execute(select(learned_phrases.c.phrase, learned_phrases.c.callers)
                                    .order_by(learned_phrases.c.callers.desc(), learned_phrases.c.phrase))
                return [(row.phrase, row.callers) for row in rows]

        return list(self._run(read))


def _forget_old(conn: Connection, today: dt.date) -> None:
    """Delete what was last said more than KEEP_DAYS days ago."""
    cutoff = today - dt.timedelta(days=KEEP_DAYS)
    conn.execute(delete(phrase_sightings).where(phrase_sightings.c.day < cutoff))
    conn.execute(delete(learned_phrases).where(learned_phrases.c.last_day < cutoff))
