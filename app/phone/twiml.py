"""Twilio's TwiML, parsed: the voice verbs a call follows and the bodies of messaging replies.

This is also how the tests inspect what the line answers, rather than comparing strings.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Iterator, TypeVar, Union


@dataclass(frozen=True)
class Utterance:
    """One sentence (<s>), say-as or loose text of a <Say>, and the pause (<break>) after it."""

    text: str
    pause_ms: int = 0
    interpret_as: str | None = None  # say-as: "telephone", "digits"...


@dataclass(frozen=True)
class Say:
    """A <Say>: what is spoken, in which voice, language and SSML prosody rate ("90%")."""

    utterances: tuple[Utterance, ...]
    voice: str | None = None
    language: str | None = None
    prosody_rate: str | None = None

    @property
    def text(self) -> str:
        """Everything this <Say> speaks, as plain text."""
        return " ".join(u.text for u in self.utterances)


@dataclass(frozen=True)
class Gather:
    """A <Gather>: the prompts it speaks and how it listens."""

    action: str | None
    method: str = "POST"
    input: tuple[str, ...] = ("dtmf",)
    timeout: int = 5
    num_digits: int | None = None
    speech_timeout: str | None = None
    language: str | None = None
    hints: tuple[str, ...] = ()
    says: tuple[Say, ...] = ()


@dataclass(frozen=True)
class Redirect:
    """A <Redirect> to another TwiML URL."""

    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Dial:
    """A <Dial>: a transfer to a number, and where Twilio reports how it went."""

    number: str
    action: str | None = None
    method: str = "POST"
    timeout: int = 30


@dataclass(frozen=True)
class Hangup:
    """A <Hangup>."""


Verb = Union[Say, Gather, Redirect, Dial, Hangup]
AnyVerb = TypeVar("AnyVerb", Say, Gather, Redirect, Dial, Hangup)


@dataclass(frozen=True)
class VoiceResponse:
    """A parsed voice TwiML document, verb by verb, with the views tests and callers need."""

    verbs: tuple[Verb, ...]

    @property
    def says(self) -> tuple[Say, ...]:
        """Every <Say>, those inside the <Gather> included, in the order they are spoken."""
        found: list[Say] = []
        for verb in self.verbs:
            found += verb.says if isinstance(verb, Gather) else [verb] if isinstance(verb, Say) else []
        return tuple(found)

    @property
    def utterances(self) -> tuple[Utterance, ...]:
        """Every utterance, in the order spoken."""
        return tuple(u for say in self.says for u in say.utterances)

    @property
    def text(self) -> str:
        """Everything spoken, as plain text."""
        return " ".join(say.text for say in self.says)

    @property
    def gather(self) -> Gather | None:
        """The (first) <Gather>, if the line listens."""
        return self._first(Gather)

    @property
    def redirect(self) -> Redirect | None:
        """The (first) <Redirect>."""
        return self._first(Redirect)

    @property
    def dial(self) -> Dial | None:
        """The (first) <Dial>."""
        return self._first(Dial)

    @property
    def hangs_up(self) -> bool:
        """Whether the document ends the call with <Hangup>."""
        return self._first(Hangup) is not None

    def _first(self, kind: type[AnyVerb]) -> AnyVerb | None:
        return next((verb for verb in self.verbs if isinstance(verb, kind)), None)


def _pause_ms(value: str) -> int:
    """A <break time> ("400ms", "1s", "1.5s") in milliseconds."""
    match = re.fullmatch(r"\s*([\d.]+)\s*(ms|s)\s*", value or "")
    if not match:
        return 0
    number = float(match.group(1))
    return int(number if match.group(2) == "ms" else number * 1000)


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _say_parts(element: ET.Element) -> Iterator[Utterance | int]:
    """Utterances and pauses (ints, in ms) inside a <Say> or SSML element, in document order."""
    if _clean(element.text):
        yield Utterance(_clean(element.text))
    for child in element:
        if child.tag == "break":
            yield _pause_ms(child.get("time", ""))
        elif child.tag in ("s", "say-as", "sub", "w", "phoneme"):
            spoken = _clean(child.get("alias") if child.tag == "sub" else "".join(child.itertext()))
            if spoken:
                yield Utterance(spoken, interpret_as=child.get("interpret-as"))
        else:  # prosody, emphasis, p, lang: containers
            yield from _say_parts(child)
        if _clean(child.tail):
            yield Utterance(_clean(child.tail))


def _parse_say(element: ET.Element) -> Say:
    utterances: list[Utterance] = []
    for part in _say_parts(element):
        if isinstance(part, Utterance):
            utterances.append(part)
        elif utterances:
            last = utterances[-1]
            utterances[-1] = Utterance(last.text, last.pause_ms + part, last.interpret_as)
    prosody = element.find(".//prosody")
    return Say(tuple(utterances), element.get("voice"), element.get("language"),
               prosody.get("rate") if prosody is not None else None)


def _parse_gather(element: ET.Element) -> Gather:
    num_digits = element.get("numDigits")
    hints = tuple(h.strip() for h in element.get("hints", "").split(",") if h.strip())
    return Gather(
        action=element.get("action"),
        method=element.get("method", "POST").upper(),
        input=tuple(element.get("input", "dtmf").split()),
        timeout=int(element.get("timeout", "5")),
        num_digits=int(num_digits) if num_digits else None,
        speech_timeout=element.get("speechTimeout"),
        language=element.get("language"),
        hints=hints,
        says=tuple(_parse_say(child) for child in element if child.tag == "Say"),
    )


def parse_voice(twiml: str) -> VoiceResponse:
    """Parse a voice TwiML document into verbs; unknown verbs are refused, as Twilio refuses them."""
    root = ET.fromstring(twiml)
    if root.tag != "Response":
        raise ValueError(f"TwiML must start with <Response>, not <{root.tag}>")
    verbs: list[Verb] = []
    for element in root:
        if element.tag == "Say":
            verbs.append(_parse_say(element))
        elif element.tag == "Gather":
            verbs.append(_parse_gather(element))
        elif element.tag == "Redirect":
            verbs.append(Redirect(_clean(element.text), element.get("method", "POST").upper()))
        elif element.tag == "Dial":
            verbs.append(Dial(_clean("".join(element.itertext())), element.get("action"),
                              element.get("method", "POST").upper(), int(element.get("timeout", "30"))))
        elif element.tag == "Hangup":
            verbs.append(Hangup())
        else:
            raise ValueError(f"the simulator does not know the TwiML verb <{element.tag}>")
    return VoiceResponse(tuple(verbs))


def parse_messages(twiml: str) -> list[str]:
    """The bodies of the <Message>s in a messaging TwiML document."""
    root = ET.fromstring(twiml)
    if root.tag != "Response":
        raise ValueError(f"TwiML must start with <Response>, not <{root.tag}>")
    bodies = []
    for message in root.iter("Message"):
        body = message.find("Body")
        bodies.append((body.text if body is not None else message.text) or "")
    return bodies
