"""The pages in a real browser: Debian's Chromium, driven by Playwright (never its own
downloaded browsers). Log in, watch the wallboard change while the demo PBX plays a trace
into the real bridge, open a call; in Chinese, with the screenshots kept under
tests/artifacts/ and the CJK font checked to be the one that renders the text."""

from __future__ import annotations

import asyncio
import os
import re
import threading
from pathlib import Path

import pytest

from ami_bridge.bridge import AmiBridge
from api.app import create_app
from api.demo_pbx import TracePlayer
from core.bus import EventBus
from tests.api.conftest import PASSWORD, settings_for
from tests.api.servers import ThreadedServer
from tests.conftest import DATA

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed (scripts/bootstrap --test installs it)")


class LoopThread:
    """An event loop in a thread, for the demo PBX (it talks TCP to the bridge)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def live_service(demo_db, users):
    pbx_loop = LoopThread()
    player = TracePlayer([DATA / "ami" / f"{n}.jsonl" for n in ("answered", "busy_queue")], username="bridge", secret="s3cret", speed=4.0)

    async def start():
        player.go = asyncio.Event()
        return await player.start()

    port = pbx_loop.run(start())
    settings = settings_for(demo_db, ami_host="127.0.0.1", ami_port=port, ami_username="bridge", ami_secret="s3cret", server_id="browser-pbx", ami_reconnect_max_s=0.5)
    bus = EventBus()
    app = create_app(settings, sessions=demo_db.sessions, bridge=AmiBridge(settings, demo_db.sessions, bus=bus), bus=bus)
    with ThreadedServer(app) as server:
        server.play = lambda: pbx_loop.loop.call_soon_threadsafe(player.go.set)
        server.player = player
        yield server
    pbx_loop.run(player.stop())
    pbx_loop.close()


def rendering_fonts(page, selector: str) -> list[str]:
    """The fonts Chromium really used for an element's text (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return [f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]


def test_wallboard_moves_live_and_a_call_opens_in_chinese(live_service):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"}, viewport={"width": 1600, "height": 1000})
            page = context.new_page()
            page.goto(live_service.url + "/wallboard")
            expect(page).to_have_url(re.compile(r"/login\?next=/wallboard"))
            page.fill("input[name=username]", "test-supervisor")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(re.compile(r"/wallboard$"))
            expect(page.locator("#feed-status")).to_have_attribute("data-state", "live", timeout=10000)
            expect(page.locator("#feed-status")).to_have_text("实时")
            page.screenshot(path=str(ARTIFACTS / "wallboard-before.png"))

            live_service.play()
            tile = page.locator('article.tile[data-queue="support"]').filter(has_text="browser-pbx")
            expect(tile).to_be_visible(timeout=20000)
            # Callers queue up in busy_queue: the waiting figure rises above zero, then the
            # answered calls show in today's answer rate.
            expect(tile.locator(".figure").first.locator(".value")).not_to_have_text("0", timeout=40000)
            page.screenshot(path=str(ARTIFACTS / "wallboard-busy.png"))
            expect(tile.locator(".figure").nth(4).locator(".value")).to_have_text(re.compile(r"\d+(\.\d)?%"), timeout=40000)
            expect(page.locator("#events li").first).to_be_visible()
            assert "排队等待" in tile.inner_text() and "接通率" in tile.inner_text()
            fonts = rendering_fonts(page, "#feed-status")
            assert any("WenQuanYi" in f or "CJK" in f for f in fonts), fonts
            page.screenshot(path=str(ARTIFACTS / "wallboard-live.png"))

            page.click("header nav a[href='/calls']")
            expect(page.locator("table.calls")).to_be_visible()
            page.fill("input[name=queue]", "support")
            page.select_option("select[name=disposition]", "answered")
            page.click("form.filters button")
            expect(page.locator("table.calls tbody tr").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "calls.png"))
            page.locator("table.calls a.open").first.click()
            expect(page.locator("h2", has_text="时间线")).to_be_visible()
            expect(page.locator("table.timeline")).to_contain_text("agent_connected")
            assert any("WenQuanYi" in f or "CJK" in f for f in rendering_fonts(page, "h2")), "Chinese headings not drawn with a CJK font"
            page.screenshot(path=str(ARTIFACTS / "call.png"), full_page=True)
        finally:
            browser.close()


def test_the_wallboard_says_when_the_feed_is_lost(demo_db, users):
    from playwright.sync_api import expect, sync_playwright

    app = create_app(settings_for(demo_db), sessions=demo_db.sessions)
    server = ThreadedServer(app).__enter__()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_context(locale="en-GB").new_page()
            page.goto(server.url + "/login")
            page.fill("input[name=username]", "test-qa")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("#feed-status")).to_have_attribute("data-state", "live", timeout=10000)
            server.__exit__()  # the server goes away: the page must say so
            expect(page.locator("#feed-status")).to_have_attribute("data-state", "lost", timeout=10000)
            expect(page.locator("#banner")).to_contain_text("Live feed lost")
            page.screenshot(path=str(ARTIFACTS / "wallboard-feed-lost.png"))
        finally:
            browser.close()
