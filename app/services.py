"""The services every webhook and app command uses, built once by create_app and kept on the app.

Here, not in web/, so that the CLI reaches them without importing the web layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, current_app

from app.core.callflow import CallFlow
from app.core.content import Line, load_line
from app.core.events import Event
from app.core.language import LANGUAGES, Language
from app.core.reply_limit import ReplyLimit
from app.core.textflow import TextFlow
from app.phone import Call, Phone
from app.store import Store
from app.store.learned import LearnedPhrases

EXTENSION = "cart_line"
LEARNED_EXTENSION = "learned_phrases"


@dataclass(frozen=True)
class Services:
    """What the web layer needs, built once at start-up: one content line, call flow and text flow per
    language (the first is the line's default), the store, and the reply limit."""

    lines: Mapping[str, Line]
    call_flows: Mapping[str, CallFlow]
    text_flows: Mapping[str, TextFlow]
    store: Store
    replies: ReplyLimit  # per number, in this worker's memory
    number_languages: Mapping[str, str] = field(default_factory=dict)  # a called number (To) -> its language
    voices: Mapping[str, str] = field(default_factory=dict)  # language code -> Twilio voice

    @property
    def default(self) -> str:
        """The line's first language: a call or text in no other starts in it."""
        return next(iter(self.lines))

    def language_for(self, code: str | None) -> str:
        """`code` when the line serves it, else the default language."""
        return code if code and code in self.lines else self.default

    @property
    def line(self) -> Line:
        """The default language's content."""
        return self.lines[self.default]

    @property
    def calls(self) -> CallFlow:
        """The default language's call flow."""
        return self.call_flows[self.default]

    @property
    def texts(self) -> TextFlow:
        """The default language's text flow."""
        return self.text_flows[self.default]

    def language(self, code: str | None) -> Language:
        """The Language of a served code (else the default's)."""
        return self.lines[self.language_for(code)].lang

    def language_events(self, code: str) -> tuple[Event, ...]:
        """The count of a call or text thread in a language, once the line serves more than one."""
        return (Event("language", self.language_for(code)),) if len(self.lines) > 1 else ()

    def call_in(self, phone: Phone, caller: str, language: str | None) -> Call:
        """A simulated call in a language (flask call --language, the simulator's switch): to a number
        NUMBER_LANGUAGES maps to it, or else choosing it after the greeting by its key (*), as a caller would."""
        mapped = next((number for number, code in self.number_languages.items() if code == language), None)
        if mapped:
            phone.line_phone_number = mapped
        call = phone.call(caller)
        wanted = self.language(language).speech_language if language else None
        if wanted and call.gather is not None and call.gather.language != wanted:
            call.press("*")
        return call

    def voice(self, code: str | None) -> str:
        """The Twilio voice for a language: the VOICES setting, or the language's own."""
        code = self.language_for(code)
        return self.voices.get(code) or self.lines[code].lang.voice


def served_languages(config: Mapping[str, Any]) -> list[str]:
    """The languages the line serves: LANGUAGES, or CONTENT_LANGUAGE first and every other folder present."""
    wanted = [c.strip() for c in str(config.get("LANGUAGES", "")).split(",") if c.strip()]
    if wanted:
        return list(dict.fromkeys(wanted))
    first = str(config["CONTENT_LANGUAGE"])
    folder = Path(config["CONTENT_DIR"])
    others = sorted(p.name for p in folder.iterdir()
                    if p.name in LANGUAGES and (p / "line.yaml").is_file()) if folder.is_dir() else []
    return list(dict.fromkeys([first, *others]))


def build_flows(config: Mapping[str, Any]) -> tuple[dict[str, Line], dict[str, CallFlow], dict[str, TextFlow]]:
    """Load every served language's content (ContentError on any problem) and build its call and text flows."""
    lines = {code: load_line(config["CONTENT_DIR"], code) for code in served_languages(config)}
    calls = {code: CallFlow(line, config["TRANSFER_NUMBER"], config["CONTACT_NUMBER"], others=tuple(lines.values()))
             for code, line in lines.items()}
    return lines, calls, {code: TextFlow(line) for code, line in lines.items()}


def init_app(app: Flask, built: Services) -> None:
    """Keep the services on the app, as Flask extensions do."""
    app.extensions[EXTENSION] = built


def services() -> Services:
    """The running app's services."""
    built: Services = current_app.extensions[EXTENSION]
    return built


def learner() -> LearnedPhrases:
    """The learned-phrases store, built once per app on the line's database, behind the store's deadline."""
    found = current_app.extensions.get(LEARNED_EXTENSION)
    if found is None:
        store = services().store
        found = LearnedPhrases(store.engine, current_app.config["PHONE_HASH_SECRET"], run=store.guarded)
        current_app.extensions[LEARNED_EXTENSION] = found
    return found
