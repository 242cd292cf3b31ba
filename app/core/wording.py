"""What the call flow says: menus, parts, choices and reserved keys, each sentence from the content with its
spoken form. The base of CallFlow (app/core/callflow.py), which decides which of these a caller hears. Pure."""

from __future__ import annotations

import functools
from dataclasses import replace

from app.core.content import MAIN_MENU, Line, Menu, Topic
from app.core.events import Event
from app.core.hearing import Action, Hearing, is_action
from app.core.listening import MISHEARD_IN_A_ROW, more
from app.core.node import Node
from app.core.speech import phone_number_words
from app.core.turns import MAX_MISSES, MAX_SILENCES, PAUSE_LONG, PAUSE_SHORT, Pending, Segment, SegmentKind, State, Turn


class Wording:
    """Builds the turns a call can hear from the content; knows nothing of what the caller did."""

    def __init__(self, line: Line, transfer_number: str | None = None, contact_number: str | None = None):
        self.line, self.talk = line, line.talk
        self.transfer_number = transfer_number or None
        self.contact_number = contact_number or None
        self.hearing = Hearing.of(line)
        # The keys a sentence may name ({repeat}, {yes}...), so that no key is written into code.
        self.keys: dict[str, str] = {a: r.key for a, r in line.reserved.items() if r.key}
        self.keys.update(self.talk.keys)
        self._hints = {node: self._hints_at(node) for node in line.paths}
        self._key_actions: dict[str, Action] = {
            key: action for key, action in line.command_keys.items() if is_action(action)
        }
        # The same few hundred sentences are said over and over: pronounce each once.
        self._pronounce = functools.lru_cache(maxsize=4096)(line.pronounce)

    def keys_at(self, node: str) -> set[str]:
        """The keys that do something at a menu or topic: the commands, plus its choices or, in a topic,
        go on and the part before."""
        if node in self.line.topics:
            return set(self._key_actions) | {k for k in (self.keys.get("next"), self.keys.get("previous")) if k}
        return set(self._key_actions) | {o.key for o in self.line.menus[node].options}

    def keys_for(self, state: State) -> set[str]:
        """The keys that do something where a call waits, a pending question's answers included."""
        if state.pending and state.pending.kind == "resume":  # go on, or anything the main menu takes
            return self.keys_at(MAIN_MENU) | {self.keys["next"]}
        keys = self.keys_at(state.path[-1])
        if state.pending and state.pending.kind == "answer":
            keys.add(self.keys["next"])
        elif state.pending:
            keys |= {self.keys["yes"], self.keys["no"]}
        return keys

    @property
    def person_reachable(self) -> bool:
        """Whether a caller can reach a person: a transfer number or a number to call is set."""
        return bool(self.transfer_number or self.contact_number)

    def error_turn(self) -> Turn:
        """What to do after something broke on our side: apologise and offer the main menu."""
        return self._menu_turn((MAIN_MENU,), lead=(self._say(self.line.phrases["error"]),), announce_title=False)

    def _fill(self, sentence: str, **values: str) -> str:
        """A conversation sentence with its keys and values filled in."""
        return sentence.format(**self.keys, **values)

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
            segments.append(self._confirm_label(topic.label))
        count, title = len(topic.parts), topic.parts[part].title
        heading = self.line.templates["part_heading"].format(number=part + 1, count=count, title=title)
        segments.append(self._say(heading if count > 1 else f"{title}.", PAUSE_SHORT))
        segments.append(self._say(topic.parts[part].text, PAUSE_LONG))
        if part + 1 == count:  # the end of the topic: the disclaimer comes with it, once
            segments += [self._say(self.line.phrases["end_of_topic"], PAUSE_SHORT),
                         self._say(self.line.phrases["disclaimer"], PAUSE_LONG)]
        segments += self._part_choices(topic, part)
        return Turn(tuple(segments), State(path, part, 0), Node.topic(topic.id, part + 1), hints=self._hints[topic.id])

    def _confirm_label(self, label: str) -> Segment:
        """The choice said back ("Side effects."), so the caller knows they were understood."""
        return self._say(self.line.templates["confirm"].format(label=label[:1].upper() + label[1:]), PAUSE_SHORT)

    def _part_choices(self, topic: Topic, part: int) -> tuple[Segment, ...]:
        """Short choices after a part: go on (or another topic after the last), then the part before,
        hearing it again and other topics, in about 25 words."""
        templates, nxt, say = self.line.templates, self.line.reserved["next"], self.talk.say
        first, last = part == 0, part + 1 == len(topic.parts)
        if last:
            go_on = templates["another_topic"].format(key=nxt.key)
        else:
            go_on = templates["next_part"].format(label=nxt.label, key=nxt.key, say=nxt.phrases[0])
        keys = say["part_keys_first"] if first else say["part_keys_last"] if last else say["part_keys"]
        return self._say(go_on), self._say(self._fill(keys))

    def _goodbye(self) -> Turn:
        return Turn((self._say(self.line.phrases["goodbye"]),), None, Node("goodbye"), hangup=True)

    def _say(self, text: str, pause_ms: int = PAUSE_SHORT, kind: SegmentKind = "text", language: str = "") -> Segment:
        """A segment with its spoken form: the pronunciation list applied, a phone number digit by digit.
        `language` is set only for a sentence in another language than the line's (the other's offer)."""
        spoken = phone_number_words(text) if kind == "phone_number" else text if language else self._pronounce(text)
        return Segment(text, pause_ms, kind, spoken, language)

    def _command_segments(self, at_main: bool) -> tuple[Segment, ...]:
        """The reserved keys, announced the same way everywhere: back and main menu only off the main
        menu, and a person only when someone can be reached (a dead end is worse than no offer)."""
        segments = []
        for action in ("repeat", "back", "main", "person"):
            if at_main and action in ("back", "main"):
                continue
            if action == "person" and not self.person_reachable:
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
                hints += self.hearing.names.get(option.target, ())
        for action, reserved in self.line.reserved.items():
            if action != "next" or node in self.line.topics:
                hints += [self.hearing.normalize(p) for p in reserved.phrases]
        if node in self.line.topics:
            hints += [self.hearing.normalize(p) for p in self.talk.anywhere.get("previous", ())]
        return tuple(dict.fromkeys(h for h in hints if h))

    # ----- turns that wait: silence, misses, questions the line asks --------------------------

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
        """Help that grows with each miss in a row (`before` were in a row already): what the line does,
        then the choices one short sentence each, then a person or texting. Each reply differs from
        the one before it."""
        misses = before + 1 if before < MAX_MISSES else MAX_MISSES - 1
        state = replace(state, misses=misses, pending=None)
        if before + 1 == MISHEARD_IN_A_ROW:  # misheard twice in a row: more time to speak from now on
            state = replace(state, listen=more(state.listen))
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
