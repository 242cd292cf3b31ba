"""How well the line understands callers and texters, on labelled utterances (run:
.venv/bin/python benchmarks/understanding.py [corpus.yaml ...]; default: benchmarks/understanding/*.yaml).

Each utterance goes through the real core: the call flow for voice (at the main menu, inside a topic,
or after "Did you mean side effects?") and the text flow for texts. What the line did is mapped to an
intent and compared with the label. Printed: accuracy per intent, a confusion table of the errors,
the dangerous errors (a missed emergency, a care question answered as a subject, a negated action
carried out, a call ended unmeant, an opt-out missed), p95 time per utterance and start-up time.

Targets: 95% right, 0 dangerous errors, p95 under 1 ms, start-up under 2 s. A "Did you mean X?" about
the right X counts as right (the caller says yes), and is counted apart. Reported, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import PROJECT_ROOT
from app.core.callflow import CallFlow, Input, Pending, State, Turn
from app.core.content import MAIN_MENU, ContentError, Line, load_line
from app.core.textflow import Position, Reply, TextFlow

HERE = Path(__file__).resolve().parent / "understanding"
TARGETS = {"accuracy %": 95.0, "dangerous": 0, "p95 ms": 1.0, "start-up s": 2.0}
# Where "inside a topic" is, and what "Did you mean ...?" asks about.
TOPIC_CONTEXT = ("risks", 1)
CONFIRM_TARGET = "risks"
# Intents that do something a caller may have said not to do.
# What a switch to each language stands for in the corpus.
LANGUAGE_COMMANDS = {"es": "command:spanish", "en": "command:english"}
ACTIONS = ("command:", "sms:opt_out", "sms:start", "language:")
PASSES = 3


@dataclass(frozen=True)
class Result:
    """One utterance: its label, what the line did, whether it asked first, and how long it took."""

    case: dict[str, Any]
    got: str
    asked: bool
    seconds: float

    @property
    def right(self) -> bool:
        """Whether the line did what the label says."""
        return self.got == self.case["intent"]


class Runner:
    """Runs utterances through one language's call and text flows."""

    def __init__(self, line: Line, others: Sequence[Line] = ()):
        self.line = line
        # Built as the app builds them: each language's flow knows the others, so "español" switches.
        self.calls = CallFlow(line, transfer_number="+15550100", others=others)
        self.texts = TextFlow(line)
        self.switches = [TextFlow(other) for other in others]
        topic, part = TOPIC_CONTEXT
        self.states = {
            "menu": State(),
            "topic": State(line.paths[topic], part),
            "confirm": State(line.paths[CONFIRM_TARGET], 0, pending=Pending("confirm", "topic", CONFIRM_TARGET)),
        }
        self.position = Position(topic, part + 1)

    def run(self, case: dict[str, Any], passes: int = PASSES) -> Result:
        """What the line did with one labelled utterance, and its quickest time over `passes` runs with
        the remembered meanings forgotten before each (a shared machine's noise only ever adds time)."""
        text = str(case["text"])
        times = []
        for _ in range(passes):
            self.calls.hearing.understanding.meaning.cache_clear()  # type: ignore[attr-defined]
            started = time.perf_counter()
            if case["channel"] == "sms":
                got, asked = self._text(text), False
            else:
                state = self.states[case.get("context", "menu")]
                turn = self.calls.respond(state, Input("speech", text))
                got, asked = self._voice(state, turn)
            times.append(time.perf_counter() - started)
        return Result(case, got, asked, min(times))

    def _voice(self, before: State, turn: Turn) -> tuple[str, bool]:
        node = turn.node
        if before.pending and before.pending.kind == "confirm" and node.kind == "topic":
            said_no = turn.text.startswith(self.line.talk.say["confirm_no"])
            return ("no" if said_no else "yes") if node.id == CONFIRM_TARGET else f"topic:{node.id}", False
        if node.kind == "question":
            return f"question:{node.id}", False
        if before.pending and before.pending.kind == "confirm" and node.kind == "confirm" and \
                turn.state and turn.state.pending == before.pending:
            return "command:repeat", False  # the same question asked again
        if node.kind == "confirm":
            if node.id == "end":
                return "maybe_end", False
            kind = "question" if turn.state and turn.state.pending and \
                turn.state.pending.target_kind == "question" else "topic"
            return f"{kind}:{node.id}", True
        if turn.hangup and node.kind == "goodbye":
            return "command:goodbye", False
        if node.kind == "transfer":
            return "command:person", False
        if turn.request is not None and turn.request.kind == "language":
            return LANGUAGE_COMMANDS.get(turn.request.topic, "nothing"), False
        if turn.request is not None:
            return f"command:{turn.request.kind}", False
        if node.kind == "speed":
            return {"slower": "command:slower", "faster": "command:faster"}.get(
                turn.understood.partition(":")[2], turn.understood or "command:normal"), False
        if node.kind == "language":
            return LANGUAGE_COMMANDS.get(node.id, "nothing"), False
        if node.kind == "more-time":
            return "command:more-time", False
        if node.kind == "topic" and node.id != before.path[-1]:
            return f"topic:{node.id}", False
        if node.kind == "menu" and node.id != before.path[-1] and node.id != MAIN_MENU:
            return f"topic:{node.id}", False
        return turn.understood or "nothing", False

    def _text(self, text: str) -> str:
        # A whole message naming another language ("ESPAÑOL") switches the texter to it (app/web/sms.py).
        asked = [self.texts.language_asked(text), *(flow.language_asked(text, read=False) for flow in self.switches)]
        switch = next((code for code in asked if code), None)
        if switch:
            return LANGUAGE_COMMANDS.get(switch, "nothing")
        group = self.texts.opt_out_group(text)
        if group is not None:
            return {"stop": "sms:opt_out", "start": "sms:start", "help": "sms:help"}[group]
        if self.texts.is_forget(text):
            return "command:forget"
        reply: Reply = self.texts.reply(text, self.position)
        node = reply.node
        if node.kind == "question":
            return f"question:{node.id}"
        if node.kind == "thanks":
            return "sms:thanks"
        if node.kind == "topic-end" or (node.kind == "topic" and node.id == self.position.topic
                                         and node.part == self.position.next_part + 1):
            return "sms:more"
        if node.kind == "topic" and reply.understood == "command:repeat":
            return "command:repeat"
        if node.kind == "topic":
            return f"topic:{node.id}"
        if node.kind == "maybe-stop":
            return "sms:maybe_opt_out"
        if node.kind == "person":
            return "command:person"
        if node.kind == "menu":
            return "nothing" if reply.understood in ("nothing", "") else "sms:menu"
        return reply.understood or "nothing"


