"""The call flow as a pure state machine: (state, caller input) -> Turn. No web, no Twilio."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from typing import Literal, Mapping, TypeGuard, get_args

from . import caller, pace
from .caller import Outcome, Request
from .content import MAIN_MENU, Line, Menu, Topic, is_valid_id
from .limits import MAX_DIGITS, MAX_SPEECH_CHARS
from .node import Node
from .speech import phone_number_words

InputKind = Literal["digits", "speech", "silence"]
SegmentKind = Literal["text", "phone_number"]
Action = Literal["next", "repeat", "back", "main", "person", "help", "goodbye", "text", "slower", "faster", "normal",
                 "forget"]
# A question the line waits to have answered: "forget you?" (yes or no), or "go on from where you were?"
Ask = Literal["forget", "resume"]
ASKS: tuple[Ask, ...] = get_args(Ask)
ACTIONS: frozenset[str] = frozenset(get_args(Action))


def is_action(name: str | None) -> TypeGuard[Action]:
    """Whether a reserved command's name is one the call flow acts on."""
    return name in ACTIONS

MAX_SILENCES = 3
# Pauses, in milliseconds, that give a tired listener time between ideas.
PAUSE_SHORT = 400
PAUSE_LONG = 800
DIGIT_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9",
}
# Words a recogniser hears for a number, but which mean something else when said alone ("Oh.").
SOUNDS_LIKE_DIGITS = {"oh": "0", "won": "1", "to": "2", "too": "2", "tree": "3", "for": "4"}
# Words that say the next word is a key: "press two", "number 4", "option for".
KEY_WORDS = {"press", "number", "option", "choice", "key", "pressing"}
# Words callers wrap around a number: "press two", "number 3", "option four please".
NUMBER_FILLERS = KEY_WORDS | {"please", "the", "i", "want", "um", "uh", "ok", "okay"}
FUZZY_CUTOFF = 0.8
# The answers to "Do you want the line to forget...?" besides keys 1 and 2.
YES_WORDS = {"yes", "yeah", "yep", "yes please", "please do", "sure", "ok", "okay", "forget me", "do it"}
NO_WORDS = {"no", "nope", "no thanks", "don't", "keep it", "not now", "no thank you"}
YES_NO_HINTS = ("yes", "no")


@dataclass(frozen=True)
class State:
    """Where a call is: the menu path to the current node, the part heard, silences in a row, the
    speaking rate the caller chose (steps from normal), and a question the line asked."""

    path: tuple[str, ...] = (MAIN_MENU,)
    part: int = 0
    silences: int = 0
    rate: int = 0
    ask: Ask | None = None

    def to_params(self) -> dict[str, str]:
        """The state as URL query parameters."""
        params = {"at": "/".join(self.path)}
        if self.part:
            params["part"] = str(self.part)
        if self.silences:
            params["quiet"] = str(self.silences)
        if self.rate:
            params["pace"] = str(self.rate)
        if self.ask:
            params["ask"] = self.ask
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> State | None:
        """Read a state back from URL parameters; None when they make no sense."""
        at = params.get("at", "")
        if not at or len(at) > 200:
            return None
        path = tuple(at.split("/"))
        if not all(is_valid_id(step) for step in path):
            return None
        try:
            part = int(params.get("part", "0") or 0)
            silences = int(params.get("quiet", "0") or 0)
            rate = int(params.get("pace", "0") or 0)
        except ValueError:
            return None
        if not (0 <= part < 100 and 0 <= silences <= MAX_SILENCES and pace.SLOWEST <= rate <= pace.FASTEST):
            return None
        ask = params.get("ask") or None
        if ask is not None and ask not in ASKS:  # the URL's value, checked before it is trusted
            return None
        return cls(path, part, silences, rate, "forget" if ask == "forget" else "resume" if ask else None)


@dataclass(frozen=True)
class Input:
    """What the caller did: pressed keys, said something, or stayed silent."""

    kind: InputKind
    value: str = ""

    @classmethod
    def from_gather(cls, digits: str, speech: str, timed_out: bool) -> Input:
        """What a listening turn heard: keys win over speech; nothing at all (or a timeout) is silence."""
        if not timed_out and digits.strip():
            return cls("digits", digits.strip()[:MAX_DIGITS])
        if not timed_out and speech.strip():
            return cls("speech", speech[:MAX_SPEECH_CHARS])
        return cls("silence")


