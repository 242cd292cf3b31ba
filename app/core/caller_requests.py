"""What a call says and asks for when it remembers its caller: texts sent during a call, where the last
call ended, the speed of the voice, forgetting. Pure: sentences come from the content, and the
web layer does what a Turn's Request asks (queue texts, erase) and reports the Outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from app.core import pace
from app.core.content import Line, Topic

# What came of "text me this": texts queued (first: the number never asked before), or why not.
TextOutcome = Literal["queued", "queued-first", "already", "opted-out", "limit", "no-number", "failed"]
ForgetOutcome = Literal["forgotten", "failed"]
Outcome = TextOutcome | ForgetOutcome  # what came of a request
TEXT_OUTCOMES: tuple[TextOutcome, ...] = get_args(TextOutcome)
FORGET_OUTCOMES: tuple[ForgetOutcome, ...] = get_args(ForgetOutcome)
# "language": switch the call to another language's line (its code in `topic`).
RequestKind = Literal["text", "forget", "language"]
SpeedAction = Literal["slower", "faster", "normal"]


@dataclass(frozen=True)
class Request:
    """Something only the web layer can do for a turn: text a topic ("" for the list), forget the caller, or
    go on in another language (its code in `topic`)."""

    kind: RequestKind
    topic: str = ""


def texts_for(line: Line, topic_id: str) -> list[tuple[str, str]]:
    """The messages "text me this" sends, as (what it is, words): every text message of a topic, the
    last with its footer; or the list of topics."""
    if not topic_id:
        return [("menu", line.sms.texts["menu"])]
    topic: Topic = line.topics[topic_id]
    count = len(topic.sms)
    messages = []
    for index, text in enumerate(topic.sms):
        # Marked "2/3" as on the text line (texts may arrive out of order); no "Reply MORE": all are sent.
        mark = line.talk.sms["part_mark"].format(number=index + 1, count=count) if count > 1 else ""
        footer = line.sms.texts["last_footer"] if index == count - 1 else ""
        messages.append((f"topic:{topic.id}:{index + 1}", " ".join(p for p in (mark, text, footer) if p)))
    return messages


def text_lead(line: Line, topic_id: str, outcome: Outcome) -> list[str]:
    """What the line says after "text me this", before carrying on where the call was."""
    templates, phrases = line.templates, line.phrases
    word = line.topics[topic_id].sms_keyword if topic_id else line.lang.list_word
    if outcome in ("queued", "queued-first"):
        said = [templates["text_topic"].format(title=line.topics[topic_id].title) if topic_id
                else phrases["text_list"]]
        return said + ([templates["text_first"].format(word=word)] if outcome == "queued-first" else [])
    if outcome == "already":  # asked again on the same call: nothing is sent twice
        return [phrases["text_already"]]
    if outcome == "opted-out":
        return [phrases["text_opted_out"]]
    if outcome == "limit":
        return [phrases["text_limit"]]
    if outcome == "no-number":
        return [templates["text_no_number"].format(word=word)]
    return [templates["text_failed"].format(word=word)]


def speed_change(action: SpeedAction, speed_step: int, by_key: bool) -> tuple[int, str]:
    """The new speed step and the phrase that says so. The slower key, pressed at the slowest, goes back to
    normal: a caller with only a keypad can undo it."""
    if action == "normal":
        return 0, "speed_normal"
    if action == "faster":
        return (speed_step + 1, "speed_faster") if speed_step < pace.FASTEST else (speed_step, "speed_fastest")
    if speed_step > pace.SLOWEST:
        return speed_step - 1, "speed_slower"
    return (0, "speed_normal") if by_key else (speed_step, "speed_slowest")


def resume_offer(line: Line, topic_id: str, part: int, key: str) -> str:
    """ "Last time you were listening to Side effects, part 3. To go on from there, press 1, or say go on." """
    topic = line.topics[topic_id]
    if len(topic.parts) == 1:
        return line.templates["resume_one_part"].format(title=topic.title, key=key)
    return line.templates["resume"].format(title=topic.title, number=part + 1, key=key)
