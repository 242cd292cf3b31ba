"""The simulator page and its JSON endpoints, through Flask's test client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TOKEN = "sim-token"


def start(client) -> dict:
    reply = client.post("/simulator/api/call", json={"caller": "+12025550142"})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


def turn(client, position: dict, **action) -> dict:
    reply = client.post("/simulator/api/call/turn", json={"position": position, **action})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


def spoken(data: dict) -> str:
    return " ".join(e["text"] for e in data["events"] if e["who"] == "line")


def test_page_renders_keypad_and_controls(client):
    page = client.get("/simulator")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for key in "1234567890":
        assert f'data-key="{key}"' in html
    for label in ("Press star", "Press hash", ">Call<", ">Hang up<", "Wait (silence)", 'role="log"',
                  "What the caller says", "Your text message"):
        assert label in html
    assert client.get("/simulator/static/simulator.js").status_code == 200
    assert client.get("/simulator/static/simulator.css").status_code == 200


def test_a_call_step_by_step(client, line):
    first = start(client)
    assert line.phrases["greeting"].split()[0] in spoken(first)
    assert first["position"]["action"].endswith("/voice/turn?at=main") and not first["ended"]

    chosen = turn(client, first["position"], action="press", key="3")
    assert chosen["events"][0] == {"who": "caller", "text": "pressed 3", "utterances": []}
    assert "Part 1 of" in spoken(chosen)

    quiet = turn(client, chosen["position"], action="wait")
    assert line.phrases["silence"] in spoken(quiet)

    said = turn(client, quiet["position"], action="say", words="main menu")
    assert spoken(said).startswith("Main menu.")

    goodbye = turn(client, said["position"], action="say", words="goodbye")
    assert goodbye["ended"] and goodbye["position"] is None
    assert goodbye["events"][-1] == {"who": "network", "text": "The line hung up.", "utterances": []}


def test_utterances_carry_pauses(client):
    utterances = start(client)["events"][-1]["utterances"]  # the last <Say>: the choices
    assert len(utterances) > 3
    assert all(u["pause_ms"] > 0 and u["audio"] is None for u in utterances)


def test_bad_requests_are_explained(client):
    assert client.post("/simulator/api/call/turn", json={"action": "press"}).status_code == 400
    position = start(client)["position"]
    assert client.post("/simulator/api/call/turn", json={"position": position, "action": "dance"}).status_code == 400
    assert client.post("/simulator/api/call/turn", json={"position": position, "action": "press",
                                                         "key": "x"}).status_code == 400
    elsewhere = dict(position, action="https://evil.example/voice/turn?at=main")
    assert client.post("/simulator/api/call/turn", json={"position": elsewhere, "action": "wait"}).status_code == 400
    form = client.post("/simulator/api/call", data={"caller": "+1"})
    assert form.status_code == 400  # only JSON, so another site cannot post a form here


def test_texting(client):
    menu = client.post("/simulator/api/text", json={"from": "+12025550142", "body": "MENU"}).get_json()
    assert "RISKS" in menu["replies"][0]
    risks = client.post("/simulator/api/text", json={"from": "+12025550142", "body": "RISKS"}).get_json()
    more = client.post("/simulator/api/text", json={"from": "+12025550142", "body": "MORE"}).get_json()
    assert risks["replies"] and more["replies"] and risks["replies"] != more["replies"]


def test_with_a_token_every_webhook_request_is_signed_and_checked(make_app):
    app = make_app(TWILIO_AUTH_TOKEN=TOKEN, SIMULATOR_ENABLED=True)
    client = app.test_client()
    assert client.post("/voice", data={"CallSid": "CA1"}).status_code == 403  # unsigned: refused
    position = start(client)["position"]
    assert "Part 1 of" in spoken(turn(client, position, action="press", key="1"))
    assert client.post("/simulator/api/text", json={"body": "MENU"}).get_json()["replies"]


def test_a_webhook_refusal_is_reported(make_app, monkeypatch):
    from app.phone import Phone
    from app.web import simulator

    app = make_app(TWILIO_AUTH_TOKEN=TOKEN, SIMULATOR_ENABLED=True)
    monkeypatch.setattr(simulator, "phone", lambda: Phone(app.test_client(), "http://localhost/", "wrong-token"))
    refused = app.test_client().post("/simulator/api/call", json={})
    assert refused.status_code == 502 and refused.get_json()["status"] == 403


@pytest.fixture
def preview(tmp_path):
    """A preview folder with one recorded prompt, as `flask content preview` writes it."""
    def write(prompts: dict) -> None:
        folder = tmp_path / "preview"
        (folder / "audio").mkdir(parents=True, exist_ok=True)
        (folder / "audio" / "abc.wav").write_bytes(b"RIFF....WAVE")
        manifest = {"voice": "test", "words_per_minute": 140, "prompts": prompts}
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return write


def test_audio_comes_from_the_preview_manifest(client, preview):
    greeting = start(client)["events"][-1]["utterances"]
    preview({greeting[1]["text"]: {"file": "audio/abc.wav", "seconds": 2.5}})
    utterances = start(client)["events"][-1]["utterances"]
    assert utterances[1]["audio"] == "/simulator/audio/abc.wav" and utterances[1]["seconds"] == 2.5
    assert utterances[0]["audio"] is None
    recording = client.get(utterances[1]["audio"])
    assert recording.status_code == 200 and recording.data == b"RIFF....WAVE"


def test_only_the_preview_audio_folder_is_served(client, preview):
    preview({})
    assert client.get("/simulator/audio/abc.wav").status_code == 200
    assert client.get("/simulator/audio/manifest.json").status_code == 404
    assert client.get("/simulator/audio/..%2Fmanifest.json").status_code == 404
    assert client.get("/simulator/audio/../manifest.json").status_code == 404
    assert client.get("/simulator/audio/missing.wav").status_code == 404


def test_files_outside_the_audio_folder_are_never_offered(client, preview):
    text = start(client)["events"][-1]["utterances"][1]["text"]
    preview({text: {"file": "../secret.wav", "seconds": 1}})
    assert start(client)["events"][-1]["utterances"][1]["audio"] is None


def test_a_broken_manifest_means_no_audio(client, tmp_path):
    (tmp_path / "preview").mkdir()
    (tmp_path / "preview" / "manifest.json").write_text("{not json")
    assert all(u["audio"] is None for u in start(client)["events"][0]["utterances"])


def test_simulator_is_off_when_disabled(make_app):
    client = make_app(SIMULATOR_ENABLED=False).test_client()
    assert client.get("/simulator").status_code == 404
    assert client.post("/simulator/api/call", json={}).status_code == 404
    assert client.get("/simulator/static/simulator.js").status_code == 404


def test_simulator_is_off_by_default_when_a_token_is_set(make_app):
    assert make_app(TWILIO_AUTH_TOKEN=TOKEN).test_client().get("/simulator").status_code == 404


def test_every_utterance_is_found_in_a_manifest_the_preview_builds(make_app):
    from app.preview import MANIFEST, build_manifest, collect_prompts
    from app.services import services

    app = make_app(CONTACT_NUMBER="+1 202-555-0123")
    with app.app_context():
        prompts = collect_prompts(services().calls)
    manifest = build_manifest(prompts, {p.spoken: 1.0 for p in prompts}, "test", 140)
    preview_dir = Path(app.config["PREVIEW_DIR"])
    preview_dir.mkdir()
    (preview_dir / MANIFEST).write_text(json.dumps(manifest))
    client = app.test_client()

    first = start(client)
    person = turn(client, first["position"], action="press", key="0")
    utterances = [u for data in (first, person) for e in data["events"] for u in e["utterances"]]
    assert any(u["interpret_as"] == "telephone" for u in utterances)
    assert [u["text"] for u in utterances if not u["audio"]] == []
