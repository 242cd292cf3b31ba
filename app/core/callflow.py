"""The call flow as a pure state machine: (state, caller input) -> Turn. No web, no Twilio.

What words mean is app/core/hearing.py's job; the values of a turn are in app/core/turns.py (re-exported here).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from app.core import caller_requests as caller
from app.core import listening, pace
from app.core.caller_requests import Outcome, Request
from app.core.content import MAIN_MENU, Line
from app.core.events import Event
from app.core.hearing import (
    DIGIT_WORDS,
    Action,
    Hearing,
    Meaning,
    is_action,
    normalize,
    spoken_digit,
    spoken_names,
    understood,
)
from app.core.limits import MAX_SPEECH_CHARS
from app.core.node import Node
from app.core.turns import PAUSE_LONG, Input, Pending, Segment, State, TargetKind, Turn
from app.core.understanding import GOODBYE, MAYBE_END, harmless
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

    def start(self, resume: tuple[str, int] | None = None, speed_step: int = 0, listen: int = 0) -> Turn:
        """The first turn of a call: greeting (and the offer of the line's other languages), then the main
        menu; or, for a caller who hung up inside a topic (topic, part from 0), the offer to go on from
        there. `speed_step` is the caller's speed, `listen` their steps of extra time to speak."""
        greetings = (self._say(self.line.phrases["greeting"], PAUSE_LONG), *self._offers)
        speed_step = pace.clamp(speed_step)
        if resume and resume[0] in self.line.paths and resume[0] in self.line.topics \
                and 0 <= resume[1] < len(self.line.topics[resume[0]].parts):
            turn = self._resume_offer(resume[0], resume[1], speed_step, lead=greetings)
        else:
            turn = self._at_speed_step(self._menu_turn((MAIN_MENU,), lead=greetings, announce_title=False),
                                       speed_step)
        return listening.keep(turn, listening.clamp(listen))

    def _resume_offer(self, topic: str, part: int, speed_step: int, lead: tuple[Segment, ...] = ()) -> Turn:
        """"Last time you were listening to ...": the call waits at that part for go on, or anything else."""
        offer = caller.resume_offer(self.line, topic, part, self.keys["next"])
        state = State(self.line.paths[topic], part, pending=Pending("resume", "topic", topic), speed_step=speed_step)
        hints = tuple(dict.fromkeys(self._hints[topic] + self._hints[MAIN_MENU]))
        return Turn(lead + (self._say(offer, PAUSE_LONG),), state, Node("resume", topic, part + 1), hints=hints)

    def respond(self, state: State | None, heard: Input) -> Turn:
        """The next turn, given where the call was and what the caller did."""
        if state is None or not self._valid(state):
            lead = (self._say(self.line.phrases["lost_place"]),)
            return self._at_speed_step(self._menu_turn((MAIN_MENU,), lead=lead), state.speed_step if state else 0)
        turn = self._respond(state, heard)
        # The caller's speed holds for the whole call; only a speed command changes it. Extra time to
        # speak only grows on a call (more time asked for, or misheard twice), until the caller is forgotten.
        turn = turn if turn.node.kind == "speed" else self._at_speed_step(turn, state.speed_step)
        return turn if turn.node.kind == "forget" else listening.keep(turn, state.listen)

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
        answering = state.pending
        if state.pending:
            answered = self._answer_pending(state, heard)
            if answered:
                return answered
            state = replace(state, pending=None)  # the caller moved on: take what they said as it is
        if heard.kind == "digits":
            return self._digits(state, heard.value.strip(), misses)
        # After "Is that right?", words like no example ("that's what I said") are no request to guess at.
        return self._speech(state, heard, misses, near=answering is None)

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
        said = heard.value[:MAX_SPEECH_CHARS]
        instead = self.hearing.said_instead(said) if words else None
        # The whole answer as a request, no example guessed at: "declined" when its "no" denies what follows.
        whole = self.hearing.hear(said, False, near=False) if words else None
        if pending.kind == "confirm" and whole is not None:
            if answer is None and whole.kind == "declined":
                answer = "no"  # "not side effects", "I didn't say side effects"
            if answer == "no" and instead is not None and (instead.kind, instead.name) == self._target(pending):
                instead = None  # "no, side effects": the no to it, not a request for it
        if instead is not None and instead.kind == "declined":
            if pending.kind == "end" and instead.name in (GOODBYE, MAYBE_END):
                answer = "no"  # "yes, but don't hang up": the call goes on
            instead = None
        if instead == Meaning("command", "repeat") and pending.kind in ("confirm", "end"):
            return self._prompt_again(state)  # "no, just say the question again"
        if answer == "yes" and pending.kind == "answer" and instead == Meaning("command", "goodbye"):
            return self._confirm(replace(state, pending=None), Pending("end"))  # "okay, that's all, bye now"
        if instead is not None and answer == "no" and whole is not None and whole.kind in ("nothing", "declined"):
            if not harmless(instead):
                instead = None  # "no need to hang up", "no texts please": a no, not what follows it
            else:  # "no take me back to the subjects": what follows the no, when the "no" would deny it
                rest = Input("speech", self.hearing.after_answer(said))
                return self._speech(replace(state, pending=None), rest, 0, near=False)
        if instead is not None and (answer == "no" or self._is_emergency(instead) or self._asks_else(instead, pending)):
            return None  # "no entiendo la pregunta", "yes, and I have a fever", "okay, bye now": as it was said
        if answer is None:
            if key == self.keys["repeat"] or (words and self.hearing.hear(words, False).name == "repeat"):
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

    def _speech(self, state: State, heard: Input, misses: int, near: bool = True) -> Turn:
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
        meaning = self.hearing.hear(heard.value[:MAX_SPEECH_CHARS], node in self.line.topics, near)
        if meaning.kind == "command" and meaning.name in ("repeat", "slower", "faster") and node in self.line.topics:
            speed = self._speed_said(heard.value[:MAX_SPEECH_CHARS])
            if speed:  # "say it again, slower please", "repítamelo más despacio": the part again, at the new speed
                step, phrase = caller.speed_change(speed, state.speed_step, False)
                turn = self._part_turn(state.path, state.part, confirm=False)
                turn = replace(turn, segments=(self._say(self.line.phrases[phrase]), *turn.segments),
                               node=Node("speed", pace.STEP_NAMES[step]))  # a speed change, kept for the call
                return replace(self._at_speed_step(turn, step), understood=understood(meaning))
        if meaning.kind == "nothing":
            elsewhere = self._emergency_elsewhere(heard.value[:MAX_SPEECH_CHARS], node in self.line.topics)
            if elsewhere is not None:
                return self._emergency_in(state, *elsewhere)
        return replace(self._meant(state, meaning, heard.unsure, misses), understood=understood(meaning))

    def _emergency_elsewhere(self, said: str, in_topic: bool) -> tuple[Line, str] | None:
        """Another language the line serves in which words this language did not understand tell of an
        emergency ("no puedo respirar" on the English line), and its question."""
        for other in self.others:
            meaning = Hearing.of(other).hear(said, in_topic)
            question = other.talk.questions.get(meaning.name) if meaning.kind == "question" else None
            if question is not None and question.emergency:
                return other, meaning.name
        return None

    def _emergency_in(self, state: State, other: Line, question_id: str) -> Turn:
        """Another language's emergency words, in its own voice, and how to switch to it ("Para español, marque
        asterisco"); then where the caller is, in this language."""
        lead: tuple[Segment, ...] = (self._say(other.talk.questions[question_id].answer, PAUSE_LONG,
                                               language=other.language),)
        if "language_offer" in other.phrases:
            lead += (self._say(other.phrases["language_offer"], PAUSE_LONG, language=other.language),)
        turn = self._prompt_again(state, lead=lead)
        return replace(turn, node=Node("question", question_id), events=(Event("emergency", question_id),),
                       understood=f"question:{question_id}")

    def _speed_said(self, said: str) -> caller.SpeedAction | None:
        """A slower or faster speed asked for together with hearing the part again, if one clearly is."""
        asked = {s.intent for s in self.hearing.understanding.scores(said)}
        speeds = asked & {"command:slower", "command:faster"}
        if "command:repeat" not in asked or len(speeds) != 1:
            return None
        return "slower" if speeds == {"command:slower"} else "faster"

    def _asks_else(self, meaning: Meaning, pending: Pending) -> bool:
        """Whether words after a "yes" to an offer clearly ask for something else: "okay, and what does it
        cost?" after "To hear about finding a trial, say yes" (but "yeah, go ahead" takes the offer)."""
        if not meaning.sure or meaning in (Meaning("command", "next"), Meaning("command", "repeat")):
            return False
        if pending.kind != "answer" or meaning.kind == "maybe_end":  # "yes, that's it" is a plain yes
            return False
        return meaning.name != pending.target

    @staticmethod
    def _target(pending: Pending) -> tuple[str, str | None]:
        """What a "Did you mean ...?" asks about, as a meaning's kind and name."""
        return ("question" if pending.target_kind == "question" else "node"), pending.target

    def _is_emergency(self, meaning: Meaning) -> bool:
        question = self.talk.questions.get(meaning.name) if meaning.kind == "question" else None
        return question is not None and question.emergency

    def _meant(self, state: State, meaning: Meaning, unsure: bool, misses: int) -> Turn:
        """Act on what the caller meant: an emergency at once; anything else the recogniser or the
        understanding was unsure of is asked about first; a goodbye on a doubt is a question too."""
        doubt = unsure or not meaning.sure
        if meaning.kind == "question" and meaning.name in self.talk.questions:
            if doubt and not self.talk.questions[meaning.name].emergency:
                return self._confirm(state, Pending("confirm", "question", meaning.name))
            return self._question_turn(state, meaning.name)
        if meaning.kind == "declined":  # "no need to send me a text": nothing to do, and no miss either
            return self._prompt_again(state, self.talk.say["end_no"])
        if meaning.kind == "maybe_end" or (meaning.kind == "command" and meaning.name == "goodbye" and doubt):
            return self._confirm(state, Pending("end"))
        if meaning.kind == "command" and is_action(meaning.name):
            return self._action(state, meaning.name)
        if meaning.kind == "node" and meaning.name in self.line.paths:
            if doubt:
                target: TargetKind = "topic" if meaning.name in self.line.topics else "menu"
                return self._confirm(state, Pending("confirm", target, meaning.name))
            return self._choose(self.line.paths[meaning.name])
        if meaning.kind == "language":
            if any(other.language == meaning.name for other in self.others):  # its own greeting and menus
                return Turn((), state, Node("language", meaning.name), request=Request("language", meaning.name))
            # Already in that language, or one the line does not serve: where the caller is, again.
            return replace(self._prompt_again(state), node=Node("language", meaning.name))
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
        if action == "more-time":
            turn = self._prompt_again(replace(state, listen=listening.more(state.listen)), phrases["more_time"])
            return replace(turn, node=Node("more-time", str(turn.state.listen if turn.state else 0)))
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
        key = heard.value.strip() if heard.kind == "digits" else ""
        meaning = self.hearing.hear(heard.value[:MAX_SPEECH_CHARS], True) if heard.kind == "speech" else None
        if key == self.keys["repeat"] or (meaning and meaning == Meaning("command", "repeat")):
            again = self._resume_offer(state.path[-1], state.part, state.speed_step)
            return replace(again, understood="command:repeat" if meaning else "")
        go_on = key == self.keys["next"] or (heard.kind == "speech" and (
            self.hearing.yes_or_no(self.hearing.normalize(heard.value[:MAX_SPEECH_CHARS])) == "yes"
            or meaning == Meaning("command", "next")))
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
