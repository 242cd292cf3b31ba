"""Checks on how the line converses, behind `flask content check` (called from checks.check_line):
every turn's length before a choice, short part choices, phrases claimed twice, personal answers
(no advice, the neurologist named, emergency words first), key facts first, and every text reply.
Pure. Run `python -m app.conversation_checks` to print the longest turns a caller can hear.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from typing import Iterable, Iterator

import textstat

from . import gsm, speech
from .content import Line, Problem, load_line
from .engine import CallFlow, Input, Turn, normalize, spoken_names
from .explore import UNMATCHED_SPEECH as UNMATCHED
from .explore import basic_inputs, every_turn
from .texting import TextFlow
from .turns import State

TURN_SECONDS_ERROR = 50
TURN_SECONDS_WARNING = 45
MAX_CHOICE_WORDS = 25
MAX_SENTENCE_WORDS = 20
MAX_ANSWER_GRADE = 8.0
REVIEW_WARNING_DAYS, REVIEW_ERROR_DAYS = 183, 365
EMERGENCY_WORDS = "call 911"
# A long number, so the longest "call this number" turn is measured.
EXAMPLE_NUMBER = "+1 202 555 0100"
ALL_KEYS = "0123456789*#"
PROMISED_KEY = re.compile(r"\bpress(?:ing)?\s+(?:the\s+)?([0-9*#])\b", re.IGNORECASE)
UNSPEAKABLE = re.compile(r"https?:|\bwww\b|\.(?:com|gov|org|net)\b|[%&/@#+=]", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Telling a caller what to do about their care; the line informs, the neurologist advises.
ADVICE = re.compile(r"\b(you should|you must|you need to|we recommend|i recommend|we suggest|i suggest|"
                    r"(?:stop|start|keep) taking|do not take|don't take|it is (?:right|safe) for you)\b",
                    re.IGNORECASE)


@dataclass(frozen=True)
class TurnLength:
    """How long a caller listens before they can choose, in one turn of the call."""

    seconds: float
    words: int
    node: str
    text: str


# ----- entry point ---------------------------------------------------------------------------------

def conversation_problems(line: Line, today: dt.date, words_per_minute: int) -> list[Problem]:
    """Every problem with how the line converses (see the module's docstring)."""
    if not line.talk.say:  # conversation.yaml was refused: the loader said why
        return []
    turns = waiting_turns(line)
    return [
        *claimed_twice(line), *turn_length_problems(line, words_per_minute, turns), *choice_length_problems(line),
        *promised_key_problems(line, turns), *talk_language_problems(line), *advice_problems(line),
        *question_problems(line, today), *key_fact_problems(line), *text_reply_problems(line),
    ]


def talk_problem(line: Line, path: str, message: str, severity: str = "error") -> Problem:
    """A problem at a field of conversation.yaml or questions.yaml."""
    file, number = line.talk.where(path)
    return Problem(file, number, path, message, severity)


def line_problem(line: Line, path: str, message: str, severity: str = "error") -> Problem:
    """A problem at a field of line.yaml or a topic file."""
    where = line.where(path)
    return Problem(where.file, where.line, path.split(".", 2)[-1] if path.startswith("topics.") else path,
                   message, severity)


def question_path(line: Line, question_id: str, field: str) -> str:
    """The field path of a personal question's field in questions.yaml."""
    return f"questions[{list(line.talk.questions).index(question_id)}].{field}"


# ----- phrases ---------------------------------------------------------------------------------------

def claims(line: Line) -> Iterator[tuple[str, str, str, bool]]:
    """Each phrase a caller can say, normalized: (phrase, what it does, field path, from conversation files)."""
    talk = line.talk
    for action, reserved in line.reserved.items():
        for index, phrase in enumerate(reserved.phrases):
            yield normalize(phrase), f"the '{action}' command", f"reserved.{action}.phrases[{index}]", False
    for node, names in spoken_names(line).items():
        for name in names:
            yield name, f"{'menu' if node in line.menus else 'topic'} '{node}'", f"topics.{node}", False
    for where, groups in (("alone", talk.alone), ("anywhere", talk.anywhere)):
        for group, phrases in groups.items():
            target = "asking to end the call" if group == "maybe_end" else f"the '{group}' command"
            for index, phrase in enumerate(phrases):
                yield normalize(phrase), target, f"words.{where}.{group}[{index}]", True
    for question in talk.questions.values():
        for index, phrase in enumerate(question.phrases):
            yield (normalize(phrase), f"question '{question.id}'",
                   question_path(line, question.id, f"phrases[{index}]"), True)


def claimed_twice(line: Line) -> Iterator[Problem]:
    """A phrase in the conversation files must lead to one place only (line.yaml's own are checked there)."""
    first: dict[str, tuple[str, str, bool]] = {}
    for phrase, target, path, ours in claims(line):
        if not phrase:
            continue
        if phrase in first and first[phrase][0] != target and (ours or first[phrase][2]):
            other_target, other_path, other_ours = first[phrase]
            at, message_path = (path, other_path) if ours else (other_path, path)
            shown = other_target if ours else target
            yield talk_problem(line, at, f"saying '{phrase}' does this and also leads to {shown} ({message_path}); "
                                         f"use it for one of them only")
        first.setdefault(phrase, (target, path, ours))
    talk = line.talk
    for index, word in enumerate(talk.no):
        if normalize(word) in {normalize(w) for w in talk.yes}:
            yield talk_problem(line, f"words.no[{index}]", f"'{word}' is also a word for yes")


# ----- turns -----------------------------------------------------------------------------------------

def explored_inputs(line: Line) -> list[Input]:
    """Inputs that reach every kind of turn: each key, silence, nonsense, each command's first phrase, a
    possible goodbye, unsure speech, each personal question, and yes and no."""
    inputs = basic_inputs(ALL_KEYS)
    inputs += [Input("speech", r.phrases[0]) for r in line.reserved.values() if r.phrases]
    inputs += [Input("speech", p[0]) for p in line.talk.anywhere.values() if p]
    inputs += [Input("speech", phrases[0]) for group, phrases in line.talk.alone.items()
               if phrases and group != "goodbye"]
    inputs += [Input("speech", q.phrases[0]) for q in line.talk.questions.values() if q.phrases]
    inputs += [Input("speech", names[0], unsure=True) for names in spoken_names(line).values() if names]
    inputs += [Input("speech", q.phrases[0], unsure=True) for q in line.talk.questions.values() if q.phrases]
    inputs += [Input("speech", words[0]) for words in (line.talk.yes, line.talk.no) if words]
    return inputs


def flows(line: Line) -> list[CallFlow]:
    """The call flow with each way of reaching a person: none, a number read out, a transfer."""
    return [CallFlow(line), CallFlow(line, contact_number=EXAMPLE_NUMBER), CallFlow(line, EXAMPLE_NUMBER)]


def conversation_turns(flow: CallFlow, inputs: list[Input]) -> Iterator[Turn]:
    """Every turn a call can take, explored breadth-first like explore.every_turn, but without the
    inputs that are known to give a turn already seen: after a silence or a miss, only another one
    changes anything (any other input resets both counts), and with a question pending only its
    answers do (anything else clears it, as from the same place without it)."""
    changes_counts = [i for i in inputs if i.kind == "silence" or (i.kind == "speech" and i.value == UNMATCHED)
                      or (i.kind == "digits" and i.value in "*#")]
    answers = [Input("digits", key) for key in sorted({*flow.keys.values()})] + \
        [i for i in inputs if i.kind != "digits" and i not in changes_counts and (
            flow.hearing.yes_or_no(normalize(i.value)) is not None)] + changes_counts
    answers += [Input("speech", p) for p in line_repeat_words(flow)]
    turns = every_turn(flow, [])  # the greeting and the turns no caller asks for
    seen: set[State] = set()
    waiting: list[State] = []
    for turn in turns:
        yield turn
        if turn.state is not None and turn.state not in seen:
            seen.add(turn.state)
            waiting.append(turn.state)
    while waiting:
        state = waiting.pop()
        tried = changes_counts if (state.silences or state.misses) else answers if state.pending else inputs
        for heard in tried:
            turn = flow.respond(state, heard)
            yield turn
            if turn.state is not None and turn.state not in seen:
                seen.add(turn.state)
                waiting.append(turn.state)


def line_repeat_words(flow: CallFlow) -> list[str]:
    """The first way of saying "repeat", which a pending question answers by asking again."""
    phrases = flow.line.reserved["repeat"].phrases if "repeat" in flow.line.reserved else ()
    return list(phrases[:1])


def waiting_turns(line: Line) -> list[tuple[CallFlow, Turn]]:
    """Every different turn after which the line waits for the caller, with each way of reaching a person
    (a turn counts once for each set of keys that work after it)."""
    inputs = explored_inputs(line)
    found: dict[tuple[str, str, frozenset[str]], tuple[CallFlow, Turn]] = {}
    for flow in flows(line):
        for turn in conversation_turns(flow, inputs):
            if turn.state is not None and not turn.hangup and not turn.transfer_to:
                found.setdefault((str(turn.node), turn.text, frozenset(flow.keys_for(turn.state))), (flow, turn))
    return list(found.values())


def turn_length(turn: Turn, words_per_minute: int) -> TurnLength:
    """What a turn makes a caller listen to before they can choose: its words as spoken, and the
    seconds they take with the pauses between them."""
    words = sum(speech.spoken_word_count(s.spoken) for s in turn.segments)
    seconds = words * 60 / words_per_minute + sum(s.pause_ms for s in turn.segments[:-1]) / 1000
    return TurnLength(round(seconds, 1), words, str(turn.node), turn.text)


def longest_turns(line: Line, words_per_minute: int,
                  turns: list[tuple[CallFlow, Turn]] | None = None) -> list[TurnLength]:
    """The longest turn at each node of the call, longest first."""
    longest: dict[str, TurnLength] = {}
    for _, turn in waiting_turns(line) if turns is None else turns:
        length = turn_length(turn, words_per_minute)
        if length.node not in longest or length.seconds > longest[length.node].seconds:
            longest[length.node] = length
    return sorted(longest.values(), key=lambda t: -t.seconds)


def node_path(line: Line, node: str) -> tuple[str, bool]:
    """Where the words of a node are written: (field path, in the conversation files)."""
    kind, _, rest = node.partition(":")
    if kind == "topic":
        topic_id, _, part = rest.partition(":")
        return f"topics.{topic_id}.parts[{int(part) - 1}]", False
    if kind == "menu":
        return f"menus.{rest}.title", False
    if kind == "question" and rest in line.talk.questions:
        return question_path(line, rest, "answer"), True
    if kind == "confirm":
        return ("say.end_ask" if rest == "end" else "say.confirm_topic"), True
    return "phrases", False


def turn_length_problems(line: Line, words_per_minute: int,
                         turns: list[tuple[CallFlow, Turn]] | None = None) -> Iterator[Problem]:
    """No turn may make a caller listen more than 50 seconds (about 120 words) before they can choose:
    confirmation, heading, part, end-of-topic words and choices together."""
    for length in longest_turns(line, words_per_minute, turns):
        if length.seconds <= TURN_SECONDS_WARNING:
            continue
        path, ours = node_path(line, length.node)
        severity = "error" if length.seconds > TURN_SECONDS_ERROR else "warning"
        limit = TURN_SECONDS_ERROR if severity == "error" else f"{TURN_SECONDS_WARNING}, close to the most"
        message = (f"the turn at {length.node} makes a caller listen {length.seconds:g} s ({length.words} "
                   f"words, choices included) before they can choose; the most is {limit}: shorten it")
        yield (talk_problem if ours else line_problem)(line, path, message, severity)


def choice_length_problems(line: Line) -> Iterator[Problem]:
    """The choices after a part (go on, the part before, again, other topics) take at most about 25 words."""
    flow = CallFlow(line)
    for topic in line.topics.values():
        for part in range(len(topic.parts)) if topic.id in line.paths else ():
            turn = flow.respond(State(line.paths[topic.id], part), Input("digits", flow.keys["repeat"]))
            choices = turn.segments[-2:]
            words = sum(speech.spoken_word_count(s.spoken) for s in choices)
            if words > MAX_CHOICE_WORDS:
                name = "part_keys_first" if part == 0 else "part_keys_last" if part + 1 == len(topic.parts) \
                    else "part_keys"
                yield talk_problem(line, f"say.{name}", f"the choices after part {part + 1} of '{topic.id}' take "
                                                        f"{words} words; the most is {MAX_CHOICE_WORDS}")
                return


def promised_key_problems(line: Line, turns: list[tuple[CallFlow, Turn]] | None = None) -> Iterator[Problem]:
    """Every "press N" in a conversation sentence or answer names a key that works where it is said."""
    shared = set(line.phrases.values())
    reported: set[tuple[str, str]] = set()
    for flow, turn in waiting_turns(line) if turns is None else turns:
        works = flow.keys_for(turn.state) if turn.state else set()
        for segment in turn.segments:
            if segment.text in shared or segment.kind != "text":
                continue
            for match in PROMISED_KEY.finditer(segment.text):
                if match.group(1) not in works and (segment.text, match.group(1)) not in reported:
                    reported.add((segment.text, match.group(1)))
                    path, ours = node_path(line, str(turn.node))
                    yield (talk_problem if ours else line_problem)(
                        line, path, f"\"{segment.text}\" says '{match.group(0)}' but key {match.group(1)} does "
                                    f"nothing there (keys that work: {', '.join(sorted(works)) or 'none'})")


# ----- words -----------------------------------------------------------------------------------------

def talk_texts(line: Line) -> Iterator[tuple[str, str, bool]]:
    """Every text of the conversation files: (field path, text, whether it is spoken)."""
    talk = line.talk
    for name, text in talk.say.items():
        yield f"say.{name}", text, True
    for name, text in talk.sms.items():
        yield f"sms.{name}", text, False
    for question in talk.questions.values():
        yield question_path(line, question.id, "answer"), question.answer, True
        yield question_path(line, question.id, "text"), question.text, False


def sentences(text: str) -> list[str]:
    """A text split after each full stop, question or exclamation mark."""
    return [s for s in SENTENCE_END.split(text.strip()) if s]


def talk_language_problems(line: Line) -> Iterator[Problem]:
    """Sentences under 20 words, answers at reading grade 8 at most, nothing the voice reads badly."""
    for path, text, spoken in talk_texts(line):
        for sentence in sentences(text):
            count = len(sentence.split())
            if count > MAX_SENTENCE_WORDS:
                yield talk_problem(line, path, f"sentence \"{' '.join(sentence.split()[:8])} ...\" has {count} "
                                               f"words; the most is {MAX_SENTENCE_WORDS}")
        if spoken:
            found = dict.fromkeys(m.group(0) for m in UNSPEAKABLE.finditer(line.pronounce(text)))
            if found:
                yield talk_problem(line, path, f"the voice would read {', '.join(map(repr, found))} badly; "
                                               f"write it in words, like \"clinical trials dot gov\"")
    for question in line.talk.questions.values():
        grade = round(textstat.flesch_kincaid_grade(question.answer), 1)
        if grade > MAX_ANSWER_GRADE:
            yield talk_problem(line, question_path(line, question.id, "answer"),
                               f"reads at grade {grade}; the most for an answer is {MAX_ANSWER_GRADE:g}")


def everything_said(line: Line) -> Iterator[tuple[str, str]]:
    """Every text the line says or sends, with where it is written: (field path, text)."""
    for path, text, _ in talk_texts(line):
        yield path, text
    for name, text in line.phrases.items():
        yield f"phrases.{name}", text
    for topic in line.topics.values():
        for index, part in enumerate(topic.parts):
            yield f"topics.{topic.id}.parts[{index}]", part.text
        for index, message in enumerate(topic.sms):
            yield f"topics.{topic.id}.sms[{index}]", message


def advice_problems(line: Line) -> Iterator[Problem]:
    """The line informs and never advises: no "you should", "stop taking"... anywhere it speaks or texts."""
    for path, text in everything_said(line):
        for match in ADVICE.finditer(text):
            message = (f"'{match.group(0)}' tells a caller what to do about their care; the line informs, the "
                       f"neurologist advises: say what is known instead")
            ours = not path.startswith(("topics.", "phrases."))
            yield (talk_problem if ours else line_problem)(line, path, message)


def question_problems(line: Line, today: dt.date) -> Iterator[Problem]:
    """Each answer names the neurologist; an emergency answer starts with the emergency words; the
    answers have dated sources and a recent review."""
    talk = line.talk
    for question in talk.questions.values():
        for field, text in (("answer", question.answer), ("text", question.text)):
            if "neurologist" not in text.lower():
                yield talk_problem(line, question_path(line, question.id, field),
                                   "must name the neurologist, who is the one to advise")
            if question.emergency and EMERGENCY_WORDS not in (sentences(text) or [""])[0].lower():
                yield talk_problem(line, question_path(line, question.id, field),
                                   f"an emergency answer must begin with the emergency words ('{EMERGENCY_WORDS}')")
        if not question.phrases:
            yield talk_problem(line, question_path(line, question.id, "phrases"), "needs words that recognise it")
    for index, source in enumerate(talk.sources):
        if not (source.name and source.file and re.fullmatch(r"(19|20)\d\d(-\d\d){0,2}", source.date)):
            yield talk_problem(line, f"sources[{index}]", "needs a name, a date like 2025-10 and the seed file")
    as_of = f"as of {talk.as_of}".lower()
    for question in talk.questions.values():
        if talk.as_of and as_of not in question.answer.lower() and not question.emergency:
            yield talk_problem(line, question_path(line, question.id, "answer"),
                               f"must say '{as_of}', so callers know how recent the facts are", "warning")
    if talk.reviewed:
        age = (today - talk.reviewed).days
        if age < 0:
            yield talk_problem(line, "reviewed", f"{talk.reviewed} is after today ({today})")
        elif age > REVIEW_ERROR_DAYS:
            yield talk_problem(line, "reviewed", f"{talk.reviewed} is more than 12 months ago; check the answers "
                                                 f"against their sources and update the date")
        elif age > REVIEW_WARNING_DAYS:
            yield talk_problem(line, "reviewed", f"{talk.reviewed} is more than 6 months ago; check the answers "
                                                 f"soon", "warning")


def key_fact_problems(line: Line) -> Iterator[Problem]:
    """Each topic's key fact is in its first spoken part and its first text message."""
    facts = line.talk.key_facts
    for topic in line.topics.values():
        fact = facts.get(topic.id)
        if not fact:
            yield talk_problem(line, "key_facts", f"gives no key fact for topic '{topic.id}'")
            continue
        if line.pronounce(fact).lower() not in line.pronounce(topic.parts[0].text).lower():
            yield line_problem(line, f"topics.{topic.id}.parts[0]",
                               f"the first part must say the topic's key fact, '{fact}' (conversation.yaml)")
        if topic.sms and fact.lower() not in topic.sms[0].lower():
            yield line_problem(line, f"topics.{topic.id}.sms[0]",
                               f"the first text message must say the topic's key fact, '{fact}'")


# ----- text replies ----------------------------------------------------------------------------------

def text_replies(line: Line) -> Iterator[tuple[str, str, int]]:
    """Every reply the text flow can send that the conversation files shape: (field path, body, most segments)."""
    texts = TextFlow(line)
    yield "sms.thanks", texts.reply("thanks", None).body, 1
    yield "sms.unknown", texts.reply("purple elephant umbrella", None).body, gsm.MAX_SEGMENTS
    for question in line.talk.questions.values():
        yield question_path(line, question.id, "text"), texts._answer(question.id, None).body, gsm.MAX_SEGMENTS
    for topic in line.topics.values():
        for index in range(len(topic.sms)):
            yield "sms.part_mark", texts.topic_message(topic.id, index), gsm.MAX_SEGMENTS


def text_reply_problems(line: Line) -> Iterator[Problem]:
    """Every such reply is plain GSM-7 text in its most segments (thanks: one; the rest: two). A topic's
    own message the loader checks already: here only what the part mark adds to it."""
    topic_messages = {TextFlow(line).topic_message(t.id, i): line.topic_sms(t, i)
                      for t in line.topics.values() for i in range(len(t.sms))}
    for path, body, most in text_replies(line):
        unmarked = topic_messages.get(body)
        if unmarked is not None and gsm.segment_count(unmarked) > most:
            continue
        bad = list(gsm.non_gsm7_characters(body)) if unmarked is None else []
        if bad:
            yield talk_problem(line, path, f"character {bad[0][1]!r} is not plain GSM-7 text")
        segments = gsm.segment_count(body)
        if segments > most:
            yield talk_problem(line, path, f"the reply \"{body[:40]}...\" is {gsm.septet_length(body)} characters, "
                                           f"{segments} segments; the most is {most}")


def _report(lengths: Iterable[TurnLength], words_per_minute: int) -> str:
    rows = [f"{t.seconds:5.1f} s  {t.words:3d} words  {t.node}" for t in lengths]
    return f"Longest turns before a choice, at {words_per_minute} words a minute (pauses included):\n" + "\n".join(rows)


if __name__ == "__main__":
    from .config import DEFAULTS

    wpm = int(DEFAULTS["WORDS_PER_MINUTE"])
    print(_report(longest_turns(load_line(DEFAULTS["CONTENT_DIR"], DEFAULTS["CONTENT_LANGUAGE"]), wpm)[:8], wpm))
    sys.exit(0)
