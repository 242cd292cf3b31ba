"""Settings from the environment (and .env), with the defaults a local run needs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Every setting the line reads, its default, and how to read it. .env.example documents each.
DEFAULTS: dict[str, Any] = {
    "LINE_ENV": "production",  # or "development" (./scripts/run): no token needed, simulator without password
    "TWILIO_AUTH_TOKEN": "",
    "PUBLIC_BASE_URL": "",
    "TRUSTED_PROXIES": 0,  # proxy hops whose X-Forwarded-* headers are believed; 0 trusts none
    "DATABASE_URL": f"sqlite:///{PROJECT_ROOT / 'instance' / 'line.db'}",
    "DATABASE_TIMEOUT": 2.0,  # seconds any database call may take before the line goes on without it
    "STOP_JOURNAL": str(PROJECT_ROOT / "instance" / "stop-journal.txt"),
    "PHONE_HASH_SECRET": "",
    "TRANSFER_NUMBER": "",
    "CONTACT_NUMBER": "",
    "TWILIO_VOICE": "",  # the default language's voice; empty: its Language's (Polly.Joanna-Neural for English)
    "VOICES": "",  # other languages' voices, "es=Polly.Lupe-Neural"; empty: each Language's own
    "VOICE_LANGUAGE": "",  # the default language's <Say>/<Gather> language; empty: its Language's (en-US)
    "SPEECH_RATE": "90%",
    "WORDS_PER_MINUTE": 140,  # estimates: about 150 a minute, a little slower at 90%
    "GATHER_TIMEOUT": 12,
    "SPEECH_TIMEOUT": "3",  # whole seconds: Twilio refuses "auto" once a speech model is set
    "SPEECH_MODEL": "phone_call",
    "SPEECH_CONFIDENCE": 0.5,  # below this, a topic or question heard is confirmed first; 0 turns it off
    "CONTENT_DIR": str(PROJECT_ROOT / "content"),
    "CONTENT_LANGUAGE": "en",  # the line's default language: callers and texters start in it
    "LANGUAGES": "",  # the languages served, "en,es"; empty: CONTENT_LANGUAGE and every other folder in CONTENT_DIR
    "NUMBER_LANGUAGES": "",  # called numbers that answer in another language, "+15550100=es"
    "SMS_OPT_OUT_BY_TWILIO": True,
    "SMS_REPLIES_PER_HOUR": 20,  # per number and web worker; STOP, START and HELP are always answered
    "SIMULATOR_ENABLED": None,  # None: on only in development while no TWILIO_AUTH_TOKEN is set
    "SIMULATOR_PASSWORD": "",
    "PREVIEW_DIR": str(PROJECT_ROOT / "preview"),
    # Keep short phrases that several callers said and the line did not understand (app/store/learned.py).
    "LEARN_PHRASES": False,
    # Texts sent to callers ("text me this") and what the line remembers about them.
    "TWILIO_ACCOUNT_SID": "",  # without it, messages stay in the outbox (local work, tests)
    "SMS_FROM_NUMBER": "",  # default: the number the caller called
    "TEXTS_PER_DAY": 5,  # requests for texts per number in 24 hours
    "OUTBOX_MAX_ATTEMPTS": 8,
    "TWILIO_API_URL": "",  # tests and benchmarks only: a local stand-in of Twilio's REST API
    "RESUME_DAYS": 30,  # offer "go on from there" to a caller back within this many days
    "RETENTION_DAYS": 30,  # places, speeds, texters' places and sent messages are deleted after this
    # The operators' report page at /report: off (404) unless both are set. `flask operator password` makes the hash.
    "OPERATOR_PASSWORD_HASH": "",
    "SECRET_KEY": "",  # signs the operators' session cookie and CSRF tokens: a long random value
}
# No caller waits less than this for input, whatever the setting says.
MIN_GATHER_TIMEOUT = 10
DEV_HASH_SECRET = "local-development-only"
ENVIRONMENTS = ("production", "development")


def _as_bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings, each read from the environment when set there, else its default."""
    environ = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for name, default in DEFAULTS.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            settings[name] = default
        elif isinstance(default, bool) or name == "SIMULATOR_ENABLED":
            settings[name] = _as_bool(raw)
        elif isinstance(default, float):
            try:
                settings[name] = float(raw)
            except ValueError:
                raise ValueError(f"setting {name} must be a number like 0.5, not {raw!r}") from None
        elif isinstance(default, int):
            try:
                settings[name] = int(raw)
            except ValueError:
                raise ValueError(f"setting {name} must be a whole number, not {raw!r}") from None
        else:
            settings[name] = raw.strip()
    return settings


