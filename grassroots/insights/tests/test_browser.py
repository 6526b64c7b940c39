"""The dashboard in a real browser (Playwright driving Debian's Chromium), in Chinese and in English: the
charts draw, and the numbers on the dashboard are the numbers of the lists they open."""

import os
import re
from pathlib import Path

import pytest
from django.test import Client

from grassroots.insights.assets import echarts_available

from .conftest import intake, resolve

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="browser test: Debian Chromium is not installed at /usr/bin/chromium"
    ),
    pytest.mark.skipif(
        not echarts_available(),
        reason="browser test: Apache ECharts is not installed (python3 run.py test installs it with npm)",
    ),
]


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="browser test: playwright is not installed"
    )
    # Playwright's own event loop runs in this thread; the ORM is used only before and after it works.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


def _number(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text))


def test_dashboard_in_both_languages_opens_the_lists_behind_its_numbers(
    world, categories, live_server, browser
):
    for i in range(3):
        request = intake(world, category=categories["lights"], grid=world.grid_a1, title=f"路灯{i}")
        if i < 2:
            resolve(world, request, satisfied=i == 0)
    intake(
        world, category=categories["labour"], region=world.village_a2, title="讨薪", description="拖欠工资"
    )
    client = Client()
    client.force_login(world.user_leader_a)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
    headings = {"zh-hans": "领导驾驶舱", "en": "Leadership dashboard"}
    for language, heading in headings.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([cookie])
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(f"{live_server.url}/insights/")
        if language == "en":
            page.click(".lang-switch button[value=en]")
            page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("h1").inner_text() == heading
        # Both charts are drawn by ECharts (served locally) and the coverage figure arrives by itself.
        page.wait_for_selector("#chart-daily[data-ready=true]")
        page.wait_for_selector("#chart-trend[data-ready=true] svg")
        page.wait_for_selector("[data-figure=coverage] .stat__value:not(:has-text('…'))")
        total = _number(page.locator("[data-figure=total] [data-n]").inner_text())
        assert total == 4
        page.click("[data-figure=total] [data-n]")
        page.wait_for_load_state("networkidle")
        assert _number(page.locator("[data-count]").inner_text()) == total
        assert page.locator("table tbody tr").count() == total
        page.go_back()
        # A rate's numerator, then a cell of a breakdown: each opens exactly that many requests.
        resolved = page.locator("[data-figure=resolution] [data-n]")
        expected = _number(resolved.inner_text())
        assert expected == 1  # one resolved; the dissatisfied one was reopened
        resolved.click()
        page.wait_for_load_state("networkidle")
        assert _number(page.locator("[data-count]").inner_text()) == expected
        page.go_back()
        cell = page.locator("table[data-dimension=township] a[data-measure=total]").first
        expected = _number(cell.inner_text())
        cell.click()
        page.wait_for_load_state("networkidle")
        assert _number(page.locator("[data-count]").inner_text()) == expected == 3
        assert errors == []
        context.close()
