"""A simulated Twilio: calls and texts the line's webhooks, signed as Twilio signs them, and follows the TwiML.

Give it something that POSTs (a Flask test client, or a callable `(url, form, headers) -> (status, body)`),
the auth token the line checks signatures with (may be empty) and the base URL the line is reached at.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Protocol, Union
from urllib.parse import urljoin, urlsplit

from twilio.request_validator import RequestValidator

from app.phone.twiml import Gather, Utterance, VoiceResponse, parse_messages, parse_voice

# Numbers in the 555-0100..0199 range are reserved for fiction: they never reach a real person.
DEFAULT_CALLER = "+12025550142"
DEFAULT_LINE_PHONE_NUMBER = "+12025550100"
ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_CONFIDENCE = 0.92
MAX_FOLLOWED = 10  # redirects and transfers followed in one step before giving up, as Twilio does with loops


class WebhookError(RuntimeError):
    """The line answered a webhook with something other than 200 and TwiML."""

    def __init__(self, url: str, status: int, detail: str = ""):
        super().__init__(f"{url} answered {status}{': ' + detail if detail else ''}")
        self.url, self.status = url, status


class CallEnded(RuntimeError):
    """The call is over: nothing more can be pressed or said."""


class TestClientLike(Protocol):
    """What is used of a Flask test client."""

    def post(self, url: str, *, data: Mapping[str, str], headers: Mapping[str, str]) -> Any: ...


PostFunction = Callable[[str, Mapping[str, str], Mapping[str, str]], "tuple[int, str]"]
Transport = Union[TestClientLike, PostFunction]


@dataclass(frozen=True)
class Event:
    """One thing a person on the call would notice: the line speaking, the caller acting, or the network."""

    who: str  # "line", "caller" or "network"
    text: str
    utterances: tuple[Utterance, ...] = ()


@dataclass(frozen=True)
class CallPosition:
    """Where a call waits for the caller: all that is needed to go on with it later, in any process."""

    call_sid: str
    caller: str
    line_phone_number: str
    action: str  # the Gather's action URL, absolute
    on_silence: str | None  # the Redirect Twilio follows when the caller gives no input
    inputs: tuple[str, ...] = ("dtmf", "speech")

    def to_dict(self) -> dict[str, Any]:
        """The position as plain JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallPosition:
        """Read a position back from `to_dict`; ValueError when it is incomplete."""
        try:
            on_silence = data.get("on_silence")
            return cls(str(data["call_sid"]), str(data["caller"]), str(data["line_phone_number"]), str(data["action"]),
                       str(on_silence) if on_silence else None, tuple(str(i) for i in data.get("inputs", ())))
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a call position: {error}") from None


@dataclass
class Call:
    """One simulated phone call: press, say or wait at each turn, as Twilio would pass it on."""

    phone: Phone
    call_sid: str
    caller: str
    line_phone_number: str
    position: CallPosition | None = None
    last: VoiceResponse | None = None
    events: list[Event] = field(default_factory=list)
    seconds: int = 0  # how long the call has lasted, as the status callback reports it (tests set it)

    @property
    def ended(self) -> bool:
        """Whether the call is over."""
        return self.position is None

    @property
    def gather(self) -> Gather | None:
        """The <Gather> the call waits at."""
        return self.last.gather if self.last else None

    def press(self, digit: str) -> VoiceResponse:
        """Press one key of the keypad."""
        if len(digit) != 1 or digit not in "0123456789*#":
            raise ValueError(f"not a key of a phone keypad: {digit!r}")
        self._record(Event("caller", f"pressed {digit}"))
        return self._answer("dtmf", {"Digits": digit})

    def say(self, text: str, confidence: float = DEFAULT_CONFIDENCE) -> VoiceResponse:
        """Say something, as Twilio's speech recognition would pass it on."""
        self._record(Event("caller", f"said \u201c{text}\u201d"))
        return self._answer("speech", {"SpeechResult": text, "Confidence": f"{confidence:.2f}"})

    def wait(self) -> VoiceResponse:
        """Stay silent until the Gather times out: Twilio then goes on to the verb after it (the Redirect)."""
        position = self._waiting()
        self._record(Event("caller", "stayed silent"))
        if position.on_silence is None:
            self._finish(Event("network", "The line hung up."))
            return self.last or VoiceResponse(())
        return self._fetch(position.on_silence, {})

    def hang_up(self) -> None:
        """The caller hangs up."""
        if not self.ended:
            self._finish(Event("network", "You hung up."))

    def _waiting(self) -> CallPosition:
        if self.position is None:
            raise CallEnded("the call has ended")
        return self.position

    def _answer(self, kind: str, params: dict[str, str]) -> VoiceResponse:
        position = self._waiting()
        if position.inputs and kind not in position.inputs:
            raise ValueError(f"the line is not listening for {kind} here (only {', '.join(position.inputs)})")
        return self._fetch(position.action, params)

    def _fetch(self, url: str, params: dict[str, str]) -> VoiceResponse:
        """Request TwiML and follow it as Twilio does, until the line waits for the caller or the call ends."""
        for _ in range(MAX_FOLLOWED):
            response = parse_voice(self.phone.request(url, {**self._call_params(), **params}))
            self.last = response
            for say in response.says:
                self._record(Event("line", say.text, say.utterances))
            gather, redirect, dial = response.gather, response.redirect, response.dial
            if gather is not None:
                action = self.phone.absolute(gather.action or url)
                on_silence = self.phone.absolute(redirect.url) if redirect else None
                self.position = CallPosition(self.call_sid, self.caller, self.line_phone_number, action, on_silence,
                                         gather.input)
                return response
            if dial is not None:
                self._record(Event("network", f"Transferring to {dial.number}. Nobody answers in the simulator."))
                if dial.action is None:
                    break
                url, params = self.phone.absolute(dial.action), {"DialCallStatus": "no-answer"}
                continue
            if redirect is not None and not response.hangs_up:
                url, params = self.phone.absolute(redirect.url), {}
                continue
            break
        else:
            self._finish(Event("network", "The call was ended: the line redirected too many times."))
            return self.last  # type: ignore[return-value]
        self._finish(Event("network", "The line hung up."))
        return response

    def _call_params(self) -> dict[str, str]:
        return {"CallSid": self.call_sid, "AccountSid": ACCOUNT_SID, "From": self.caller, "To": self.line_phone_number,
                "Caller": self.caller, "Called": self.line_phone_number, "CallStatus": "in-progress",
                "Direction": "inbound", "ApiVersion": "2010-04-01"}

    def _record(self, event: Event) -> None:
        self.events.append(event)

    def _finish(self, event: Event) -> None:
        self.position = None
        self._record(event)
        if self.phone.status_path:  # Twilio's call status callback, when the number has one set
            form = {**self._call_params(), "CallStatus": "completed", "CallDuration": str(self.seconds)}
            self.phone.notify(self.phone.absolute(self.phone.status_path), form)


