"""The meaning of a message, decided with a margin and safety first.

Every intent whose classes are all found (and not negated) gets a score: the words its classes cover,
a guessed word counting less. Then, in this order: an emergency beats everything (unless every symptom in
it is only named as the subject of what the line read, or as the reason for asking it to wait, text, slow
down or repeat, and nothing says it is happening now); a plain-words opt-out
beats all but an emergency; a question about one's own care beats a subject named beside it; a
goodbye counts only when nothing else was said, and never on a guess. A clear winner is `sure`; a
weak one, or two close ones, are not, and the call flow asks before acting on them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Hashable, Iterable, Literal

from app.core.content import Line
from app.core.content.concepts import Concepts, Element, Intent, Pattern
from app.core.language import Language
from app.core.understanding.classes import ClassIndex, Found, by_first_word, contains
from app.core.understanding.nearest import NearestExamples
from app.core.understanding.normalise import CLAUSE, Normaliser
from app.core.understanding.soundalike import SoundAlikes

MeaningKind = Literal["command", "node", "question", "maybe_end", "nothing", "sms", "language", "declined"]
Channel = Literal["voice", "sms"]
GUESS_WEIGHT = 0.7  # a word found by sound or spelling counts this much
WEAK = 0.75  # a best score below this is asked about
CLOSE = 0.75  # a runner-up of the same rank within this share of the best is asked about
MAX_TEXT = 600
UNDERSTOOD_CACHE = 2048
GOODBYE = "command:goodbye"
MAYBE_END = "maybe_end"
OPT_OUT = "sms:opt_out"
THANKS = "sms:thanks"  # thanks beside a request is no request: "thanks, and what does it cost?"
NEAREST_SIMILARITY = 0.4  # the nearest example must share this much (cosine) to be asked about
NEAREST_SHORT = 3  # "what", "okay so", "I know": under this many words, only an example of the same words counts
NEAREST_SIMILARITY_SHORT = 0.8
MAX_INDEXES = 4
SPEEDS = frozenset({"command:slower", "command:faster", "command:normal"})
# Requests of how the line works that a difficulty of MS may be the reason for ("my speech is slow, wait for me");
# not help ("I'm shaking, I need help" is a call for help) and not a person (who may not be there to answer).
FOR_THE_LINE = frozenset({"command:text", "command:more-time", "command:slower", "command:repeat"})
# Moves within the call: done on a guess or after a "no" ("no, take me back to the subjects"), because nothing
# is sent, erased, transferred, switched, opted in or out, or ended by them.
MOVES = frozenset({"command:repeat", "command:next", "command:previous", "command:back", "command:main",
                   "command:help", "command:slower", "command:faster", "command:normal", "command:more-time"})
# Besides what is harmless, what the nearest examples may be taken to mean: replies by text, and asking
# "Do you want to end the call?".
GUESSABLE = frozenset({"sms:help", "sms:more", "sms:menu", "sms:thanks", "sms:maybe_opt_out", MAYBE_END})
KINDS: dict[str, MeaningKind] = {"command": "command", "topic": "node", "menu": "node", "question": "question",
                                 "sms": "sms", "language": "language"}


@dataclass(frozen=True)
class Meaning:
    """What words mean: a command, a node (topic or menu), a personal question, a possible goodbye, a
    text-message request (sms: opt_out, maybe_opt_out, start, help, more, menu), another language, a
    request said not to be wanted (declined: "no need to send me a text", named by what it declines), or
    nothing. `sure` is False when the line should ask before acting on it."""

    kind: MeaningKind
    name: str = ""
    sure: bool = True

    @classmethod
    def of(cls, intent: str, sure: bool = True) -> Meaning:
        """The Meaning an intent's name ("question:cost", "maybe_end") stands for."""
        kind, _, name = intent.partition(":")
        return cls(KINDS.get(kind, "maybe_end"), name, sure)


NOTHING = Meaning("nothing")


@dataclass(frozen=True)
class Scored:
    """One intent's best score in a message, and whether only guessed words made it."""

    intent: str
    score: float
    rank: int
    guessed: bool = False
    start: int = 0  # where its first word is: of two equal meanings, the one said first is the request


_INDEXES: dict[Hashable, NearestExamples] = {}


def harmless(meaning: Meaning) -> bool:
    """Whether acting on a meaning only moves within the call or answers: a subject, a question that is no
    emergency's, or a move; never a text sent, an erasure, a transfer, a switch, an opt-out or a goodbye."""
    if meaning.kind in ("node", "question"):
        return True
    return meaning.kind == "command" and f"command:{meaning.name}" in MOVES