@dataclass(frozen=True)
class Segment:
    """A piece of speech and the pause after it; `spoken` is how the voice says `text`.

    Built only by the call flow, which applies the pronunciation list once; phone numbers are
    read slowly, digit by digit.
    """

    text: str
    pause_ms: int = PAUSE_SHORT
    kind: SegmentKind = "text"
    spoken: str = ""


@dataclass(frozen=True)
class Turn:
    """What the line does next: say these segments, then wait at `state`, hang up or transfer."""

    segments: tuple[Segment, ...]
    state: State | None
    node: Node
    hints: tuple[str, ...] = ()
    hangup: bool = False
    transfer_to: str | None = None
    request: Request | None = None  # texts to queue, or a caller to forget: the web layer does it

    @property
    def text(self) -> str:
        """Everything said in this turn, as plain text."""
        return " ".join(s.text for s in self.segments)


def normalize(text: str) -> str:
    """Lower-case words only, for matching what a caller said."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split())


def spoken_names(line: Line) -> dict[str, tuple[str, ...]]:
    """What a caller can say to choose each topic and submenu: its label, its title and its phrases."""
    names: dict[str, tuple[str, ...]] = {}
    nodes: list[Topic | Menu] = [*line.topics.values(), *(m for m in line.menus.values() if m.id != MAIN_MENU)]
    for node in nodes:
        said = (normalize(p) for p in (node.label, node.title, *node.phrases))
        names[node.id] = tuple(dict.fromkeys(p for p in said if p))
    return names


class CallFlow:
    """Decides every turn of a phone call from the content; holds no per-call state."""

    def __init__(self, line: Line, transfer_number: str | None = None, contact_number: str | None = None):
        self.line = line
        self.transfer_number = transfer_number or None
        self.contact_number = contact_number or None
        self._reserved_phrases: dict[Action, tuple[str, ...]] = {
            action: tuple(normalize(p) for p in reserved.phrases)
            for action, reserved in line.reserved.items() if is_action(action)
        }
        self._key_actions: dict[str, Action] = {
            key: action for key, action in line.command_keys.items() if is_action(action)
        }
        # Every topic and menu can be chosen by name from anywhere in the call.
        self._node_phrases = spoken_names(line)
        # What can be said, worked out once: (command, node, phrase) in a menu and in a topic
        # ("next" means something only in a topic), and the recogniser's hints at each node.
        self._candidates = {in_topic: self._phrase_candidates(in_topic) for in_topic in (False, True)}
        self._hints = {node: self._hints_at(node) for node in line.paths}

    def _phrase_candidates(self, in_topic: bool) -> tuple[tuple[Action | None, str | None, str], ...]:
        candidates: list[tuple[Action | None, str | None, str]] = []
        for action, phrases in self._reserved_phrases.items():
            if action != "next" or in_topic:
                candidates += [(action, None, p) for p in phrases]
        for node, phrases in self._node_phrases.items():
            candidates += [(None, node, p) for p in phrases]
        return tuple(candidates)

    # ----- entry points -------------------------------------------------------------------

    def start(self, resume: tuple[str, int] | None = None, rate: int = 0) -> Turn:
        """The first turn of a call: greeting, then the main menu; or, for a caller who hung up inside
        a topic (topic, part from 0), the offer to go on from there. `rate` is the caller's speed."""
        greeting = self._say(self.line.phrases["greeting"], PAUSE_LONG)
        rate = pace.clamp(rate)
        if resume and resume[0] in self.line.paths and resume[0] in self.line.topics \
                and 0 <= resume[1] < len(self.line.topics[resume[0]].parts):
            offer = caller.resume_offer(self.line, resume[0], resume[1], self.line.reserved["next"].key or "")
            state = State(self.line.paths[resume[0]], resume[1], rate=rate, ask="resume")
            hints = tuple(dict.fromkeys(self._hints[resume[0]] + self._hints[MAIN_MENU]))
            return Turn((greeting, self._say(offer, PAUSE_LONG)), state, Node("resume", resume[0], resume[1] + 1),
                        hints=hints)
        return self._at_rate(self._menu_turn((MAIN_MENU,), lead=(greeting,), announce_title=False), rate)

    def respond(self, state: State | None, heard: Input) -> Turn:
        """The next turn, given where the call was and what the caller did."""
        if state is None or not self._valid(state):
            lead = (self._say(self.line.phrases["lost_place"]),)
            return self._at_rate(self._menu_turn((MAIN_MENU,), lead=lead), state.rate if state else 0)
        turn = self._respond(state, heard)
        # The caller's speed holds for the whole call; only a speed command changes it.
        return turn if turn.node.kind == "speed" else self._at_rate(turn, state.rate)

    def _respond(self, state: State, heard: Input) -> Turn:
        if state.ask == "resume":
            return self._answer_resume(state, heard)
        if heard.kind == "silence" or not heard.value.strip():
            return self._silence(replace(state, ask=None) if state.ask == "forget" else state)
        state = replace(state, silences=0)
        if state.ask == "forget":
            answered = self._answer_forget(state, heard)
            if answered is not None:
                return answered
            state = replace(state, ask=None)  # the caller moved on: take what they did as it is
        if heard.kind == "digits":
            return self._digits(state, heard.value.strip())
        return self._speech(state, heard.value)

    def after(self, turn: Turn, outcome: Outcome) -> Turn:
        """The turn once the web layer did what `turn.request` asked: say how it went, then carry on."""
        request, state = turn.request, turn.state
        assert request is not None and state is not None
        if request.kind == "forget":
            if outcome != "forgotten":
                return self._prompt_again(state, self.line.phrases["forget_failed"])
            forgotten: tuple[Segment, ...] = (self._say(self.line.phrases["forgotten"], PAUSE_LONG),)
            return self._menu_turn((MAIN_MENU,), lead=forgotten)  # at the usual speed: the speed is forgotten too
        lead = tuple(self._say(text) for text in caller.text_lead(self.line, request.topic, outcome))
        return replace(self._prompt_again(state, None, lead=lead), node=turn.node)

    def texts_for(self, request: Request) -> list[tuple[str, str]]:
        """The text messages a "text me this" request sends: (what it is, words)."""
        return caller.texts_for(self.line, request.topic)

    def after_transfer(self, completed: bool, rate: int = 0) -> Turn:
        """The turn after a transfer to a person ends or fails (at the caller's speed)."""
        if completed:
            return Turn((self._say(self.line.phrases["goodbye"]),), None, Node("goodbye"), hangup=True)
        lead = (self._say(self.line.phrases["transfer_failed"]),)
        return self._at_rate(self._menu_turn((MAIN_MENU,), lead=lead, announce_title=False), pace.clamp(rate))

    def error_turn(self) -> Turn:
        """What to do after something broke on our side: apologise and offer the main menu."""
        return self._menu_turn((MAIN_MENU,), lead=(self._say(self.line.phrases["error"]),), announce_title=False)

    # ----- input handling -----------------------------------------------------------------

    def _valid(self, state: State) -> bool:
        node = state.path[-1]
        if self.line.paths.get(node) != state.path:
            return False
        if node in self.line.topics:
            return state.part < len(self.line.topics[node].parts)
        return state.part == 0 and state.ask != "resume"

    def _at_rate(self, turn: Turn, rate: int) -> Turn:
        """The turn with the caller's speed carried in its state."""
        if turn.state is None or turn.state.rate == rate:
            return turn
        return replace(turn, state=replace(turn.state, rate=rate))

    def _answer_resume(self, state: State, heard: Input) -> Turn:
        """After "To go on from there, press 1": go on, or take anything else as said at the main menu."""
        at_menu = State(rate=state.rate)
        if heard.kind == "silence" or not heard.value.strip():
            return self._menu_turn((MAIN_MENU,))
        if heard.kind == "digits" and heard.value.strip() == self.line.reserved["next"].key:
            return self._part_turn(state.path, state.part, confirm=True)
        if heard.kind == "speech":
            action, _ = self._match_phrase(replace(state, ask=None), normalize(heard.value[:MAX_SPEECH_CHARS]))
            if action in ("next", "repeat"):
                return self._part_turn(state.path, state.part, confirm=True)
        return self._respond(at_menu, heard)

    def _answer_forget(self, state: State, heard: Input) -> Turn | None:
        """After "Do you want the line to forget...?": yes (1) forgets, no (2) keeps; None for anything else."""
        words = normalize(heard.value[:MAX_SPEECH_CHARS]) if heard.kind == "speech" else ""
        key = heard.value.strip() if heard.kind == "digits" else ""
        if key == "1" or words in YES_WORDS:
            done = replace(state, ask=None, rate=0)
            return Turn((), done, Node("forget"), request=Request("forget"))
        if key == "2" or words in NO_WORDS:
            return self._prompt_again(replace(state, ask=None), self.line.phrases["forget_kept"])
        if key == self.line.reserved["repeat"].key:
            return self._forget_ask(state)
        return None

    def _forget_ask(self, state: State) -> Turn:
        phrases = self.line.phrases
        segments = (self._say(phrases["forget_ask"], PAUSE_SHORT), self._say(phrases["yes_no"]))
        return Turn(segments, replace(state, ask="forget"), Node("forget-ask"), hints=YES_NO_HINTS)

    def _speed(self, state: State, action: caller.SpeedAction, by_key: bool) -> Turn:
        rate, phrase = caller.speed_change(action, state.rate, by_key)
        turn = self._at_rate(self._prompt_again(state, self.line.phrases[phrase]), rate)
        return replace(turn, node=Node("speed", pace.STEP_NAMES[rate]))

    def _digits(self, state: State, digits: str) -> Turn:
        if len(digits) != 1:
            return self._prompt_again(state, self.line.phrases["not_a_choice"])
        if digits in self._key_actions:
            return self._action(state, self._key_actions[digits], by_key=True)
        node = state.path[-1]
        if node in self.line.topics:
            if digits == self.line.reserved["next"].key:
                return self._action(state, "next")
            return self._prompt_again(state, self.line.phrases["not_a_choice"])
        for option in self.line.menus[node].options:
            if option.key == digits:
                return self._choose(state.path + (option.target,))
        return self._prompt_again(state, self.line.phrases["not_a_choice"])

    def _speech(self, state: State, said: str) -> Turn:
        words = normalize(said[:MAX_SPEECH_CHARS])
        if not words:
            return self._prompt_again(state, self.line.phrases["not_understood"])
        digit = self._spoken_digit(words)
        if digit is not None:
            if digit in self.keys_at(state.path[-1]):
                return self._digits(state, digit)
            # Nothing was pressed, so "that key is not one of the choices" would puzzle the caller.
            return self._prompt_again(state, self.line.phrases["not_understood"])
        action, node = self._match_phrase(state, words)
        if action:
            return self._action(state, action)
        if node:
            return self._choose(self.line.paths[node])
        return self._prompt_again(state, self.line.phrases["not_understood"])

    def keys_for(self, state: State) -> set[str]:
        """The keys that do something where a call waits, a question's answers included."""
        if state.ask == "resume":  # go on, or anything the main menu takes
            return self.keys_at(MAIN_MENU) | {self.line.reserved["next"].key or ""}
        return self.keys_at(state.path[-1]) | ({"1", "2"} if state.ask == "forget" else set())

    def keys_at(self, node: str) -> set[str]:
        """The keys that do something at a menu or topic: the commands, plus its choices or "go on"."""
        if node in self.line.topics:
            next_key = self.line.reserved["next"].key
            return set(self._key_actions) | ({next_key} if next_key else set())
        return set(self._key_actions) | {o.key for o in self.line.menus[node].options}

    @staticmethod
    def _spoken_digit(words: str) -> str | None:
        """A number said on its own or with filler words ("press two", "number 3")."""
        said = words.split()
        tokens = [t for t in said if t not in NUMBER_FILLERS]
        if len(tokens) != 1:
            return None
        token = tokens[0]
        if re.fullmatch(r"[0-9]", token):
            return token
        if token in SOUNDS_LIKE_DIGITS and KEY_WORDS & set(said):
            return SOUNDS_LIKE_DIGITS[token]
        return DIGIT_WORDS.get(token)

    def _match_phrase(self, state: State, words: str) -> tuple[Action | None, str | None]:
        """The command or node whose phrase best fits what was said: longest exact match, then fuzzy."""
        in_topic = state.path[-1] in self.line.topics
        here = set() if in_topic else {o.target for o in self.line.menus[state.path[-1]].options}
        candidates = self._candidates[in_topic]

        padded = f" {words} "
        best: tuple[int, int, int] | None = None
        chosen: tuple[Action | None, str | None] = (None, None)
        for action, node, phrase in candidates:
            if f" {phrase} " in padded:
                # Longer phrases win; then choices offered here; then commands.
                rank = (len(phrase.split()), 1 if node in here else 0, 1 if action else 0)
                if best is None or rank > best:
                    best, chosen = rank, (action, node)
        if best is not None:
            return chosen
        close = difflib.get_close_matches(words, [p for _, _, p in candidates], n=1, cutoff=FUZZY_CUTOFF)
        if close:
            for action, node, phrase in candidates:
                if phrase == close[0]:
                    return action, node
        return None, None

    # ----- actions --------------------------------------------------------------------------

    def _action(self, state: State, action: Action, by_key: bool = False) -> Turn:
        node = state.path[-1]
        phrases = self.line.phrases
        if action == "slower" or action == "faster" or action == "normal":
            return self._speed(state, action, by_key)
        if action == "text":
            subject = node if node in self.line.topics else ""
            return Turn((), state, Node("text", subject or "list"), request=Request("text", subject))
        if action == "forget":
            return self._forget_ask(state)
        if action == "repeat":
            if node in self.line.topics:
                return self._part_turn(state.path, state.part, confirm=False)
            return self._menu_turn(state.path)
        if action == "back":
            if len(state.path) == 1:
                return self._menu_turn(state.path, lead=(self._say(phrases["at_main_menu"]),), announce_title=False)
            return self._menu_turn(state.path[:-1])
        if action == "main":
            lead = (self._say(phrases["at_main_menu"]),) if len(state.path) == 1 else ()
            return self._menu_turn((MAIN_MENU,), lead=lead, announce_title=not lead)
        if action == "next":
            topic = self.line.topics[node]
            if state.part + 1 < len(topic.parts):
                return self._part_turn(state.path, state.part + 1, confirm=False)
            return self._menu_turn(state.path[:-1])
        if action == "help":
            keys = [self.line.reserved[a] for a in ("text", "slower")]
            extra = tuple(self._say(self.line.templates["command"].format(label=r.label, key=r.key)) for r in keys)
            return self._prompt_again(state, phrases["help"], with_commands=True, extra=extra)
        if action == "goodbye":
            return Turn((self._say(phrases["goodbye"]),), None, Node("goodbye"), hangup=True)
        if action == "person":
            return self._person(state)
        raise ValueError(f"unknown action {action!r}")

    def _person(self, state: State) -> Turn:
        phrases = self.line.phrases
        if self.transfer_number:
            return Turn((self._say(phrases["transfer"]),), state, Node("transfer"), transfer_to=self.transfer_number)
        if self.contact_number:
            number = self._say(self.contact_number, PAUSE_LONG, "phone_number")
            lead: tuple[Segment, ...] = (
                self._say(phrases["contact_number"]), number, self._say(phrases["contact_number_again"]), number,
                self._say(phrases["contact_number_repeat"], PAUSE_LONG))
        else:
            lead = (self._say(phrases["no_person"], PAUSE_LONG),)
        return self._prompt_again(state, None, lead=lead)

    def _choose(self, path: tuple[str, ...]) -> Turn:
        if path[-1] in self.line.topics:
            return self._part_turn(path, 0, confirm=True)
        return self._menu_turn(path)

    def _silence(self, state: State) -> Turn:
        silences = state.silences + 1
        if silences >= MAX_SILENCES:
            goodbye = self._say(self.line.phrases["goodbye_after_silence"])
            return Turn((goodbye,), None, Node("silence-goodbye"), hangup=True)
        lead = [self._say(self.line.phrases["silence"]), self._say(self.line.phrases["silence_more_help"])]
        if silences == MAX_SILENCES - 1:
            lead.append(self._say(self.line.phrases["silence_last_warning"]))
        return self._prompt_again(replace(state, silences=silences), None, lead=tuple(lead))

    def _prompt_again(self, state: State, message: str | None, lead: tuple[Segment, ...] = (),
                      with_commands: bool = False, extra: tuple[Segment, ...] = ()) -> Turn:
        """Say a short message, then the current choices again (not the whole part)."""
        lead = lead + ((self._say(message),) if message else ()) + extra
        if with_commands:
            lead = lead + (self._say(self._spoken_commands()),)
        node = state.path[-1]
        if node in self.line.topics:
            topic = self.line.topics[node]
            turn = Turn(lead + self._part_choices(topic, state.part), state,
                        Node.topic(node, state.part + 1), hints=self._hints[node])
            return turn
        return self._menu_turn(state.path, lead=lead, announce_title=False, silences=state.silences)

    # ----- building what is said --------------------------------------------------------

    def _menu_turn(self, path: tuple[str, ...], lead: tuple[Segment, ...] = (), announce_title: bool = True,
                   silences: int = 0) -> Turn:
        menu: Menu = self.line.menus[path[-1]]
        segments = list(lead)
        if announce_title:
            segments.append(self._say(f"{menu.title}.", PAUSE_SHORT))
        for option in menu.options:
            label = self._label(option.kind, option.target)
            segments.append(self._say(self.line.templates["option"].format(label=label, key=option.key), PAUSE_SHORT))
        segments += self._command_segments(at_main=len(path) == 1)
        return Turn(tuple(segments), State(path, 0, silences), Node.menu(menu.id), hints=self._hints[menu.id])

    def _part_turn(self, path: tuple[str, ...], part: int, confirm: bool) -> Turn:
        topic: Topic = self.line.topics[path[-1]]
        segments = []
        if confirm:
            segments.append(self._confirm(topic.label))
        count, title = len(topic.parts), topic.parts[part].title
        heading = self.line.templates["part_heading"].format(number=part + 1, count=count, title=title)
        segments.append(self._say(heading if count > 1 else f"{title}.", PAUSE_SHORT))
        segments.append(self._say(topic.parts[part].text, PAUSE_LONG))
        segments += self._part_choices(topic, part)
        return Turn(tuple(segments), State(path, part, 0), Node.topic(topic.id, part + 1), hints=self._hints[topic.id])

    def _confirm(self, label: str) -> Segment:
        """The choice said back ("Side effects."), so the caller knows they were understood."""
        return self._say(self.line.templates["confirm"].format(label=label[:1].upper() + label[1:]), PAUSE_SHORT)

    def _part_choices(self, topic: Topic, part: int) -> tuple[Segment, ...]:
        templates, nxt = self.line.templates, self.line.reserved["next"]
        say_next = nxt.phrases[0]
        if part + 1 < len(topic.parts):
            lead = [self._say(templates["next_part"].format(label=nxt.label, key=nxt.key, say=say_next))]
        else:
            lead = [self._say(self.line.phrases["end_of_topic"], PAUSE_SHORT),
                    self._say(self.line.phrases["disclaimer"], PAUSE_LONG),
                    self._say(templates["another_topic"].format(key=nxt.key))]
        return tuple(lead) + self._command_segments(at_main=False)

    def _say(self, text: str, pause_ms: int = PAUSE_SHORT, kind: SegmentKind = "text") -> Segment:
        """A segment with its spoken form: the pronunciation list applied, a phone number digit by digit."""
        spoken = phone_number_words(text) if kind == "phone_number" else self.line.pronounce(text)
        return Segment(text, pause_ms, kind, spoken)

    def _command_segments(self, at_main: bool) -> tuple[Segment, ...]:
        """The reserved keys, announced the same way everywhere: back and main menu only off the main
        menu, and a person only when someone can be reached (a dead end is worse than no offer)."""
        segments = []
        for action in ("repeat", "back", "main", "person"):
            if at_main and action in ("back", "main"):
                continue
            if action == "person" and not (self.transfer_number or self.contact_number):
                continue
            reserved = self.line.reserved[action]
            segments.append(self._say(self.line.templates["command"].format(label=reserved.label, key=reserved.key),
                                    PAUSE_SHORT))
        return tuple(segments)

    def _spoken_commands(self) -> str:
        """The commands that work when spoken; "person" only when someone can be reached, as with key 0."""
        actions = ["repeat", "back", "main", "person", "goodbye"]
        if not (self.transfer_number or self.contact_number):
            actions.remove("person")
        words = [self.line.reserved[a].phrases[0] for a in actions]
        return self.line.templates["commands_help"].format(words=", ".join(words))

    def _label(self, kind: str, target: str) -> str:
        return self.line.topics[target].label if kind == "topic" else self.line.menus[target].label

    def _hints_at(self, node: str) -> tuple[str, ...]:
        """Phrases worth telling the speech recogniser about at this point in the call."""
        hints: list[str] = []
        if node in self.line.menus:
            for option in self.line.menus[node].options:
                hints += self._node_phrases.get(option.target, ())
        for action, phrases in self._reserved_phrases.items():
            if action != "next" or node in self.line.topics:
                hints += phrases
        return tuple(dict.fromkeys(hints))
