"""What the line says: every distinct prompt of a call flow, found by exploring the call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from app.core.callflow import CallFlow, Input, Segment, State
from app.core.content import Line, Menu, Topic
from app.core.content.model import OPTIONAL_PHRASES
from app.core.explore import basic_inputs, every_turn
from app.core.node import Node


@dataclass(frozen=True)
class Prompt:
    """One distinct thing the line says, as the voice says it."""

    segment: Segment
    node: Node  # the turn where a caller first hears it
    spoken: str  # the segment's spoken form, from the engine (pronunciations applied, numbers digit by digit)


def spoken_segments(flow: CallFlow) -> dict[Segment, Node]:
    """Every distinct segment a call can say, with the node where it is first said, breadth-first."""
    line = flow.line
    phrases: list[str] = []
    for reserved in line.reserved.values():
        phrases += reserved.phrases
    nodes: list[Topic | Menu] = [*line.topics.values(), *line.menus.values()]
    for node in nodes:
        phrases += [node.label, node.title, *node.phrases]
    phrases += [words[0] for words in line.talk.anywhere.values() if words]  # one way to say each everyday command
    inputs = basic_inputs() + [Input("speech", phrase) for phrase in dict.fromkeys(p for p in phrases if p)]
    found: dict[Segment, Node] = {}
    for turn in every_turn(flow, inputs):
        for segment in turn.segments:
            found.setdefault(segment, turn.node)
    return found


def collect_prompts(flow: CallFlow) -> list[Prompt]:
    """The distinct prompts of a call flow, one per spoken text, in the order a caller meets them."""
    prompts: dict[str, Prompt] = {}
    for segment, node in spoken_segments(flow).items():
        prompts.setdefault(segment.spoken, Prompt(segment, node, segment.spoken))
    return list(prompts.values())


def unsaid_phrases(line: Line, prompts: Sequence[Prompt]) -> list[str]:
    """The shared phrases no call can reach with these settings (e.g. no_person when a number is set); the
    offer of this language, which the other language's greeting says, is not one of them."""
    said = {p.segment.text for p in prompts}
    return [name for name, text in line.phrases.items() if text not in said and name not in OPTIONAL_PHRASES]


def topic_segments(flow: CallFlow, topic_id: str) -> list[Segment]:
    """What a caller hears choosing a topic from its menu and pressing 'next' through all its parts."""
    line = flow.line
    if topic_id not in line.topics:
        raise KeyError(topic_id)
    path = line.paths[topic_id]
    menu = line.menus[path[-2]]
    key = next(option.key for option in menu.options if option.target == topic_id)
    turn = flow.respond(State(path[:-1]), Input("digits", key))
    segments = list(turn.segments)
    next_key = line.reserved["next"].key or ""
    for _ in line.topics[topic_id].parts[1:]:
        turn = flow.respond(turn.state, Input("digits", next_key))
        segments += turn.segments
    return segments


def where(line: Line, node: Node) -> str:
    """Where a node is, in words for editors."""
    if node.kind == "menu" and node.id in line.menus:
        return line.menus[node.id].title
    if node.kind == "topic" and node.id in line.topics:
        return f"{line.topics[node.id].title}, part {node.part}"
    return {"goodbye": "Goodbye", "silence-goodbye": "Goodbye after silence",
            "transfer": "Transfer to a person"}.get(node.kind, str(node))
