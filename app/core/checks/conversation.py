"""Checks on how the line converses, behind `flask content check` (called from checks.check_line):
every turn's length before a choice, short part choices, phrases claimed twice, personal answers
(no advice, the neurologist named, emergency words first), key facts first, and every text reply.
Pure. Run `python -m app.checks.listening` to print the longest turns a caller can hear.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterator, Sequence

from app.core import gsm, speech
from app.core.callflow import CallFlow, Input, Turn, spoken_names
from app.core.checks.fields import line_problem, question_path, talk_problem
from app.core.checks.language import reading_score
from app.core.checks.listening import node_path, turn_length_problems, waiting_turns
from app.core.checks.trust import review_problem
from app.core.content import Line, Problem
from app.core.language import fold_accents
from app.core.textflow import TextFlow
from app.core.turns import State

MAX_CHOICE_WORDS = 25


# ----- entry point ---------------------------------------------------------------------------------

def conversation_problems(line: Line, today: dt.date, words_per_minute: int,
                          others: Sequence[Line] = ()) -> list[Problem]:
    """Every problem with how the line converses (see the module's docstring); `others` are the languages
    the greeting offers besides the line's own."""
    if not line.talk.say:  # conversation.yaml was refused: the loader said why
        return []
    turns = waiting_turns(line, others)
    return [
        *claimed_twice(line), *turn_length_problems(line, words_per_minute, turns), *choice_length_problems(line),
        *promised_key_problems(line, turns), *talk_language_problems(line), *advice_problems(line),
        *question_problems(line, today), *key_fact_problems(line), *text_reply_problems(line),
    ]


# ----- phrases ---------------------------------------------------------------------------------------

def claims(line: Line) -> Iterator[tuple[str, str, str, bool]]:
    """Each phrase a caller can say, normalized: (phrase, what it does, field path, from conversation files)."""
    talk = line.talk
    for action, reserved in line.reserved.items():
        for index, phrase in enumerate(reserved.phrases):
            yield line.lang.normalize(phrase), f"the '{action}' command", f"reserved.{action}.phrases[{index}]", False
    for node, names in spoken_names(line).items():
        for name in names:
            yield name, f"{'menu' if node in line.menus else 'topic'} '{node}'", f"topics.{node}", False
    for where, groups in (("alone", talk.alone), ("anywhere", talk.anywhere)):
        for group, phrases in groups.items():
            target = "asking to end the call" if group == "maybe_end" else f"the '{group}' command"
            for index, phrase in enumerate(phrases):
                yield line.lang.normalize(phrase), target, f"words.{where}.{group}[{index}]", True
    for question in talk.questions.values():
        for index, phrase in enumerate(question.phrases):
            yield (line.lang.normalize(phrase), f"question '{question.id}'",
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
        if line.lang.normalize(word) in {line.lang.normalize(w) for w in talk.yes}:
            yield talk_problem(line, f"words.no[{index}]", f"'{word}' is also a word for yes")


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
    editorial = line.lang.editorial
    reported: set[tuple[str, str]] = set()
    for flow, turn in waiting_turns(line) if turns is None else turns:
        works = flow.keys_for(turn.state) if turn.state else set()
        for segment in turn.segments:
            if segment.text in shared or segment.kind != "text":
                continue
            for match in editorial.promised_key.finditer(segment.text):
                key = editorial.key_names.get(match.group(1).lower(), match.group(1))
                if re.fullmatch(r"[0-9*#]", key) and key not in works and (segment.text, key) not in reported:
                    reported.add((segment.text, key))
                    path, ours = node_path(line, str(turn.node))
                    yield (talk_problem if ours else line_problem)(
                        line, path, f"\"{segment.text}\" says '{match.group(0)}' but key {key} does "
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


def talk_language_problems(line: Line) -> Iterator[Problem]:
    """Short sentences, answers as easy to read as any part, nothing the voice reads badly."""
    editorial, readability = line.lang.editorial, line.lang.readability
    for path, text, spoken in talk_texts(line):
        for sentence in editorial.sentences(text):
            count = len(sentence.split())
            if count > editorial.max_sentence_words:
                yield talk_problem(line, path, f"sentence \"{' '.join(sentence.split()[:8])} ...\" has {count} "
                                               f"words; the most is {editorial.max_sentence_words}")
        if spoken:
            found = dict.fromkeys(m.group(0) for m in editorial.unspeakable.finditer(line.pronounce(text)))
            if found:
                yield talk_problem(line, path, f"the voice would read {', '.join(map(repr, found))} badly; "
                                               f"write it in words, like \"clinical trials dot gov\"")
    for question in line.talk.questions.values():
        score = reading_score(question.answer, line.lang)
        if readability.too_hard(score, readability.part_limit):
            yield talk_problem(line, question_path(line, question.id, "answer"),
                               f"reads at {score} ({readability.formula}); the limit for an answer is "
                               f"{readability.part_limit:g}")


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
    """The line informs and never advises: no "you should", "stop taking"... in the conversation files. (The
    same rule, Editorial.gives_advice, checks topics and line.yaml in checks/safety.py.)"""
    editorial = line.lang.editorial
    for path, text in everything_said(line):
        if path.startswith(("topics.", "phrases.")):
            continue  # safety_problems reports these, once
        for sentence in editorial.sentences(text):
            said = editorial.gives_advice(sentence)
            if said:
                yield talk_problem(line, path, f"'{said}' tells a caller what to do about their care; the line "
                                               f"informs, the neurologist advises: say what is known instead")


def question_problems(line: Line, today: dt.date) -> Iterator[Problem]:
    """Each answer names the neurologist; an emergency answer starts with the emergency words; the
    answers have dated sources and a recent review."""
    talk, editorial = line.talk, line.lang.editorial
    for question in talk.questions.values():
        for field, text in (("answer", question.answer), ("text", question.text)):
            if fold_accents(editorial.neurologist.lower()) not in fold_accents(text.lower()):
                yield talk_problem(line, question_path(line, question.id, field),
                                   f"must name the {editorial.neurologist}, who is the one to advise")
            first = (editorial.sentences(text) or [""])[0].lower()
            if question.emergency and editorial.emergency_words not in first:
                yield talk_problem(line, question_path(line, question.id, field), f"an emergency answer must begin "
                                   f"with the emergency words ('{editorial.emergency_words}')")
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
    if talk.reviewed and (found := review_problem(talk.reviewed, today, "the answers against their sources")):
        yield talk_problem(line, "reviewed", *found)


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
    texts, alphabet = TextFlow(line), line.lang.sms
    most = alphabet.max_segments
    thanks = next(iter(line.talk.sms_words.get("thanks_words", ())), "thanks")
    yield "sms.thanks", alphabet.fold(texts.reply(thanks, None).body), 1
    yield "sms.unknown", alphabet.fold(texts.reply("purple elephant umbrella", None).body), most
    for question in line.talk.questions.values():
        yield question_path(line, question.id, "text"), alphabet.fold(texts._answer(question.id, None).body), most
    for topic in line.topics.values():
        for index in range(len(topic.sms)):
            yield "sms.part_mark", alphabet.fold(texts.topic_message(topic.id, index)), most


def text_reply_problems(line: Line) -> Iterator[Problem]:
    """Every such reply is plain GSM-7 text in its most segments (thanks: one; the rest: two). A topic's
    own message the loader checks already: here only what the part mark adds to it."""
    fold = line.lang.sms.fold
    topic_messages = {fold(TextFlow(line).topic_message(t.id, i)): fold(line.topic_sms(t, i))
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

