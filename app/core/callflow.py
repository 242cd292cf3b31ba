"""The call flow as a pure state machine: (state, caller input) -> Turn. No web, no Twilio.

What words mean is app/core/hearing.py's job; the values of a turn are in app/core/turns.py (re-exported here).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from app.core import caller_requests as caller
from app.core import pace
from app.core.caller_requests import Outcome, Request
from app.core.content import MAIN_MENU, Line
from app.core.events import Event
from app.core.hearing import DIGIT_WORDS, Action, is_action, normalize, spoken_digit, spoken_names
from app.core.limits import MAX_SPEECH_CHARS
from app.core.node import Node
from app.core.turns import MAX_MISSES, MAX_SILENCES, PAUSE_LONG, Input, Pending, Segment, State, TargetKind, Turn
from app.core.wording import Wording

__all__ = ["CallFlow", "DIGIT_WORDS", "Input", "Pending", "Segment", "State", "Turn", "normalize", "spoken_names"]


class CallFlow(Wording):
    """Decides every turn of a phone call from the content; holds no per-call state."""

    def __init__(self, line: Line, transfer_number: str | None = None, contact_number: str | None = None,
                 others: Sequence[Line] = ()):
        super().__init__(line, transfer_number, contact_number)
        # The line's other languages: the greeting offers each in its own words and voice ("*" or its name).
        self.others = tuple(other for other in others if other.language != line.language)
        self._offers = tuple(self._say(other.phrases["language_offer"], PAUSE_LONG, language=other.language)
                             for other in self.others if "language_offer" in other.phrases)

    # ----- entry points -------------------------------------------------------------------

    def start(self, resume: tuple[str, int] | None = None, speed_step: int = 0) -> Turn:
        """The first turn of a call: greeting, then the main menu; or, for a caller who hung up inside
        a topic (topic, part from 0), the offer to go on from there, at the caller's `speed_step`."""
        greetings = (self._say(self.line.phrases["greeting"], PAUSE_LONG), *self._offers)
        speed_step = pace.clamp(speed_step)
        if resume and resume[0] in self.line.paths and resume[0] in self.line.topics \
                and 0 <= resume[1] < len(self.line.topics[resume[0]].parts):
            offer = caller.resume_offer(self.line, resume[0], resume[1], self.keys["next"])
            state = State(self.line.paths[resume[0]], resume[1], pending=Pending("resume", "topic", resume[0]),
                          speed_step=speed_step)
            hints = tuple(dict.fromkeys(self._hints[resume[0]] + self._hints[MAIN_MENU]))
            return Turn((*greetings, self._say(offer, PAUSE_LONG)), state, Node("resume", resume[0], resume[1] + 1),
                        hints=hints)
        return self._at_speed_step(self._menu_turn((MAIN_MENU,), lead=greetings, announce_title=False), speed_step)

    def respond(self, state: State | None, heard: Input) -> Turn:
        """The next turn, given where the call was and what the caller did."""
        if state is None or not self._valid(state):
            lead = (self._say(self.line.phrases["lost_place"]),)
            return self._at_speed_step(self._menu_turn((MAIN_MENU,), lead=lead), state.speed_step if state else 0)
        turn = self._respond(state, heard)
        # The caller's speed holds for the whole call; only a speed command changes it.
        return turn if turn.node.kind == "speed" else self._at_speed_step(turn, state.speed_step)

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

    def _respond(self, state: State, heard: Input) -> Turn:
        if state.pending and state.pending.kind == "resume":
            return self._answer_resume(state, heard)
        if heard.kind == "silence" or not heard.value.strip():
            return self._silence(state)
        # Anything the caller does resets the silences; anything understood, the misses (_miss counts on).
        misses, state = state.misses, replace(state, silences=0, misses=0)
        if state.pending:
            answered = self._answer_pending(state, heard)
            if answered:
                return answered
            state = replace(state, pending=None)  # the caller moved on: take what they said as it is
        if heard.kind == "digits":
            return self._digits(state, heard.value.strip(), misses)
        return self._speech(state, heard, misses)

    def after_transfer(self, completed: bool, speed_step: int = 0) -> Turn:
        """The turn after a transfer to a person ends or fails (at the caller's speed)."""
        if completed:
            return Turn((self._say(self.line.phrases["goodbye"]),), None, Node("goodbye"), hangup=True)
        lead = (self._say(self.line.phrases["transfer_failed"]),)
        turn = self._menu_turn((MAIN_MENU,), lead=lead, announce_title=False)
        return self._at_speed_step(turn, pace.clamp(speed_step))

    # ----- input handling -----------------------------------------------------------------

    def _valid(self, state: State) -> bool:
        node = state.path[-1]
        if self.line.paths.get(node) != state.path:
            return False
        if node in self.line.topics:
            if state.part >= len(self.line.topics[node].parts):
                return False
        elif state.part != 0:
            return False
        pending = state.pending
        if pending is None or pending.kind in ("end", "forget"):
            return True
        if pending.kind == "resume":  # the call waits at the part it offers
            return pending.target == node and node in self.line.topics
        # A topic or menu no menu offers has no place to go to (the checker reports it).
        known = {"topic": self.line.paths, "menu": self.line.paths, "question": self.talk.questions}
        if pending.target_kind is None or pending.target not in known[pending.target_kind]:
            return False
        return pending.kind == "confirm" or pending.target_kind == "question"

    def _answer_pending(self, state: State, heard: Input) -> Turn | None:
        """The reply to "Is that right?", "Do you want to end the call?" or an offer; None: something else."""
        pending = state.pending
        assert pending is not None
        words = self.hearing.normalize(heard.value[:MAX_SPEECH_CHARS]) if heard.kind == "speech" else ""
        key = heard.value.strip() if heard.kind == "digits" else ""
        if pending.kind == "forget":
            return self._answer_forget(state, words, key)
        if pending.kind == "answer":
            answer = "yes" if key == self.keys["next"] or self.hearing.yes_or_no(words) == "yes" else (
                "no" if self.hearing.yes_or_no(words) == "no" else None)
        else:
            answer = {self.keys["yes"]: "yes", self.keys["no"]: "no"}.get(key) or self.hearing.yes_or_no(words)
        if answer is None:
            if key == self.keys["repeat"] or (words and self.hearing.understand(words, False).name == "repeat"):
                if pending.kind == "answer":  # the same answer again: not counted twice
                    return replace(self._question_turn(replace(state, pending=None), pending.target), events=())
                return self._prompt_again(state)
            return None
        turn = self._answered(replace(state, pending=None), pending, answer)
        confirmed = Event("confirm_yes" if answer == "yes" else "confirm_no", pending.target or "end")
        return replace(turn, events=turn.events + (confirmed,)) if pending.kind in ("confirm", "end") else turn

    def _answered(self, base: State, pending: Pending, answer: str) -> Turn:
        if answer == "no":
            lead = self.talk.say["confirm_no"] if pending.kind == "confirm" else self.talk.say["end_no"]
            return self._prompt_again(base, self._fill(lead))
        if pending.kind == "end":
            return self._goodbye()
        if pending.kind == "answer":
            offer = self.talk.questions[pending.target].offer
            return self._choose(self.line.paths[offer]) if offer in self.line.paths else self._prompt_again(base)
        if pending.target_kind == "question":
            return self._question_turn(base, pending.target)
        return self._choose(self.line.paths[pending.target])

    def _digits(self, state: State, digits: str, misses: int = 0) -> Turn:
        if len(digits) != 1:
            return self._miss(state, "not_a_choice", misses)
        if digits in self._key_actions:
            return self._action(state, self._key_actions[digits], by_key=True)
        node = state.path[-1]
        if node in self.line.topics:
            if digits == self.keys.get("next"):
                return self._action(state, "next")
            if digits == self.keys.get("previous"):
                return self._action(state, "previous")
            return self._miss(state, "not_a_choice", misses)
        for option in self.line.menus[node].options:
            if option.key == digits:
                return self._choose(state.path + (option.target,))
        return self._miss(state, "not_a_choice", misses)

    def _speech(self, state: State, heard: Input, misses: int) -> Turn:
        words = self.hearing.normalize(heard.value[:MAX_SPEECH_CHARS])
        node = state.path[-1]
        if not words:
            return self._miss(state, "not_understood", misses)
        digit = spoken_digit(words, self.line.lang)
        if digit is not None:
            if digit not in self.keys_at(node):
                # Nothing was pressed, so "that key is not one of the choices" would puzzle the caller.
                return self._miss(state, "not_understood", misses)
            option = next((o for o in self.line.menus[node].options if o.key == digit), None) \
                if node in self.line.menus else None
            if heard.unsure and option:
                kind: TargetKind = "topic" if option.kind == "topic" else "menu"
                return self._confirm(state, Pending("confirm", kind, option.target))
            return self._digits(state, digit, misses)
        in_topic = node in self.line.topics
        here = frozenset() if in_topic else frozenset(o.target for o in self.line.menus[node].options)
        meaning = self.hearing.understand(words, in_topic, here)
        if meaning.kind == "maybe_end" or (meaning.kind == "command" and meaning.name == "goodbye" and heard.unsure):
            return self._confirm(state, Pending("end"))
        if meaning.kind == "command" and is_action(meaning.name):
            return self._action(state, meaning.name)
        if meaning.kind == "node" and meaning.name in self.line.paths:
            if heard.unsure:
                target: TargetKind = "topic" if meaning.name in self.line.topics else "menu"
                return self._confirm(state, Pending("confirm", target, meaning.name))
            return self._choose(self.line.paths[meaning.name])
        if meaning.kind == "question":
            if heard.unsure:
                return self._confirm(state, Pending("confirm", "question", meaning.name))
            return self._question_turn(state, meaning.name)
        return self._miss(state, "not_understood", misses)

    # ----- actions --------------------------------------------------------------------------

    def _action(self, state: State, action: Action, by_key: bool = False) -> Turn:
        node = state.path[-1]
        phrases = self.line.phrases
        in_topic = node in self.line.topics
        if action == "slower" or action == "faster" or action == "normal":
            return self._speed(state, action, by_key)
        if action == "text":
            subject = node if in_topic else ""
            return Turn((), state, Node("text", subject or "list"), request=Request("text", subject),
                        events=(Event("text_requested", subject or "list"),))
        if action == "forget":
            return self._waiting_turn(replace(state, pending=Pending("forget")), ())
        if action == "language":
            if not self.others:  # a line served in one language only: "*" does nothing
                return self._miss(state, "not_a_choice" if by_key else "not_understood", state.misses)
            code = self.others[0].language
            return Turn((), state, Node("language", code), request=Request("language", code))
        if action == "repeat":
            return self._part_turn(state.path, state.part, confirm=False) if in_topic else self._menu_turn(state.path)
        if action == "back" or (action == "previous" and not in_topic):
            if len(state.path) == 1:
                return self._menu_turn(state.path, lead=(self._say(phrases["at_main_menu"]),), announce_title=False)
            return self._menu_turn(state.path[:-1])
        if action == "previous":
            if state.part == 0:
                return self._prompt_again(state, self.talk.say["first_part"])
            return self._part_turn(state.path, state.part - 1, confirm=False)
        if action == "main":
            lead = (self._say(phrases["at_main_menu"]),) if len(state.path) == 1 else ()
            return self._menu_turn((MAIN_MENU,), lead=lead, announce_title=not lead)
        if action == "next":
            if not in_topic:  # "okay" at a menu: the choices again, without an apology
                return self._menu_turn(state.path, announce_title=False)
            if state.part + 1 < len(self.line.topics[node].parts):
                return self._part_turn(state.path, state.part + 1, confirm=False)
            return self._menu_turn(state.path[:-1])
        if action == "help":
            keys = [self.line.reserved[a] for a in ("text", "slower")]
            extra = tuple(self._say(self.line.templates["command"].format(label=r.label, key=r.key)) for r in keys)
            return self._prompt_again(state, phrases["help"], with_commands=True, extra=extra)
        if action == "goodbye":
            return self._goodbye()
        return self._person(state)

    # ----- remembering the caller: speed, forgetting, going on from the last call --------------

    def _at_speed_step(self, turn: Turn, speed_step: int) -> Turn:
        """The turn with the caller's speed carried in its state."""
        if turn.state is None or turn.state.speed_step == speed_step:
            return turn
        return replace(turn, state=replace(turn.state, speed_step=speed_step))

    def _speed(self, state: State, action: caller.SpeedAction, by_key: bool) -> Turn:
        speed_step, phrase = caller.speed_change(action, state.speed_step, by_key)
        turn = self._at_speed_step(self._prompt_again(state, self.line.phrases[phrase]), speed_step)
        return replace(turn, node=Node("speed", pace.STEP_NAMES[speed_step]))

    def _answer_forget(self, state: State, words: str, key: str) -> Turn | None:
        """After "Do you want the line to forget ...?": yes forgets, no keeps; None for anything else."""
        answer = {self.keys["yes"]: "yes", self.keys["no"]: "no"}.get(key) or self.hearing.yes_or_no(words)
        base = replace(state, pending=None)
        if answer == "yes":
            return Turn((), replace(base, speed_step=0), Node("forget"), request=Request("forget"))
        if answer == "no":
            return self._prompt_again(base, self.line.phrases["forget_kept"])
        if key == self.keys["repeat"]:
            return self._waiting_turn(state, ())
        return None

    def _answer_resume(self, state: State, heard: Input) -> Turn:
        """After "To go on from there, press 1": go on, or take anything else as said at the main menu."""
        at_menu = State(speed_step=state.speed_step)
        if heard.kind == "silence" or not heard.value.strip():
            return self._menu_turn((MAIN_MENU,))
        go_on = heard.kind == "digits" and heard.value.strip() == self.keys["next"]
        if heard.kind == "speech":
            words = self.hearing.normalize(heard.value[:MAX_SPEECH_CHARS])
            meaning = self.hearing.understand(words, True)
            go_on = self.hearing.yes_or_no(words) == "yes" or (
                meaning.kind == "command" and meaning.name in ("next", "repeat"))
        if go_on:
            return self._part_turn(state.path, state.part, confirm=True)
        return self._respond(at_menu, heard)

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

    def _miss(self, state: State, apology: str, before: int) -> Turn:
        """Help that grows with each miss in a row (`before` were in a row already): what the line does, then
        the choices one short sentence each, then a person or texting; each reply differs from the last."""
        misses = before + 1 if before < MAX_MISSES else MAX_MISSES - 1
        state = replace(state, misses=misses, pending=None)
        node, say = state.path[-1], self.talk.say
        where = Node.topic(node, state.part + 1) if node in self.line.topics else Node.menu(node)
        missed = (Event("miss", str(where)),)  # counted every time, where it happened
        if misses == 1:
            lead = [self._say(self.line.phrases[apology])]
            if node not in self.line.topics:
                lead.append(self._say(self._fill(say["miss_menu"])))
                return Turn(tuple(lead), state, Node.menu(node), hints=self._hints[node], events=missed)
            lead.append(self._say(self._fill(say["miss_topic"], label=self.line.topics[node].label)))
        elif misses == 2:
            lead = [self._say(self._fill(say["miss_choices"]))]
        else:
            lead = [self._say(self._fill(say["miss_person" if self.person_reachable else "miss_text"]))]
        if node in self.line.topics:
            return replace(self._waiting_turn(state, tuple(lead)), events=missed)
        options = tuple(self._say(self._fill(say["option_short"], label=self._label(o.kind, o.target), key=o.key))
                        for o in self.line.menus[node].options)
        return Turn(tuple(lead) + options, state, Node.menu(node), hints=self._hints[node], events=missed)

    def _confirm(self, state: State, pending: Pending) -> Turn:
        """Ask before acting on speech the recogniser was unsure of, or before ending the call."""
        asked = Event("confirm", pending.target or "end")
        return replace(self._waiting_turn(replace(state, pending=pending, misses=0), ()), events=(asked,))

    def _question_turn(self, state: State, question_id: str) -> Turn:
        """A personal question's plain answer, then the topic it offers."""
        question = self.talk.questions[question_id]
        state = replace(state, misses=0, pending=Pending("answer", "question", question_id))
        answered = Event("emergency" if question.emergency else "question", question_id)
        return replace(self._waiting_turn(state, (self._say(question.answer, PAUSE_LONG),)), events=(answered,))

    def _prompt_again(self, state: State, message: str | None = None, lead: tuple[Segment, ...] = (),
                      with_commands: bool = False, extra: tuple[Segment, ...] = ()) -> Turn:
        """Say a short message, then what the caller can do here again (not the whole part)."""
        lead = lead + ((self._say(message),) if message else ()) + extra
        if with_commands:
            lead = lead + (self._say(self._spoken_commands()),)
        if state.pending or state.path[-1] in self.line.topics:
            return self._waiting_turn(state, lead)
        return self._menu_turn(state.path, lead=lead, announce_title=False, silences=state.silences)

    def _waiting_turn(self, state: State, lead: tuple[Segment, ...]) -> Turn:
        """Lead, then the question the line waits on, or a topic part's choices."""
        node, pending, say = state.path[-1], state.pending, self.talk.say
        if pending and pending.kind == "answer":
            offer = self.line.topics[self.talk.questions[pending.target].offer]
            prompt: tuple[Segment, ...] = (self._say(self._fill(say["offer"], label=offer.label)),)
            return Turn(lead + prompt, state, Node("question", pending.target), hints=self._hints[node])
        if pending and pending.kind == "forget":
            prompt = (self._say(self.line.phrases["forget_ask"]), self._say(self._fill(say["yes_no"])))
            hints = tuple(dict.fromkeys((*self.talk.yes, *self.talk.no, *self._hints[node])))
            return Turn(lead + prompt, state, Node("forget-ask"), hints=hints)
        if pending:
            if pending.kind == "end":
                asked = self._fill(say["end_ask"])
            elif pending.target_kind == "question":
                asked = self._fill(say["confirm_question"], heard=self.talk.questions[pending.target].name)
            else:
                asked = self._fill(say["confirm_topic"], heard=self._label(pending.target_kind or "topic",
                                                                           pending.target))
            prompt = (self._say(asked), self._say(self._fill(say["yes_no"])))
            hints = tuple(dict.fromkeys((*self.talk.yes, *self.talk.no, *self._hints[node])))
            return Turn(lead + prompt, state, Node("confirm", pending.target or "end"), hints=hints)
        topic = self.line.topics[node]
        return Turn(lead + self._part_choices(topic, state.part), state, Node.topic(node, state.part + 1),
                    hints=self._hints[node])
