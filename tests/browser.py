"""A real server and a real headless Chromium for the browser tests, `make screenshots` and the page bench.

The server is ``aiguillage serve`` in a subprocess on a free local port. Chromium is Debian's
(``/usr/bin/chromium``, installed by ``make system`` and ``.ci/run``), driven by Playwright; no browser is ever
downloaded. Every request the pages make to anything but the server is aborted and recorded, so a test can
assert that nothing left the machine; the map's tiles point at a path of the server that answers 404, as an
unreachable tile server would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("AIGUILLAGE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
MISSING_TILES = "/tuiles-absentes/{z}/{x}/{y}.png"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(database_url: str, log: Path, **settings: str) -> Server:
    """Serve the app on a free port (migrations must have run); returns once /healthz answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIGUILLAGE_")}
    env.update(
        {
            "AIGUILLAGE_DATABASE_URL": database_url,
            "AIGUILLAGE_MAP_TILES_URL": base + MISSING_TILES,
            **{f"AIGUILLAGE_{k.upper()}": v for k, v in settings.items()},
        }
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(base, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped: {server.log_text()}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the server did not answer within 30 s: {server.log_text()}")


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class Watch:
    """What a page did that a test forbids: console errors, uncaught exceptions, requests off the machine."""

    base: str
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        url = (message.location or {}).get("url", "")
        # The tile server is meant to fail here (no internet): its 404s are the only expected errors.
        if message.type == "error" and "/tuiles-absentes/" not in url:
            self.errors.append(f"{message.text} ({url})")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"uncaught: {error}")


def new_context(browser: Any, base: str, **options: Any) -> tuple[Any, Watch]:
    """A browser context that aborts (and records) any request to another host than the server."""
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", **options)
    watch = Watch(base)
    host = urlsplit(base).netloc

    def guard(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == host or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            watch.outside.append(url)
            route.abort()

    context.route("**/*", guard)
    context.on("page", lambda page: _watch_page(page, watch))
    return context, watch


def _watch_page(page: Any, watch: Watch) -> None:
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_page_error)


AXE_IMPACTS = ("serious", "critical")


def axe_violations(page: Any, base: str, selector: str | None = None) -> list[str]:
    """axe-core (from npm, served by the app) on the page or one element: serious and critical violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=base + "/vendor/axe-core/axe.min.js")
    result = page.evaluate(
        """async (selector) => {
            const context = selector ? document.querySelector(selector) : document;
            const r = await axe.run(context, { resultTypes: ['violations'] });
            return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }));
        }""",
        selector,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
        for v in result
        if v["impact"] in AXE_IMPACTS
    ]


@contextmanager
def playwright_browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()
