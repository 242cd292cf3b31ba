"""The editors' and operators' pages in a real browser (Debian's Chromium, driven by Playwright), with the
accessibility check: the usage report and the preview index, opened from disk with the network off."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from browsing import AXE_TAGS, CONTRAST, chromium, require_chromium
from werkzeug.security import generate_password_hash

from app import preview
from app import report as usage_report
from app.core.callflow import CallFlow
from app.core.events import Event
from app.phone import Phone

require_chromium()
sync_api = pytest.importorskip("playwright.sync_api")
from axe_playwright_python.sync_playwright import Axe  # noqa: E402

DAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def open_page(browser):
    """Open an HTML file offline; fail on any request beyond the file itself and on any script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    requests: list[str] = []
    errors: list[str] = []

    def open_file(path: Path):
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri())
        return page

    yield open_file
    context.close()
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def accessible(page) -> None:
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert result.violations_count == 0, result.generate_report()
    poor = [t for t in page.evaluate(CONTRAST) if t["ratio"] < t["needed"]]
    assert poor == []


def test_the_usage_report_draws_its_charts_offline_and_passes_axe(open_page, line, tmp_path):
    rows = [usage_report.Tally(DAY, "voice", Event(kind, node), n) for kind, node, n in (
        ("call", "", 5), ("reached", "topic:risks:1", 5), ("reached", "topic:risks:2", 3),
        ("reached", "topic:what-is-car-t:1", 2), ("input", "keys", 8), ("input", "speech", 4),
        ("miss", "menu:main", 2), ("question", "eligible", 1), ("hangup", "topic:risks:2", 2),
        ("duration", "1-3-min", 2), ("confirm", "risks", 1), ("confirm_yes", "risks", 1),
        ("text_requested", "risks", 1))]
    rows.append(usage_report.Tally(DAY, "sms", Event("text_sent", "topic:risks:1"), 1))
    path = tmp_path / "usage-report.html"
    path.write_text(usage_report.build_report(rows, line, DAY, 7, learned=[("cost of treatment", 3)]))
    page = open_page(path)
    images = page.locator("img")
    assert images.count() >= 5
    for index in range(images.count()):
        image = images.nth(index)
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "every chart is drawn"
        assert image.get_attribute("alt")
    assert page.get_by_role("table", name="Calls and texts a day").is_visible()
    assert page.get_by_role("heading", name="Personal questions and emergencies").is_visible()
    assert "cost of treatment" in page.get_by_role("table", name=usage_report.LEARNED).inner_text()
    accessible(page)


def signed_in_pages(make_app, tmp_path) -> list[Path]:
    """The sign-in page and the report page, as a signed-in operator's browser gets them after real calls."""
    app = make_app(OPERATOR_PASSWORD_HASH=generate_password_hash("a long operator password"), SECRET_KEY="s" * 32)
    phone = Phone.for_app(app, status_path="/voice/status")
    for keys in (("3", "1"), ("4",), ("9",)):
        call = phone.call()
        for key in keys:
            call.press(key)
        call.say("purple elephants")
        call.hang_up()
    client = app.test_client()
    sign_in = client.get("/report/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', sign_in).group(1)
    assert client.post("/report/sign-in", data={"password": "a long operator password", "csrf_token": token}
                       ).status_code == 302
    paths = [tmp_path / "sign-in.html", tmp_path / "report.html"]
    paths[0].write_text(sign_in)
    paths[1].write_text(client.get("/report").get_data(as_text=True))
    return paths


def test_the_signed_in_report_page_passes_axe_and_reads_at_200_percent_zoom(browser, make_app, tmp_path):
    sign_in, report = signed_in_pages(make_app, tmp_path)
    # 200% zoom of a 1280 by 900 window: the page lays itself out in 640 by 450 CSS pixels.
    for viewport, scale in (({"width": 1280, "height": 900}, 1), ({"width": 640, "height": 450}, 2)):
        context = browser.new_context(viewport=viewport, device_scale_factor=scale, offline=True)
        try:
            for path in (sign_in, report):
                page = context.new_page()
                page.goto(path.as_uri())
                accessible(page)
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 0, f"{path.name} scrolls sideways at {viewport['width']} CSS pixels"
        finally:
            context.close()
    page = browser.new_page()
    page.goto(report.as_uri())
    assert page.get_by_label("Days to show").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page.get_by_role("table", name="Where calls ended").is_visible()
    page.close()


def test_the_preview_page_filters_and_passes_axe(open_page, line, tmp_path):
    prompts = preview.collect_prompts(CallFlow(line))
    manifest = preview.build_manifest(prompts, {p.spoken: 1.0 for p in prompts}, "en", 140)
    changed = {prompts[-1].spoken}
    path = tmp_path / "index.html"
    path.write_text(preview.build_index(line, prompts, manifest, {}, changed))
    page = open_page(path)
    assert page.title() == f"Preview: {line.name}"
    rows = page.locator("tbody tr")
    assert rows.count() == len(prompts)
    box = page.get_by_label("Show only prompts with these words")
    assert box.is_visible()
    accessible(page)
    box.fill("side effects")
    page.wait_for_function("document.getElementById('filter-status').textContent !== ''")
    shown = page.evaluate("""() => [...document.querySelectorAll("tbody tr")].filter((row) => !row.hidden
        && !row.closest("section").hidden).map((row) => row.closest("section").querySelector("h2").textContent
        + " " + row.textContent)""")
    assert 0 < len(shown) < len(prompts)
    assert all("side" in text.lower() and "effects" in text.lower() for text in shown)
    assert sum(rows.nth(i).is_visible() for i in range(rows.count())) == len(shown)
    assert page.get_by_role("status").inner_text() == f"{len(shown)} prompt{'s' if len(shown) != 1 else ''} shown"
    accessible(page)
    box.fill("")
    assert sum(rows.nth(i).is_visible() for i in range(rows.count())) == len(prompts)
