"""A result in a real browser (Playwright driving Debian's Chromium), in Chinese and in English: the page
shows the score with its interval and the rank with its range, and a figure's link opens exactly the records
it counts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test import Client

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser test: Debian Chromium is not installed"),
]


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="browser test: playwright is not installed"
    )
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


def test_result_page_in_both_languages(evaluated, live_server, browser):
    w = evaluated.world
    result = evaluated.results[w.officer_a1.pk]
    client = Client()
    client.force_login(w.user_hr)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
    headings = {"zh-hans": "得分明细与依据", "en": "Breakdown and evidence"}
    for language, heading in headings.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([cookie])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(f"{live_server.url}/evaluation/results/{result.pk}/")
        if language == "en":
            page.click(".lang-switch button[value=en]")
            page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == language
        assert heading in page.locator("main").inner_text()
        assert page.locator(".score__value").first.inner_text().count("–") == 1  # the score's interval
        link = page.locator(f"a[href='/evaluation/results/{result.pk}/completion/numerator/']")
        figure = int(float(link.inner_text()))
        link.click()
        page.wait_for_load_state()
        assert int(page.locator("[data-count]").inner_text()) == figure
        assert errors == []
        context.close()
