"""The editors' and operators' pages in a real browser (Debian's Chromium, driven by Playwright), with the
accessibility check: the usage report and the preview index, opened from disk with the network off."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from browsing import AXE_TAGS, CONTRAST, chromium, require_chromium

from app import preview
from app import report as usage_report
from app.core.callflow import CallFlow

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
    rows = [(DAY, "voice", node, n) for node, n in (
        ("call", 5), ("topic:risks:1", 5), ("topic:risks:2", 3), ("topic:what-is-car-t:1", 2), ("input:keys", 8),
        ("input:speech", 4), ("not-understood:menu:main", 2), ("question:am-i-eligible", 1))]
    rows.append((DAY, "sms", "text-me:risks", 1))
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
    assert page.get_by_role("heading", name="Personal questions asked").is_visible()
    assert "cost of treatment" in page.get_by_role("table", name=usage_report.learned_section([("x", 3)]).title
                                                   ).inner_text()
    accessible(page)


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
