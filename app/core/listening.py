"""Listening that adapts: a caller who asks for more time, or is misheard twice in a row, is given more
time to speak (a longer speechTimeout on the Gather), in steps remembered like the speed. Pure."""

from __future__ import annotations

from dataclasses import replace

from app.core.turns import MAX_LISTEN, Turn

# Seconds of silence that end a caller's answer grow by this much a step.
STEP_SECONDS = 2
# Where the usual timeout is Twilio's own guess ("auto"), the first step waits this long.
AFTER_AUTO_SECONDS = 3
# Misses in a row after which the caller gets a step more time.
MISHEARD_IN_A_ROW = 2


def more(steps: int) -> int:
    """One step more time to speak, up to the most there is."""
    return min(MAX_LISTEN, max(0, steps) + 1)


def clamp(steps: int) -> int:
    """Steps of extra time as kept for a caller, within what the line offers."""
    return min(MAX_LISTEN, max(0, steps))


def speech_timeout(steps: int, usual: str) -> str:
    """The Gather's speechTimeout for a caller with this many steps of extra time (`usual` at step 0)."""
    steps = clamp(steps)
    if steps == 0:
        return usual
    base = int(usual) if usual.isdigit() else AFTER_AUTO_SECONDS - STEP_SECONDS
    return str(base + STEP_SECONDS * steps)


def keep(turn: Turn, steps: int) -> Turn:
    """The turn with at least `steps` of extra time in its state (a call never takes time away)."""
    if turn.state is None or turn.state.listen >= steps:
        return turn
    return replace(turn, state=replace(turn.state, listen=clamp(steps)))
