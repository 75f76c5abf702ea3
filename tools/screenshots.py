"""`make screenshots`: PNGs of the public map, the console's tabs and the reorient dialog, for the README.

Loads the demo territory into a throw-away SpatiaLite file, serves it, and drives Debian's Chromium. The map's
tiles point at a local 404 (no internet here): the markers show on the plain background, as they do for a
visitor whose tile server fails.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from app import demo, migrate
from app.database import Database
from app.settings import load_settings
from tests.browser import new_context, playwright_browser, start_server


def sign_in(page: Any, base: str, token: str) -> None:
    page.goto(base + "/console")
    page.get_by_label("Jeton d'accès").fill(token)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#workspace")).to_be_visible()


def show_tab(page: Any, name: str, label: str, rows: int) -> None:
    """Click a tab and wait for ITS list: the table's caption names the tab (the previous tab's rows are
    on the page until the new list replaces them, so waiting for "a first row" would catch the old list)."""
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
    expect(page.locator("table.dossiers caption")).to_have_text(f"{label} : dossiers")
    expect(page.locator("table.dossiers tbody tr")).to_have_count(rows)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/screenshots.db"
        db = Database.from_settings(load_settings(database_url=url))
        migrate.upgrade(db.engine)
        demo.load(db)
        db.dispose()
        server = start_server(url, Path(tmp) / "server.log")
        try:
            with playwright_browser() as browser:
                context, _ = new_context(browser, server.base, viewport={"width": 1280, "height": 860})
                page = context.new_page()
                page.goto(server.base + "/?q=16000")
                page.locator("#results .result").first.wait_for()
                page.wait_for_timeout(800)
                page.screenshot(path=str(out / "carte.png"))

                # The Fabrique's « Orientation » tab: two dossiers waiting past the reminder delay are marked.
                sign_in(page, server.base, "demo-fabrique")
                show_tab(page, "Orientation (4)", "Orientation", rows=4)
                page.wait_for_load_state("networkidle")  # the badges' icons
                page.screenshot(path=str(out / "console-onglets.png"))

                page.get_by_role("button", name="Se déconnecter").click()
                sign_in(page, server.base, "demo-soleil")
                show_tab(page, "Prise en charge (6)", "Prise en charge", rows=6)
                page.get_by_role("button", name="FERRAND Jules").click()
                page.get_by_role(
                    "button", name="Je le.a réoriente vers une autre structure opératrice"
                ).click()
                page.locator("dialog[open] .fr-radio-group").first.wait_for()
                page.wait_for_timeout(600)
                page.screenshot(path=str(out / "console-reorientation.png"))
                context.close()

                phone, _ = new_context(
                    browser, server.base, viewport={"width": 375, "height": 740}, is_mobile=True
                )
                page = phone.new_page()
                page.goto(server.base + "/?q=16000")
                page.locator("#results .result").first.wait_for()
                page.wait_for_timeout(600)
                page.screenshot(path=str(out / "carte-375px.png"))
                phone.close()
        finally:
            server.stop()
    for png in sorted(out.glob("*.png")):
        print(png)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