def dangerous(result: Result, emergencies: set[str]) -> str | None:
    """Which dangerous error a result is, if it is one."""
    expected, got, kind = result.case["intent"], result.got, result.case.get("kind", "")
    if result.right:
        return None
    if expected in emergencies:
        return "missed emergency"
    if expected.startswith("question:") and got.startswith("topic:") and not result.asked:
        return "care question answered as a subject"
    if got == "command:goodbye":
        return "call ended unmeant"
    if expected == "sms:opt_out":
        return "opt-out missed"
    if kind == "negation" and got.startswith(ACTIONS) and not result.asked:
        return "negated action carried out"
    return None


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(name: str, results: list[Result], emergencies: set[str], start_up: float, verbose: bool) -> None:
    """Print one corpus's figures."""
    right = sum(r.right for r in results)
    by_intent: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_intent[result.case["intent"]].append(result)
    print(f"\n== {name}: {len(results)} utterances")
    print(f"{'intent':32} {'right':>7} {'of':>4} {'%':>6}")
    for intent in sorted(by_intent):
        cases = by_intent[intent]
        ok = sum(r.right for r in cases)
        print(f"{intent:32} {ok:7} {len(cases):4} {100 * ok / len(cases):6.1f}")
    errors = Counter((r.case["intent"], r.got) for r in results if not r.right)
    if errors:
        print("\nconfusions (label -> what the line did: count)")
        for (expected, got), count in errors.most_common():
            print(f"  {expected} -> {got}: {count}")
            if verbose:
                for r in results:
                    if not r.right and (r.case["intent"], r.got) == (expected, got):
                        print(f"      [{r.case['channel']}/{r.case.get('context')}] {r.case['text']}")
    danger = [(dangerous(r, emergencies), r) for r in results]
    found = [(kind, r) for kind, r in danger if kind]
    print(f"\ndangerous errors: {len(found)}")
    for kind, r in found:
        print(f"  {kind}: [{r.case['channel']}/{r.case.get('context')}] {r.case['text']!r} -> {r.got}")
    times = [r.seconds * 1000 for r in results]
    asked = sum(r.asked and r.right for r in results)
    print(f"\naccuracy: {100 * right / len(results):.1f}% ({right}/{len(results)}; {asked} of them after "
          f"'Did you mean ...?')")
    print(f"time per utterance: p50 {statistics.median(times):.3f} ms, p95 {percentile(times, 0.95):.3f} ms, "
          f"max {max(times):.3f} ms")
    print(f"start-up (load content, build call and text flows): {start_up:.2f} s")
    print(f"targets: {TARGETS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="*", type=Path, help="corpus files (default: benchmarks/understanding/*.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the utterances behind each confusion")
    args = parser.parse_args()
    files = args.corpus or sorted(HERE.glob("*.yaml"))
    runners: dict[str, tuple[Runner, float]] = {}
    summary: list[tuple[str, int, int, int]] = []
    served = sorted(p.name for p in (PROJECT_ROOT / "content").iterdir() if (p / "line.yaml").exists())
    for file in files:
        language = file.stem.rsplit("-", 1)[-1]
        if language not in runners:
            started = time.perf_counter()
            try:
                line = load_line(PROJECT_ROOT / "content", language)
                others = [load_line(PROJECT_ROOT / "content", code) for code in served if code != language]
            except ContentError as error:
                print(f"\n== {file.name}: skipped, the content for '{language}' does not load: {error.problems[0]}")
                continue
            # Start-up: every language's content loaded and this one's flows built, as the app starts.
            runner = Runner(line, others)
            runners[language] = (runner, time.perf_counter() - started)
        runner, start_up = runners[language]
        cases = yaml.safe_load(file.read_text(encoding="utf-8"))
        emergencies = {f"question:{q.id}" for q in runner.line.talk.questions.values() if q.emergency}
        results = [runner.run(case) for case in cases]
        report(file.name, results, emergencies, start_up, args.verbose)
        summary.append((file.name, len(results), sum(r.right for r in results),
                        sum(dangerous(r, emergencies) is not None for r in results)))
    if len(summary) > 1:
        print("\n== summary")
        print(f"{'file':32} {'utterances':>10} {'right %':>8} {'dangerous':>9}")
        for name, count, right, danger in summary:
            print(f"{name:32} {count:10} {100 * right / count:8.1f} {danger:9}")


if __name__ == "__main__":
    main()
