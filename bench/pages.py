"""Page weight and time to the first markers of the web pages, measured in Debian's headless Chromium.

    python -m bench.pages                       # the demo territory on a throw-away SpatiaLite file
    python -m bench.pages --database-url URL    # an existing, migrated database (e.g. a bench one)

Each page is loaded RUNS times in a fresh browser context (an empty cache, as a first visit) from
``aiguillage serve`` on this machine. Weight is what travelled: the compressed bodies (``gzip`` when the
browser asks, as it always does) and headers of every response the page loaded, its data included; the
uncompressed size is given beside. Time to the first markers: from the start of navigation, and from the
``load`` event, to the first marker drawn on the map, for ``/?q=16000`` (a postal-code search, as a shared
link opens it; ``--search`` for another, e.g. a point search on a bench database without communes). The
tile server is a local 404 (no internet here), so tiles weigh nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app import demo, migrate
from app.database import Database
from app.settings import load_settings
from tests.browser import new_context, playwright_browser, start_server

ROOT = Path(__file__).resolve().parents[1]
RUNS = 10
PAGES = {"map": "/", "console (sign-in)": "/console"}
FIRST_MARKER = """
new MutationObserver((_, observer) => {
  if (document.querySelector('.leaflet-marker-icon')) {
    window.__firstMarker = performance.now();
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""


def weigh(browser: Any, base: str, path: str) -> dict[str, Any]:
    context, _ = new_context(browser, base)
    page = context.new_page()
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(base + path, wait_until="networkidle")
    compressed = uncompressed = requests = 0
    by_type: dict[str, int] = {}
    for response in responses:
        if "/tuiles-absentes/" in response.url:
            continue
        sizes = response.request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        kind = response.request.resource_type
        by_type[kind] = by_type.get(kind, 0) + size
        compressed += size
        uncompressed += len(response.body()) if response.status == 200 else 0
        requests += 1
    context.close()
    return {
        "requests": requests,
        "compressed_bytes": compressed,
        "uncompressed_bytes": uncompressed,
        "compressed_by_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1])),
    }


def first_markers(browser: Any, base: str, path: str) -> dict[str, float]:
    context, _ = new_context(browser, base)
    context.add_init_script(FIRST_MARKER)
    page = context.new_page()
    page.goto(base + path)
    page.wait_for_selector(".leaflet-marker-icon")
    page.wait_for_load_state("load")
    marker, load = page.evaluate(
        "[window.__firstMarker, performance.getEntriesByType('navigation')[0].loadEventEnd]"
    )
    context.close()
    return {"from_navigation_ms": marker, "from_load_ms": marker - load}


def measure(database_url: str, log: Path, search: str) -> dict[str, Any]:
    server = start_server(database_url, log, environment="production")
    try:
        with playwright_browser() as browser:
            pages = {**PAGES, "map after a search": search}
            weights = {name: weigh(browser, server.base, path) for name, path in pages.items()}
            times = [first_markers(browser, server.base, search) for _ in range(RUNS)]
    finally:
        server.stop()
    return {
        "pages": weights,
        "first_markers": {
            key: {"median": statistics.median(t[key] for t in times), "max": max(t[key] for t in times)}
            for key in ("from_navigation_ms", "from_load_ms")
        },
        "search": search,
        "runs": RUNS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a migrated database (default: the demo on SpatiaLite)")
    parser.add_argument("--search", default="/?q=16000", help="the map URL whose first markers are timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url
        if url is None:
            url = f"sqlite:///{tmp}/pages.db"
            db = Database.from_settings(load_settings(database_url=url))
            migrate.upgrade(db.engine)
            demo.load(db)
            db.dispose()
        results = measure(url, Path(tmp) / "server.log", args.search)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S%z")
    out = ROOT / "bench" / "results" / f"pages-{stamp}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(out)


if __name__ == "__main__":
    main()
