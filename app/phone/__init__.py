"""A simulated Twilio (call.py) and its TwiML parser (twiml.py), for the simulator page, `flask call` and tests."""

from app.phone.call import (
                   ACCOUNT_SID,
                   DEFAULT_CALLER,
                   DEFAULT_CONFIDENCE,
                   DEFAULT_LINE_PHONE_NUMBER,
                   MAX_FOLLOWED,
                   Call,
                   CallEnded,
                   CallPosition,
                   Event,
                   Phone,
                   PostFunction,
                   TestClientLike,
                   Transport,
                   WebhookError,
)
from app.phone.twiml import (
                   Dial,
                   Gather,
                   Hangup,
                   Redirect,
                   Say,
                   Utterance,
                   Verb,
                   VoiceResponse,
                   parse_messages,
                   parse_voice,
)

__all__ = ["ACCOUNT_SID", "DEFAULT_CALLER", "DEFAULT_CONFIDENCE", "DEFAULT_LINE_PHONE_NUMBER", "MAX_FOLLOWED", "Call",
           "CallEnded", "Dial", "Event", "Gather", "Hangup", "Phone", "CallPosition", "PostFunction", "Redirect", "Say",
           "TestClientLike", "Transport", "Utterance", "Verb", "VoiceResponse", "WebhookError", "parse_messages",
           "parse_voice"]
