"""The simulator page in a real browser (Debian's Chromium, driven by Playwright): what a person sees and hears."""

from __future__ import annotations

import json
import threading
import wave
from pathlib import Path

import pytest
from browsing import AXE_TAGS, CONTRAST, chromium, require_chromium

require_chromium()
sync_api = pytest.importorskip("playwright.sync_api")
from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

# Record what the page asks to be heard, and finish each sound at once so the test need not wait for it.
LISTENER = """
window.heard = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = (spoken) => {
    window.heard.push({ via: "speech", text: spoken.text });
    setTimeout(() => spoken.onend && spoken.onend(new Event("end")), 0);
  };
  window.speechSynthesis.cancel = () => {};
}
HTMLMediaElement.prototype.play = function () {
  window.heard.push({ via: "audio", src: this.src });
  setTimeout(() => this.dispatchEvent(new Event("ended")), 0);
  return Promise.resolve();
};
"""

# WCAG contrast of every visible text against the first opaque background behind it.

FOCUSED = """
() => {
  const el = document.activeElement;
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const labelledBy = (el.getAttribute("aria-labelledby") || "").split(" ").filter(Boolean)
    .map((id) => document.getElementById(id).textContent).join(" ");
  const name = el.getAttribute("aria-label") || labelledBy
    || (el.labels && el.labels.length && el.labels[0].textContent) || el.textContent;
  return { id: el.id || el.dataset.key || el.tagName, name: name.trim(),
           top: box.top + scrollY, left: box.left, right: box.right,
           outline: style.outlineStyle !== "none" ? parseFloat(style.outlineWidth) : 0 };
}
"""

