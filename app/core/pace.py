"""Speaking pace: a caller's "slower" or "faster", in speed steps from the line's normal speed. Pure.

Three names, three meanings: a speed step (-3..2, what a caller chose), a prosody rate ("90%", what
Twilio's <prosody> is told) and words per minute (how long a text takes to say, and what previews use)."""

from __future__ import annotations

import re

# Steps from normal: three slower, two faster. Each is 10 points of the SSML prosody rate,
# so at the default 90%: 60%, 70%, 80%, 90%, 100%, 110%.
SLOWEST, FASTEST = -3, 2
STEP_POINTS = 10
STEP_NAMES = {-3: "slowest", -2: "much-slower", -1: "slower", 0: "normal", 1: "faster", 2: "fastest"}
# SSML's named rates, as percentages (roughly as Amazon Polly speaks them).
NAMED_RATES = {"x-slow": 60, "slow": 80, "medium": 100, "default": 100, "fast": 120, "x-fast": 150}


def clamp(step: int) -> int:
    """A step within the range the line offers."""
    return max(SLOWEST, min(FASTEST, step))


def percent(prosody_rate: str) -> int:
    """A prosody rate such as the SPEECH_RATE setting ("90%", "slow") as a percentage."""
    text = prosody_rate.strip().lower()
    match = re.fullmatch(r"(\d{1,3})%", text)
    if match:
        return int(match.group(1))
    return NAMED_RATES.get(text, 100)


def prosody_rate(base_prosody_rate: str, speed_step: int) -> str:
    """The SSML prosody rate at a speed step from the normal one; normal keeps the setting as written."""
    if speed_step == 0:
        return base_prosody_rate
    return f"{max(20, percent(base_prosody_rate) + STEP_POINTS * clamp(speed_step))}%"


def words_per_minute(base_words_per_minute: int, base_prosody_rate: str, speed_step: int) -> int:
    """Words a minute at a speed step, from the normal estimate: the same proportion as the prosody rate."""
    normal = percent(base_prosody_rate)
    return round(base_words_per_minute * max(20, normal + STEP_POINTS * clamp(speed_step)) / normal)


def parse_step(name: str) -> int | None:
    """A step from its name ("slower", "much-slower", "normal") or number ("-2"); None when it is neither."""
    text = name.strip().lower().replace(" ", "-")
    for step, step_name in STEP_NAMES.items():
        if text == step_name:
            return step
    if re.fullmatch(r"[+-]?\d", text) and SLOWEST <= int(text) <= FASTEST:
        return int(text)
    return None