def finish(settings: dict[str, Any], serving: bool = True) -> list[str]:
    """Apply the rules between settings; return warnings for the operator.

    With serving=False (the editors' commands, which answer no webhook) production's refusals do not apply.
    """
    warnings = []
    environment = str(settings["LINE_ENV"]).strip().lower()
    if environment not in ENVIRONMENTS:
        raise ValueError(f"LINE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {settings['LINE_ENV']!r}")
    settings["LINE_ENV"] = environment
    development = environment == "development"
    settings["GATHER_TIMEOUT"] = max(int(settings["GATHER_TIMEOUT"]), MIN_GATHER_TIMEOUT)
    if int(settings["TRUSTED_PROXIES"]) < 0:
        raise ValueError("TRUSTED_PROXIES must be 0 (trust no proxy) or the number of proxies in front of the line")
    if not 0.1 <= float(settings["DATABASE_TIMEOUT"]) <= 10:
        raise ValueError("DATABASE_TIMEOUT must be between 0.1 and 10 seconds (Twilio waits 15 s for an answer)")
    if not 0 <= float(settings["SPEECH_CONFIDENCE"]) <= 1:
        raise ValueError("setting SPEECH_CONFIDENCE must be between 0 (never confirm) and 1")
    if not serving:
        development = True
    if not settings["TWILIO_AUTH_TOKEN"]:
        if not development:
            raise ValueError("TWILIO_AUTH_TOKEN must be set: without it anyone could pose as Twilio. "
                             "For local development set LINE_ENV=development (./scripts/run does).")
        warnings.append("TWILIO_AUTH_TOKEN is not set: webhook signatures are NOT checked. "
                        "This is only safe for local development.")
    elif not development and not settings["PUBLIC_BASE_URL"]:
        warnings.append("PUBLIC_BASE_URL is not set: signatures are checked against the URL as this server sees "
                        "it. Set PUBLIC_BASE_URL (recommended) or TRUSTED_PROXIES when a proxy is in front.")
    if not settings["PHONE_HASH_SECRET"]:
        if settings["TWILIO_AUTH_TOKEN"]:
            raise ValueError("PHONE_HASH_SECRET must be set when TWILIO_AUTH_TOKEN is set: "
                             "it keys the hashes that stand in for phone numbers")
        settings["PHONE_HASH_SECRET"] = DEV_HASH_SECRET
    if not settings["TRANSFER_NUMBER"] and not settings["CONTACT_NUMBER"]:
        warnings.append("Neither TRANSFER_NUMBER nor CONTACT_NUMBER is set: callers who press 0 for a person "
                        "will hear that no one can take calls. Set one of them before going live.")
    for name in ("VOICES", "NUMBER_LANGUAGES"):
        pairs(str(settings[name]), name)
    for name in ("TEXTS_PER_DAY", "OUTBOX_MAX_ATTEMPTS", "RESUME_DAYS", "RETENTION_DAYS"):
        if int(settings[name]) < 1:
            raise ValueError(f"setting {name} must be at least 1, not {settings[name]!r}")
    if settings["TWILIO_ACCOUNT_SID"] and not settings["TWILIO_AUTH_TOKEN"]:
        raise ValueError("TWILIO_AUTH_TOKEN must be set with TWILIO_ACCOUNT_SID: the sender signs in with both")
    if settings["SIMULATOR_ENABLED"] is None:
        settings["SIMULATOR_ENABLED"] = development and not settings["TWILIO_AUTH_TOKEN"]
    if settings["SIMULATOR_ENABLED"] and not development and not settings["SIMULATOR_PASSWORD"]:
        raise ValueError("SIMULATOR_ENABLED needs SIMULATOR_PASSWORD outside development: the simulator can "
                         "text STOP and START for any number.")
    return warnings


def pairs(setting: str, name: str) -> dict[str, str]:
    """A setting written "a=b, c=d" as a mapping; a ValueError names the setting when an item has no "="."""
    found = {}
    for item in (i.strip() for i in setting.split(",")):
        if not item:
            continue
        key, equals, value = item.partition("=")
        if not equals or not key.strip() or not value.strip():
            raise ValueError(f"setting {name} must be written like \"+15550100=es\", not {item!r}")
        found[key.strip()] = value.strip()
    return found


def load_settings(overrides: Mapping[str, Any] | None = None,
                  serving: bool = True) -> tuple[dict[str, Any], list[str]]:
    """Settings from .env, the environment and overrides, with the operator warnings they raise."""
    load_dotenv(PROJECT_ROOT / ".env")  # never overrides variables already set
    settings = settings_from_env()
    settings.update(overrides or {})
    return settings, finish(settings, serving)