EXPECTED_TAB_ORDER = ["sound", "call-button", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#",
                      "say-words", "say-button", "wait-button", "call-log", "text-body", "text-button", "text-log"]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def preview_dir(tmp_path, line) -> Path:
    """A preview folder where the greeting has a recording, as `flask content preview` writes it."""
    folder = tmp_path / "preview"
    (folder / "audio").mkdir(parents=True)
    with wave.open(str(folder / "audio" / "greeting.wav"), "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(b"\0\0" * 800)
    greeting = line.pronounce(line.phrases["greeting"])
    manifest = {"voice": "test", "words_per_minute": 140,
                "prompts": {greeting: {"file": "audio/greeting.wav", "seconds": 0.1}}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def base_url(make_app, preview_dir):
    """The line with its simulator, served on 127.0.0.1 in a background thread, with signatures checked."""
    app = make_app(TWILIO_AUTH_TOKEN="browser-token", SIMULATOR_ENABLED=True, PREVIEW_DIR=str(preview_dir))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(LISTENER)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + "/simulator")
    yield page
    context.close()
    assert errors == []


def entries(page, log: str) -> list[str]:
    """The transcript entries a person sees, one string per entry, one line per paragraph."""
    texts = page.locator(f"#{log} li").all_inner_texts()
    return ["\n".join(row for row in text.splitlines() if row.strip()) for text in texts]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id")


def wait_for_entries(page, log: str, count: int) -> list[str]:
    page.wait_for_function(f"document.querySelectorAll('#{log} li').length >= {count}")
    return entries(page, log)


def test_a_whole_call_by_keyboard_keypad_and_speech(page, line):
    page.get_by_role("button", name="Call").click()
    greeting = wait_for_entries(page, "call-log", 1)[0]
    assert greeting.startswith("The line:") and line.pronounce(line.phrases["greeting"]) in greeting
    # Heard: the greeting from its preview recording, the rest of the menu by the browser's voice.
    queued = page.evaluate("window.lineSimulator.utterances")
    assert queued[0]["via"] == "audio" and queued[0]["src"].endswith("/simulator/audio/greeting.wav")
    assert {u["via"] for u in queued[1:]} == {"speech"}
    page.wait_for_function("window.heard.length >= 2")
    heard = page.evaluate("window.heard")
    assert heard[0]["via"] == "audio" and heard[0]["src"].endswith("greeting.wav")
    assert heard[1] == {"via": "speech", "text": queued[1]["text"]}
    assert focused_id(page) == "hangup-button"  # focus moved on from the Call button, now disabled

    page.keyboard.press("3")  # a digit typed on the keyboard presses the key
    chosen = wait_for_entries(page, "call-log", 3)
    assert chosen[1] == "You:\npressed 3" and "Part 1 of" in chosen[2]

    page.get_by_role("button", name="Press 1").click()  # go on
    assert "Part 2 of" in wait_for_entries(page, "call-log", 5)[4]

    page.get_by_role("button", name="Press 8").click()  # go back
    assert wait_for_entries(page, "call-log", 7)[6].startswith("The line:\nMain menu.")

    page.get_by_label("What the caller says").fill("side effects")
    page.keyboard.press("Enter")
    said = wait_for_entries(page, "call-log", 9)
    assert said[7] == "You:\nsaid \u201cside effects\u201d" and "Part 1 of" in said[8]

    page.get_by_role("button", name="Wait (silence)").click()
    quiet = wait_for_entries(page, "call-log", 11)
    assert quiet[9] == "You:\nstayed silent" and line.phrases["silence"] in quiet[10]

    page.get_by_role("button", name="Hang up").click()
    assert wait_for_entries(page, "call-log", 12)[11] == "Phone:\nYou hung up."
    assert page.get_by_role("button", name="Call").is_enabled()
    assert focused_id(page) == "call-button"
    page.keyboard.press("5")  # no call: the key does nothing but say so
    assert "Press Call first" in page.get_by_role("status").inner_text()
    assert len(entries(page, "call-log")) == 12


def test_sound_off_means_nothing_is_played(page):
    page.get_by_label("Play sound").uncheck()
    page.get_by_role("button", name="Call").click()
    wait_for_entries(page, "call-log", 1)
    # The page queues what it will play while it shows the line's words, in the same step: once they are
    # shown, anything that was to be heard has been asked for.
    assert {u["via"] for u in page.evaluate("window.lineSimulator.utterances")} == {"silent"}
    assert page.evaluate("window.heard") == []


def test_a_text_conversation(page):
    box = page.get_by_label("Your text message")

    def send(message: str, count: int) -> str:
        box.fill(message)
        box.press("Enter")
        return wait_for_entries(page, "text-log", count)[-1]

    assert "RISKS" in send("MENU", 2)
    risks = send("RISKS", 4)
    more = send("MORE", 6)
    assert "MORE" in risks and more != risks and more.startswith("The line:")
    assert send("STOP", 8) == "The line:\n(no reply)"
    assert send("MENU", 10) == "The line:\n(no reply)"
    assert entries(page, "text-log")[8] == "You:\nMENU"


def test_accessibility_with_axe(page):
    empty = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert empty.violations_count == 0, empty.generate_report()
    page.get_by_role("button", name="Call").click()
    wait_for_entries(page, "call-log", 1)
    page.keyboard.press("3")
    wait_for_entries(page, "call-log", 3)
    page.get_by_label("Your text message").fill("RISKS")
    page.keyboard.press("Enter")
    wait_for_entries(page, "text-log", 2)
    during_call = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert during_call.violations_count == 0, during_call.generate_report()


def test_tab_order_follows_the_page_and_focus_is_visible(page):
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["name"] == "Skip to text messages"
    stops = []
    for _ in EXPECTED_TAB_ORDER:
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
    assert [s["id"] for s in stops] == EXPECTED_TAB_ORDER
    for before, after in zip(stops, stops[1:]):
        below = after["top"] > before["top"] + 2
        right_in_row = abs(after["top"] - before["top"]) <= 2 and after["left"] > before["left"]
        next_column = after["left"] >= before["right"]
        assert below or right_in_row or next_column, f"focus jumps back from {before['id']} to {after['id']}"
    assert all(s["name"] for s in stops), "every control has a name"
    assert all(s["outline"] >= 3 for s in stops), [s["id"] for s in stops if s["outline"] < 3]


def test_text_contrast_is_at_least_aa(page):
    page.get_by_role("button", name="Call").click()
    wait_for_entries(page, "call-log", 1)
    texts = page.evaluate(CONTRAST)
    assert len(texts) > 20
    poor = [t for t in texts if t["ratio"] < t["needed"]]
    assert poor == []


def test_the_caller_receives_the_text_they_asked_for_in_the_messages_pane(page, line):
    page.get_by_role("button", name="Call").click()
    wait_for_entries(page, "call-log", 1)
    page.keyboard.press("3")
    wait_for_entries(page, "call-log", 3)
    page.get_by_role("button", name="Press 5").click()  # text me this
    said = wait_for_entries(page, "call-log", 5)[4]
    assert f"I am sending {line.topics['risks'].title} to your phone by text now." in said
    texts = wait_for_entries(page, "text-log", len(line.topics["risks"].sms))
    assert texts[0] == f"Text from the line:\n1/{len(line.topics['risks'].sms)} {line.topics['risks'].sms[0]}"
    assert all(text.startswith("Text from the line:") for text in texts)
    assert "text message" in page.get_by_role("status").inner_text()  # said, for screen readers too
    page.get_by_label("What the caller says").fill("text me this")  # asked again: nothing arrives twice
    page.keyboard.press("Enter")
    # The page shows a reply's texts in the same step as its words: once the words are shown, so are any texts.
    assert "already sent" in wait_for_entries(page, "call-log", 7)[6]
    assert len(entries(page, "text-log")) == len(line.topics["risks"].sms)
