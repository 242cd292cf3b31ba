"""Text-message conversations as pure functions: which kind of message this is, and the reply."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from rapidfuzz.distance import OSA

from app.core.content import MAIN_MENU, Line
from app.core.hearing import Hearing, Meaning, understood
from app.core.language import fold_accents
from app.core.node import Node

OptOutGroup = Literal["stop", "start", "help"]
OPT_OUT_GROUPS: tuple[OptOutGroup, ...] = ("stop", "start", "help")
# The understanding's name for each group's meaning in plain words.
SMS_GROUPS: dict[OptOutGroup, str] = {"stop": "opt_out", "start": "start", "help": "help"}
FUZZY_CUTOFF = 0.75
# Only a short message is read for topic words: a long one is a question, read whole for that.
MAX_WORDS_READ = 8
MAX_SWITCH_WORDS = 10  # "can you go back to English" switches; a longer sentence that mentions Spanish does not
# Keywords outweigh synonyms when a sentence holds words of two topics.
KEYWORD_WEIGHT, SYNONYM_WEIGHT = 2, 1
# A near miss of MORE ("MROE", "MOER") needs at least this many letters; "M" alone is a keyword.
MIN_NEAR_MORE = 3
MIN_NEAR_STOP = 4  # "TOP" or "SOP" is too short to be taken for STOP
REAL_WORD_ZIPF = 2.0  # a word met less often than this (wordfreq's scale) is no word of the language
CLAUSE_END = re.compile(r"[,.!;:?\n]")  # where a message's first clause ends ("Stop, this is a scam")


@dataclass(frozen=True)
class Position:
    """The topic a texter is reading and the next message of it to send on MORE."""

    topic: str
    next_part: int


@dataclass(frozen=True)
class Reply:
    """What to send back and where the texter now is."""

    body: str
    position: Position | None
    node: Node
    understood: str = ""  # what the line took the message to mean ("sms:more", "question:cost", "nothing")


@lru_cache(maxsize=512)  # a message is normalised by every check of it (opt-out, language, forget, reply)
def normalize_sms(message: str) -> str:
    """Upper-case words only, accents folded ("MÁS" is "MAS"), as carriers compare keywords."""
    return " ".join(re.sub(r"[^A-Z0-9 ]+", " ", fold_accents(message.upper())).split())


class TextFlow:
    """Answers texters from the content; keeps no state of its own."""

    def __init__(self, line: Line):
        self.line = line
        self.keywords = {topic.sms_keyword: topic.id for topic in line.topics.values()}
        self.synonyms = {word: topic.id for topic in line.topics.values() for word in topic.sms_synonyms}
        for index, topic_id in enumerate(self._topics_in_menu_order(), start=1):
            self.keywords.setdefault(str(index), topic_id)
        self.typo_targets = [w for w in (*self.keywords, *self.synonyms) if len(w) > 2 and " " not in w]
        talk = line.talk
        self.hearing = Hearing.of(line)
        self.question_words = set(talk.sms_words.get("question_words", ()))
        self.thanks = sorted({normalize_sms(w) for w in talk.sms_words.get("thanks_words", ())} - {""},
                             key=lambda w: -len(w.split()))
        self.more_words = [w for w in line.sms.keywords["more"] if len(w) >= MIN_NEAR_MORE]
        self.stop_words = [w for w in line.sms.keywords["stop"] if " " not in w and len(w) >= MIN_NEAR_STOP]
        self.language_names = {normalize_sms(name) for name in line.lang.names}
        # "Hi, what are the risks?" asks for the topic; "not risks, show me the menu" does not.
        self.greetings = {normalize_sms(w) for w in line.sms.keywords["menu"] if len(w.split()) == 1}
        # Words that show a message is in this language: its common words and its topics' text words.
        self.own_words = line.lang.common_words | {w.lower() for w in (*self.keywords, *self.synonyms)
                                                   if not w.isdigit()}

    def _topics_in_menu_order(self, menu_id: str = MAIN_MENU) -> list[str]:
        """Topics in the order a caller meets them in the menus, so texters can reply 1, 2, 3..."""
        order: list[str] = []
        for option in self.line.menus[menu_id].options:
            if option.kind == "topic":
                order.append(option.target)
            else:
                order += self._topics_in_menu_order(option.target)
        return list(dict.fromkeys(order))

    def opt_out_group(self, message: str, emergency_elsewhere: bool = False) -> OptOutGroup | None:
        """Whether a message is a STOP, START or HELP, and which: a keyword (or listed phrase) as the whole
        message or as its first clause ("Stop, this is a scam"), or the same meaning in plain words ("please
        take my number off", "what is this?"), unless it tells of an emergency (here, or as another language
        reads it: `emergency_elsewhere`), which is answered first."""
        text = normalize_sms(message)
        for group in OPT_OUT_GROUPS:
            if text in self.line.sms.keywords[group]:
                return group
        if not text:
            return "help" if "?" in message else None  # "?" alone asks what this is
        if self._misspelt_stop(text):
            return "stop"
        meaning = self.hearing.read(message)  # an opt-out even on a doubt: one missed is worse than one asked
        if self._stop_first(message) and not (emergency_elsewhere or self._emergency(meaning)):
            return "stop"  # "Stop, this is a scam", "STOP!! who is this": the rest says why, or asks what it is
        return next((g for g in OPT_OUT_GROUPS if (meaning.kind, meaning.name) == ("sms", SMS_GROUPS[g])), None)

    def _stop_first(self, message: str) -> bool:
        """Whether a message's first clause, followed by more, is a STOP keyword on its own."""
        first, *rest = CLAUSE_END.split(message.strip(), maxsplit=1)
        return bool(rest) and normalize_sms(first) in self.line.sms.keywords["stop"]

    def _emergency(self, meaning: Meaning) -> bool:
        return meaning.kind == "question" and self.line.talk.questions[meaning.name].emergency

    def tells_of_emergency(self, message: str) -> bool:
        """Whether a message, read in this language, tells of an emergency (its reading is cached)."""
        return self._emergency(self.hearing.read(message))

    def _misspelt_stop(self, text: str) -> bool:
        """STOP said twice or with courtesy words ("STOP STOP", "STOP porfa"), or one word a slip of a finger
        from an opt-out word ("STPO", "SSTOP", "STOO") that is no word of the language's ("SHOP", "SPOT"):
        carriers ask that an opt-out by any reasonable means be honoured."""
        words = text.split()
        if len(words) > 1:  # "STOP STOP", or STOP with only courtesy words ("STOP porfa", "STOP thanks")
            said = self.hearing.normalize(text)
            return words[0] in self.line.sms.keywords["stop"] and (
                len(set(words)) == 1 or self.hearing.without_fillers(said) == said.split()[0])
        word = words[0]
        if len(word) < MIN_NEAR_STOP or not word.isalpha() or self.knows_word(word):
            return False
        if not any(OSA.distance(word, stop) <= 1 or sorted(word) == sorted(stop) for stop in self.stop_words):
            return False
        from wordfreq import zipf_frequency  # only for a near miss: loading its lists takes a tenth of a second
        return zipf_frequency(word.lower(), self.line.lang.wordfreq) < REAL_WORD_ZIPF

    def names_language(self, message: str) -> bool:
        """Whether a whole message names this line's language ("ESPAÑOL", "SPANISH"): a switch to it."""
        return normalize_sms(message) in self.language_names

    def language_asked(self, message: str, read: bool = True) -> str | None:
        """The language a message asks for: a whole message naming this line's language ("ESPAÑOL"), or, if
        `read` (the texter's own language), a short one asking for any in its words ("spanish pls", "en
        inglés por favor"; never "don't send it in Spanish", as another language's words might read it)."""
        if self.names_language(message):
            return self.line.language
        if read and len(normalize_sms(message).split()) <= MAX_SWITCH_WORDS:
            meaning = self.hearing.read(message)
            if meaning.kind == "language" and meaning.sure:
                return meaning.name
        return None

    def knows_word(self, message: str) -> bool:
        """Whether a whole message is one of this line's own words: a keyword, a topic's word or a number."""
        text = normalize_sms(message)
        return text in self.keywords or text in self.synonyms or any(
            text in words for words in self.line.sms.keywords.values())

    def plainly_in_language(self, message: str) -> bool:
        """Whether a message is plainly in this line's language: one of its own words that is not a number,
        or more than half its words the language's common words or its topics' words ("hola, qué es CAR-T")."""
        text = normalize_sms(message)
        if not text or text.isdigit():
            return False
        return self.knows_word(message) or 2 * self.share_of_own_words(message) > 1

    def share_of_own_words(self, message: str) -> float:
        """How many of a message's words are this language's common words or its topics' words, as a share."""
        words = normalize_sms(message).lower().split()
        return sum(word in self.own_words for word in words) / len(words) if words else 0.0

    def is_forget(self, message: str) -> bool:
        """Whether a message asks the line to erase what it keeps about the number (FORGET, "delete my info")."""
        if normalize_sms(message) in self.line.sms.keywords.get("forget", ()):
            return True
        meaning = self.hearing.read(message)
        return (meaning.kind, meaning.name) == ("command", "forget")

    def reply(self, message: str, position: Position | None) -> Reply:
        """The reply to one inbound message that is not STOP, START or HELP."""
        text = normalize_sms(message)
        if not text:
            # Only emoji or symbols ("\U0001F44D", ":)") are a nod, not a request; an empty message gets the list.
            return self._thanks(position) if message.strip() else self._menu(position)
        meaning = self.hearing.read(message)
        said = understood(meaning)
        if self._emergency(meaning):
            return self._answer(meaning.name, position)  # an emergency before anything else
        return replace(self._reply(text, meaning, position), understood=said)

    def _reply(self, text: str, meaning: Meaning, position: Position | None) -> Reply:
        words = text.split()[:MAX_WORDS_READ]
        more = self.line.sms.keywords["more"]
        if text in more or self._near_more(text):
            return self._more(position)
        if text in self.line.sms.keywords["menu"]:
            return self._menu(position)
        if self._is_thanks(text):
            return self._thanks(position)
        if text in self.keywords or text in self.synonyms:
            return self._send(self.keywords.get(text) or self.synonyms[text], 0)
        if meaning.kind == "question":
            return self._answer(meaning.name, position)
        if meaning.kind == "node":
            return self._send(meaning.name, 0) if meaning.name in self.line.topics else self._menu(position)
        if meaning.kind in ("sms", "command"):
            # A greeting is a word of the list's ("Hi", "Hola"), but "hi, what are the risks?" asks for a topic.
            greeted = self._find_topic(text, words, question_words=False) \
                if meaning.name == "menu" and words and words[0] in self.greetings else None
            if greeted:
                return self._send(greeted, 0)
            answered = self._request(meaning.name, position)
            if answered:
                return answered
        if meaning.kind != "nothing" or self.hearing.understanding.found(text, "sms"):
            return self._unknown(position)  # words the line knows, but no request: never a guess past them
        topic_id = self._find_topic(text, words)
        if topic_id:
            return self._send(topic_id, 0)
        # "tell me more", "more please"; a one-letter keyword (M) only as the whole message: "I'm" is read "I M"
        if any(word in more and len(word) > 1 for word in words):
            return self._more(position)
        return self._unknown(position)

    def _request(self, name: str, position: Position | None) -> Reply | None:
        """The reply to a request in plain words: more, the list, how to stop, a person, that again."""
        texts = self.line.sms.texts
        if name == "more":
            return self._more(position)
        if name == "menu":
            return self._menu(position)
        if name == "thanks":
            return self._thanks(position)
        if name == "maybe_opt_out":
            return Reply(texts["maybe_stop"], position, Node("maybe-stop"))
        if name == "person":
            return Reply(texts["person"], position, Node("person"))
        if name == "repeat" and position is not None and position.topic in self.line.topics:
            return self._send(position.topic, max(0, position.next_part - 1))
        return None

    def _near_more(self, text: str) -> bool:
        """A one-word near miss of MORE or NEXT ("MROE", "MOER", "NEXY") that is no topic's word."""
        if " " in text or len(text) < MIN_NEAR_MORE or text in self.keywords or text in self.synonyms:
            return False
        if any(sorted(text) == sorted(word) for word in self.more_words):
            return True
        close = difflib.get_close_matches(text, [*self.more_words, *self.typo_targets], n=1, cutoff=FUZZY_CUTOFF)
        return bool(close) and close[0] in self.more_words

    def _is_thanks(self, text: str) -> bool:
        """A message made only of thanks and OK words ("OK thanks", "Thank you so much")."""
        padded = f" {text} "
        for word in self.thanks:
            padded = padded.replace(f" {word} ", " ")
        return not padded.strip()

    def _find_topic(self, text: str, words: list[str], question_words: bool = True) -> str | None:
        """The topic a short message asks for by its text words: the best-supported topic in a sentence.

        Each topic's words (and word pairs, "SIDE EFFECTS") found count; on a tie the later word
        wins, since the subject comes after the question word. A topic word that is a question word
        ("WHAT") counts only when nothing else does ("what are the side effects" is about RISKS), and not
        at all beside a request for the list (`question_words` False: "what are the options").
        """
        padded = f" {' '.join(words)} "
        scores: dict[str, tuple[int, int]] = {}
        asked: dict[str, tuple[int, int]] = {}
        for table, weight in ((self.keywords, KEYWORD_WEIGHT), (self.synonyms, SYNONYM_WEIGHT)):
            for word, topic_id in table.items():
                at = padded.find(f" {word} ")
                if word.isdigit() or at < 0:
                    continue
                into = asked if word in self.question_words else scores
                total, last = into.get(topic_id, (0, -1))
                into[topic_id] = (total + weight * len(word.split()), max(last, at))
        for found in (scores, asked) if question_words else (scores,):
            if found:
                return max(found, key=found.__getitem__)
        return None  # misspelt words were found by the understanding already

    def _thanks(self, position: Position | None) -> Reply:
        return Reply(self.line.talk.sms["thanks"], position, Node("thanks"))

    def _unknown(self, position: Position | None) -> Reply:
        """The topic list, after one line on what the line can and cannot do."""
        body = f"{self.line.talk.sms['unknown']} {self.line.sms.texts['menu']}"
        return Reply(body, position, Node.menu())

    def _answer(self, question_id: str, position: Position | None) -> Reply:
        """A personal question's plain answer, and the word that sends the topic it offers."""
        question = self.line.talk.questions[question_id]
        offer = self.line.topics[question.offer]
        body = f"{question.text} {self.line.talk.sms['offer'].format(word=offer.sms_keyword, label=offer.label)}"
        return Reply(body, position, Node("question", question_id))

    def _menu(self, position: Position | None) -> Reply:
        # The texter keeps their place: MORE after the list goes on where they were.
        return Reply(self.line.sms.texts["menu"], position, Node.menu())

    def _more(self, position: Position | None) -> Reply:
        if position is None or position.topic not in self.line.topics:
            return self._menu(None)
        topic = self.line.topics[position.topic]
        if position.next_part >= len(topic.sms):
            return Reply(self.line.sms.texts["no_more"], position, Node("topic-end", topic.id))
        return self._send(topic.id, position.next_part)

    def _send(self, topic_id: str, index: int) -> Reply:
        return Reply(self.topic_message(topic_id, index), Position(topic_id, index + 1),
                     Node.topic(topic_id, index + 1))

    def topic_message(self, topic_id: str, index: int) -> str:
        """Message number `index` of a topic as sent: which part it is ("2/3"), the text, its footer."""
        topic = self.line.topics[topic_id]
        body = self.line.topic_sms(topic, index)
        if len(topic.sms) == 1:
            return body
        mark = self.line.talk.sms["part_mark"].format(number=index + 1, count=len(topic.sms))
        return f"{mark} {body}"