def real_words(line: Line) -> list[str]:
    """The line's own texts: words spelt right, which are never taken for misspellings of others."""
    texts = [part.text for topic in line.topics.values() for part in topic.parts]
    texts += [q.answer for q in line.talk.questions.values()]
    return texts + list(line.phrases.values())


def _classes(intents: Iterable[Intent]) -> set[str]:
    """The classes some of these intents use."""
    return {e.name for intent in intents for p in intent.patterns for e in p.elements}


class Understanding:
    """Understands one language's messages from its content's word classes, intents and listed phrases."""

    def __init__(self, line: Line, language: Language, examples: Iterable[tuple[str, str, str]] = ()):
        """`examples` are listed phrases as (intent, phrase, channel): they feed the same matcher."""
        concepts = line.concepts
        self.normaliser = Normaliser(language, concepts.rewrite)
        members: dict[str, list[str]] = {name: list(phrases) for name, phrases in concepts.classes.items()}
        intents: list[Intent] = list(concepts.intents)
        # A listed phrase that a class of its intent already holds keeps that class's weight ("help" x0.5).
        covered = {(i.meaning, self.normaliser.phrase_roots(member)) for i in intents for p in i.patterns
                   for e in p.elements for member in members.get(e.name, ())}
        self.negator_words = by_first_word(tuple(self.normaliser.words(n)) for n in concepts.negators)
        # A listed phrase that starts with a "not" ("no sé") counts only as the whole message: in a sentence
        # its "not" belongs to what follows ("no se vaya al siguiente").
        self.whole: dict[tuple[str, tuple[str, ...]], str] = {}
        for intent, phrase, channel in examples:
            said = tuple(self.normaliser.words(phrase))
            if said and any(said[:len(n)] == n for n in self.negator_words.get(said[0], ())):
                for each in (("voice", "sms") if channel == "any" else (channel,)):
                    self.whole.setdefault((each, said), intent)
                continue
            if (intent, self.normaliser.phrase_roots(phrase)) in covered:
                continue
            name = f"={intent}:{channel}"
            if name not in members:
                members[name] = []
                intents.append(Intent(intent, (Pattern((Element(name),)),), "any" if channel == "any" else
                                      "sms" if channel == "sms" else "voice"))
            members[name].append(phrase)
        exact = set(concepts.exact_only) | {e.name for i in intents if i.meaning == GOODBYE
                                            for p in i.patterns for e in p.elements}
        self.exact_only = frozenset(exact)
        # A goodbye may be followed by words that end a call too ("bye, we're done here").
        self.ending = self.exact_only | {e.name for i in intents if i.meaning == MAYBE_END
                                         for p in i.patterns for e in p.elements}
        self.intents = {channel: tuple(i for i in intents if i.channel in (channel, "any"))
                        for channel in ("voice", "sms")}
        self.emergencies = {f"question:{q.id}" for q in line.talk.questions.values() if q.emergency}
        self.emergency_classes = frozenset(e.name for i in intents if i.meaning in self.emergencies
                                           for p in i.patterns for e in p.elements)
        vocabulary = [p for name, phrases in members.items() if name not in exact for p in phrases]
        never = [p for name in exact for p in members.get(name, ())]
        known = [*real_words(line), *concepts.negators, *concepts.breaks]  # "sino" is no misheard "sano"
        self.sounds = SoundAlikes(self.normaliser, vocabulary, concepts.sounds, never, known, concepts.negators)
        root = self.normaliser.phrase_roots
        roots = {name: [root(p) for p in phrases] for name, phrases in members.items()}
        negators, breaks = [root(n) for n in concepts.negators], [root(b) for b in concepts.breaks]
        self.corrections = [tuple(w for w in self.normaliser.words(c) if w != CLAUSE) for c in concepts.corrections]
        self.joins = by_first_word(root(j) for j in concepts.joins)
        self.links = {root(j) for j in concepts.links}
        self.mentions_before = [root(m) for m in concepts.mentions_before]
        self.mentions_after = [root(m) for m in concepts.mentions_after]
        self.reasons = {root(r) for r in concepts.reasons}
        self.happening = by_first_word(root(h) for h in concepts.happening)
        # The requests a "not" may be followed by instead ("not the risks, the money part"); never a goodbye.
        self.requests = {channel: tuple((i.meaning, frozenset(e.name for e in p.elements))
                                        for i in self.intents[channel] if i.meaning not in (GOODBYE, MAYBE_END)
                                        for p in i.patterns if not any(e.negated for e in p.elements))
                         for channel in ("voice", "sms")}
        # Each channel finds only its own classes: a voice command's phrase never hides a texter's words.
        self.index = {channel: ClassIndex({name: roots[name] for name in _classes(self.intents[channel])},
                                          negators, breaks) for channel in ("voice", "sms")}
        self.normaliser.only_roots_like(r for phrases in roots.values() for p in phrases for r in p)
        self.nearest = self._index(language, concepts)
        # A menu loses to a topic it leads to: "trials" is the trials topic, not only the menu before it.
        self.menus_of = {f"topic:{t}": {f"menu:{m}" for m in line.paths.get(t, ())[:-1]} for t in line.topics}
        self.meaning = lru_cache(maxsize=UNDERSTOOD_CACHE)(self._meaning)  # type: ignore[method-assign]

    def meaning(self, text: str, channel: Channel = "voice", in_topic: bool = False, near: bool = True) -> Meaning:
        """What a message means, by voice at a menu or in a topic, or by text (cached); with `near`, when no word
        class is found, what the nearest examples mean, to be asked about."""
        return self._meaning(text, channel, in_topic, near)

    def found(self, text: str, channel: Channel = "voice") -> list[Found]:
        """The classes found in a text (the benchmark and tests use it to explain a decision)."""
        return self._found(*self._heard(self.normaliser.words(text[:MAX_TEXT])), channel)

    def _heard(self, words: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[bool, ...], tuple[str, ...]]:
        """Words with misheard forms replaced, which were guesses, and their roots."""
        heard, guessed = self.sounds.find(words)
        return heard, guessed, self.normaliser.roots(heard)

    def _found(self, words: tuple[str, ...], guessed: tuple[bool, ...], roots: tuple[str, ...],
               channel: Channel) -> list[Found]:
        """The classes found in words as heard; after a correction ("slower, no wait, I mean faster"), only
        those after it if it names any."""
        found = self._contrasted(self.index[channel].find(roots, guessed), roots, channel)
        cut = self._corrected_at(words)
        if not cut or any(f.classes & self.emergency_classes for f in found):
            return found  # an emergency said before a correction is still answered first
        return [f for f in found if f.start >= cut] or found

    def _contrasted(self, found: list[Found], roots: tuple[str, ...], channel: Channel) -> list[Found]:
        """The found classes with a request said after a negated one, with no "or" between, no longer negated:
        "not the risks I'm worried about the money part", "no me repita eso, pase a la siguiente"."""
        groups: dict[int, list[int]] = {}
        for at, f in enumerate(found):
            if f.negated:
                groups.setdefault(f.negator, []).append(at)
        out = list(found)
        for members in groups.values():
            for k in range(1, len(members)):
                before, first_after = found[members[k - 1]], found[members[k]]
                gap = roots[before.end:first_after.start]
                if not gap or contains(gap, self.joins) or all((word,) in self.links for word in gap):
                    continue  # "no fever or chills", "no more texts about risks": one thing not wanted
                after = [found[at] for at in members[k:]] + [f for f in found[members[-1] + 1:] if not f.negated]
                declined = self._requests([found[at] for at in members[:k]], channel)
                wanted = self._requests(after, channel)
                # Another request, or a symptom after a symptom denied ("I don't have a fever I have chest pain");
                # never a text, an erasure or a goodbye freed this way ("don't send the risks over text").
                freed = {w for w in wanted - declined if harmless(Meaning.of(w))} | (wanted & self.emergencies)
                if declined and freed and not (wanted - declined - freed):
                    for at in members[k:]:
                        out[at] = replace(found[at], negated=False, first_negated=False, last_negated=False, negator=-1)
                    out[members[k - 1]] = replace(before, last_negated=True)
                    break
        return out

    def _requests(self, found: list[Found], channel: Channel) -> set[str]:
        """The intents these classes make whole by themselves."""
        classes = frozenset().union(*(f.classes for f in found))
        return {intent for intent, needed in self.requests[channel] if needed <= classes}

    def _corrected_at(self, words: tuple[str, ...]) -> int:
        """Where what the caller meant begins after their last correction ("I mean", or "no," after words), or 0."""
        cut = 0
        for at in range(len(words)):
            size = next((len(c) for c in self.corrections if words[at:at + len(c)] == c), 0)
            # "Spanish, no, English" and "a la lista no, al menú": a lone "no" before a comma.
            alone = 0 < at < len(words) - 1 and words[at + 1] == CLAUSE and (words[at],) in \
                self.negator_words.get(words[at], ())
            if size or alone:
                cut = at + (size or 1)
        return cut

    def scores(self, text: str, channel: Channel = "voice") -> list[Scored]:
        """Every intent found in a text, best first."""
        return self._ranked(self.found(text, channel), channel)

    def _ranked(self, found: list[Found], channel: Channel, in_topic: bool = True) -> list[Scored]:
        best: dict[str, Scored] = {}
        for intent in self.intents[channel]:
            if intent.meaning == "command:next" and channel == "voice" and not in_topic:
                continue  # at a menu, "more" is a subject's
            for pattern in intent.patterns:
                score, guessed, start = self._score(pattern, found)
                if score > 0 and (intent.meaning not in best or score > best[intent.meaning].score):
                    best[intent.meaning] = Scored(intent.meaning, score, self._rank(intent.meaning), guessed, start)
        return sorted(best.values(), key=lambda s: (-s.rank, -s.score, s.start, s.intent))

    def _meaning(self, text: str, channel: Channel = "voice", in_topic: bool = False, near: bool = True) -> Meaning:
        said = self.normaliser.words(text[:MAX_TEXT])
        whole = self.whole.get((channel, tuple(w for w in said if w != CLAUSE)))
        if whole is not None:
            return Meaning.of(whole)
        words, guessed, roots = self._heard(said)
        found = self._found(words, guessed, roots, channel)
        ranked = self._ranked(found, channel, in_topic)
        if not ranked:
            return self._declined(found, channel, in_topic) if found or not near else self._nearest(said, channel)
        # A goodbye only when nothing else was said, or nothing but a weak word ("thanks for your help, goodbye").
        if any(s.intent not in (GOODBYE, MAYBE_END) and s.score >= WEAK for s in ranked):
            ranked = [s for s in ranked if s.intent != GOODBYE]
        elif any(s.intent == GOODBYE for s in ranked):  # "that's all I needed, bye now"
            ranked = [s for s in ranked if s.intent != MAYBE_END]
        wanted = [s for s in ranked if s.start > ranked[0].start and s.intent.startswith(("topic:", "question:"))]
        if ranked[0].intent == OPT_OUT and len({s.start for s in wanted}) > 1:
            # "I don't want more texts about risks, tell me about trials": the texts about one subject are not
            # wanted, another is; the last subject named is asked for ("stop texting me about trials" opts out).
            last = max(wanted, key=lambda s: s.start)
            return Meaning.of(last.intent, sure=last.score >= WEAK and not last.guessed)
        best = ranked[0]
        speeds = [s for s in ranked if s.intent in SPEEDS and s.rank == best.rank and s.score == best.score]
        if best.intent in SPEEDS and len(speeds) > 1:
            best = max(speeds, key=lambda s: s.start)  # "not so slow, not so fast, just normal": the last speed named
        if best.intent == GOODBYE and not self._only_goodbye(found):
            return NOTHING  # "goodbye to my old drug": more was said, and a call ends only when meant
        if best.intent.startswith("menu:"):
            inside = [s for s in ranked if best.intent in self.menus_of.get(s.intent, ()) and s.score >= best.score]
            best = inside[0] if inside else best
        others = [s for s in ranked if s is not best and s.intent not in self.menus_of.get(best.intent, ())
                  and not (best.intent in SPEEDS and s in speeds)]
        if best.intent in self.emergencies:
            asked = [s for s in others if s.score >= WEAK and s.intent not in (GOODBYE, MAYBE_END, *self.emergencies)]
            if not asked or not self._only_mentioned(found, roots, asked[0].intent in FOR_THE_LINE):
                return Meaning.of(best.intent)
            # "the part about the fever, say it again", "eso de la fiebre ya lo sabía, siga": the text's subject
            best, others = asked[0], asked[1:]
        runner_up = others[0] if others else None
        close = runner_up is not None and runner_up.rank == best.rank and runner_up.score >= CLOSE * best.score
        return Meaning.of(best.intent, sure=best.score >= WEAK and not best.guessed and not close)

    def _index(self, language: Language, concepts: Concepts) -> NearestExamples:
        """The examples' index, built once per process for the same content (tests, checks and previews load
        the same line again and again; indexing thousands of examples takes a few tenths of a second)."""
        key = (language.code, concepts.examples, tuple(sorted(concepts.rewrite.items())), concepts.negators,
               self.normaliser.known_starts)
        index = _INDEXES.get(key)
        if index is None:
            index = NearestExamples((example, *self._plain_roots(self.normaliser.words(example.text)))
                                    for example in concepts.examples)
            if len(_INDEXES) >= MAX_INDEXES:
                _INDEXES.pop(next(iter(_INDEXES)))
            _INDEXES[key] = index
        return index

    def _nearest(self, words: tuple[str, ...], channel: Channel) -> Meaning:
        """What the nearest examples mean, to be asked about, when no word class was found; else nothing."""
        roots, negated = self._plain_roots(words)
        near = self.nearest.nearest(roots, channel, negated)
        if near is None or near[1] < (NEAREST_SIMILARITY if len(roots) >= NEAREST_SHORT else NEAREST_SIMILARITY_SHORT):
            return NOTHING
        guess = Meaning.of(near[0], sure=False)
        # Never an emergency on examples alone: the emergency words are for what the caller plainly said.
        if near[0] not in self.emergencies and (harmless(guess) or near[0] in GUESSABLE):
            return guess
        return NOTHING

    def _plain_roots(self, words: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
        """Words' roots as written, without clause marks or guesses (how examples are compared), and whether
        they say "not"."""
        roots = tuple(root for root in self.normaliser.roots(words) if root != CLAUSE)
        return roots, contains(words, self.negator_words)

    def _only_mentioned(self, found: list[Found], roots: tuple[str, ...], for_the_line: bool) -> bool:
        """Whether every symptom in a message is named as a subject of talk ("the fever thing", "lo de la fiebre")
        or, beside a request of how the line works (`for_the_line`), as its reason ("my hands shake, text it")."""
        if contains(roots, self.happening):
            return False  # "I have the fever thing, repeat that", "my speech is suddenly slurred": it is happening
        symptoms = [f for f in found if f.classes & self.emergency_classes and not f.negated]
        return bool(symptoms) and all(
            any(roots[max(0, f.start - len(m)):f.start] == m for m in self.mentions_before)
            or any(roots[f.end:f.end + len(m)] == m for m in self.mentions_after)
            or (for_the_line and roots[f.start:f.end] in self.reasons) for f in symptoms)

    def _declined(self, found: list[Found], channel: Channel, in_topic: bool) -> Meaning:
        """What a caller said they do not want, when that is all they said; else nothing."""
        if not any(f.negated for f in found):
            return NOTHING
        plain = [replace(f, negated=False, first_negated=False, last_negated=False) for f in found]
        ranked = self._ranked(plain, channel, in_topic)
        return Meaning("declined", ranked[0].intent) if ranked else NOTHING

    def _only_goodbye(self, found: list[Found]) -> bool:
        """Whether nothing the line knows comes after the goodbye ("ok that's all, bye" but not "bye to my drug")."""
        first = min((f.start for f in found if f.classes & self.exact_only), default=0)
        return not any(f.start > first and not f.classes & self.ending for f in found)

    def _rank(self, intent: str) -> int:
        if intent in self.emergencies:
            return 4
        if intent == OPT_OUT:
            return 3
        if intent == THANKS:
            return 0
        return 2 if intent.startswith("question:") else 1

    def _score(self, pattern: Pattern, found: list[Found]) -> tuple[float, bool, int]:
        """A pattern's score in a message (0 when a class is missing), whether only guesses made it, and
        where its first word is."""
        used: dict[int, Found] = {}
        for element in pattern.elements:
            if element.negated:  # said as not wanted: the first and the last thing a "not" reaches are of it
                firsts = [f for f in found if element.name in f.classes and f.first_negated]
                lasts = [f for f in found if element.name in f.classes and f.last_negated]
                hits = firsts if firsts and lasts else []
            else:
                hits = [f for f in found if element.name in f.classes and not f.negated
                        and not (f.guesses and element.name in self.exact_only)]
            if not hits:
                return 0.0, False, 0
            used.update((f.start, f) for f in hits)
        score = pattern.weight * sum(f.size - f.guesses * (1 - GUESS_WEIGHT) for f in used.values())
        return score, all(f.guesses == f.size for f in used.values()), min(used)