# ----- the phone network ---------------------------------------------------------------------

class Phone:
    """Twilio in miniature: places calls and sends texts to the line, every request signed."""

    def __init__(self, transport: Transport, base_url: str, auth_token: str = "",
                 line_phone_number: str = DEFAULT_LINE_PHONE_NUMBER, status_path: str = ""):
        self._post = _as_post_function(transport)
        self.status_path = status_path  # where call status callbacks go ("/voice/status"); none when empty
        self.base_url = base_url.rstrip("/") + "/"
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.line_phone_number = line_phone_number

    @classmethod
    def for_app(cls, app: Any, base_url: str | None = None, status_path: str = "") -> Phone:
        """A phone wired to a Flask app in this process, signing with the app's own token."""
        config = app.config
        return cls(app.test_client(), config["PUBLIC_BASE_URL"] or base_url or "http://localhost/",
                   config["TWILIO_AUTH_TOKEN"], status_path=status_path)

    def call(self, caller: str = DEFAULT_CALLER, path: str = "/voice") -> Call:
        """Place a call to the line; the call then waits at the first menu (or has ended)."""
        call = Call(self, "CA" + secrets.token_hex(16), caller, self.line_phone_number)
        call._fetch(self.absolute(path), {"CallStatus": "ringing"})
        return call

    def resume(self, position: CallPosition) -> Call:
        """Go on with a call from a position kept elsewhere (the simulator page keeps it)."""
        if not self.owns(position.action) or (position.on_silence and not self.owns(position.on_silence)):
            raise ValueError("that call position points away from this line")
        return Call(self, position.call_sid, position.caller, position.line_phone_number, position)

    def send_sms(self, body: str, sender: str = DEFAULT_CALLER, path: str = "/sms") -> list[str]:
        """Text the line; return its replies (none is a valid answer, e.g. after STOP)."""
        form = {"MessageSid": "SM" + secrets.token_hex(16), "SmsSid": "", "AccountSid": ACCOUNT_SID,
                "From": sender, "To": self.line_phone_number, "Body": body, "NumMedia": "0", "NumSegments": "1",
                "ApiVersion": "2010-04-01"}
        form["SmsSid"] = form["MessageSid"]
        return parse_messages(self.request(self.absolute(path), form))

    def absolute(self, url: str) -> str:
        """A URL from TwiML made absolute against the line's base URL, as Twilio resolves it."""
        return urljoin(self.base_url, url)

    def owns(self, url: str) -> bool:
        """Whether a URL belongs to the line this phone calls."""
        return urlsplit(url).netloc == urlsplit(self.base_url).netloc

    def request(self, url: str, form: Mapping[str, str]) -> str:
        """POST a form to the line, signed as Twilio signs it; the TwiML it answers."""
        status, body = self.notify(url, form)
        if status != 200:
            raise WebhookError(url, status)
        return body

    def notify(self, url: str, form: Mapping[str, str]) -> tuple[int, str]:
        """POST a form to the line, signed as Twilio signs it; the status and body, whatever they are."""
        headers = {}
        if self.validator is not None:
            headers["X-Twilio-Signature"] = self.validator.compute_signature(url, dict(form))
        return self._post(url, dict(form), headers)


def _as_post_function(transport: Transport) -> PostFunction:
    """A test client (anything with .post) or a plain function, as one function."""
    if callable(getattr(transport, "post", None)):
        client = transport

        def post(url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, str]:
            reply = client.post(url, data=form, headers=headers)  # type: ignore[union-attr]
            body = reply.get_data(as_text=True)
            reply.close()  # as a server closes a response once sent: what the line does after it runs now
            return reply.status_code, body

        return post
    return transport  # type: ignore[return-value]
