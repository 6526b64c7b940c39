"""Content Security Policy: every page is sent with it, no template needs an inline script, and the pages
run in a real browser (Debian's Chromium) without a single violation."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from grassroots.common.testing import page_paths

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
TEMPLATES = sorted((Path(settings.BASE_DIR) / "grassroots").glob("*/templates/**/*.html"))
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_no_template_carries_inline_script(template):
    text = template.read_text()
    assert not EVENT_HANDLER.search(text), (
        "event-handler attribute: move the behaviour into a static .js file"
    )
    assert not INLINE_SCRIPT.search(text), "inline <script>: load it with src from a static file"


@pytest.mark.django_db
def test_every_page_is_sent_with_the_policy(world):
    client = Client()
    client.force_login(world.admin)
    paths = page_paths()
    assert "/" in paths and "/api/docs/" in paths and len(paths) > 20
    for path in ["/login/", *paths]:
        response = client.get(path)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy, path
        assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0], path
        assert "frame-ancestors 'none'" in policy, path


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not CHROMIUM.exists(), reason="browser test: Debian Chromium is not installed")
def test_pages_run_in_a_browser_without_policy_violations(world, live_server):
    playwright_api = pytest.importorskip("playwright.sync_api", reason="browser test: playwright missing")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    users = [world.admin, world.user_leader_a, world.user_officer_a1]
    visits = []  # (session cookie, the pages this user is shown)
    for user in users:
        client = Client()
        client.force_login(user)
        cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
        shown = []
        for path in page_paths():
            response = client.get(path)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                shown.append(path)
        visits.append((cookie, shown))
    violations: list[str] = []
    visited = 0
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for cookie, paths in visits:
            context = browser.new_context()
            context.add_cookies([cookie])
            page = context.new_page()
            page.on(
                "console",
                lambda message, page=page: (
                    violations.append(f"{page.url}: {message.text}")
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            page.on("pageerror", lambda error, page=page: violations.append(f"{page.url}: {error}"))
            for path in paths:
                response = page.goto(f"{live_server.url}{path}", wait_until="load")
                assert response is not None and response.status == 200, path
                visited += 1
            context.close()
        browser.close()
    assert visited > 30
    assert violations == []
