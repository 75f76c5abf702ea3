"""The public map's GeoJSON before and after issue 11, interleaved in one run (target 1).

    python -m bench.viewport --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_perf_200000

Two servers on the same database, one worker each: the current code, and ``--baseline`` (a commit, served
from a ``git archive`` of it, see bench/baseline.py). Each round sends every request below once, in an order
rotated from round to round, so that both variants see the same load on this shared machine; p50 (median)
and p99 of the rounds, in ms.

- ``viewport_*``: the Paris viewport (2 345 places at 200 000), the same bytes from both (checked as JSON);
- ``viewport_304``: the same request with ``If-None-Match`` of the answer's ``ETag`` (current code);
- ``trivial_*``: ``{ __typename }`` over POST /graphql; ``healthz``: GET /healthz (one ``SELECT 1``);
- ``france_clusters``: metropolitan France at zoom 6 (every place, as clusters; the old code refuses it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from bench import baseline
from bench.run import Server, before_after_main, interleaved

PARIS = "2.224,48.815,2.47,48.902"
FRANCE = "-5.5,41.0,10.0,51.5"
FRANCE_ZOOM = 6
GEOJSON = "/geo/structures.geojson"


def run(url: str, rounds: int, warmup: int, commit: str) -> dict[str, Any]:
    old_root = baseline.checkout(commit)
    new = Server(url, 8771)
    old = Server(url, 8772, baseline.FACTORY, root=old_root)
    results: dict[str, Any] = {"url": url, "baseline": commit, "rounds": rounds}
    try:
        with httpx.Client(timeout=120.0) as client:
            new.wait(client)
            old.wait(client)

            def get(
                server: Server, params: dict[str, Any], expect: int = 200, **headers: str
            ) -> httpx.Response:
                response = client.get(server.base + GEOJSON, params=params, headers=headers)
                if response.status_code != expect:
                    raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
                return response

            def trivial(server: Server) -> None:
                response = client.post(server.base + "/graphql", json={"query": "{ __typename }"})
                if response.status_code != 200:
                    raise RuntimeError(response.text)

            after = get(new, {"bbox": PARIS})
            before = get(old, {"bbox": PARIS})
            if after.json() != before.json():
                raise RuntimeError("the viewport's GeoJSON differs between the two versions")
            etag = after.headers["etag"]
            france = get(new, {"bbox": FRANCE, "zoom": FRANCE_ZOOM}).json()
            results["viewport_places"] = len(after.json()["features"])
            results["viewport_bytes"] = len(after.content)
            results["france_clusters_count"] = len(france["features"])
            results["france_places"] = sum(f["properties"]["count"] for f in france["features"])
            results["france_zoom_used"] = france["zoom"]
            results["france_bytes"] = len(json.dumps(france, separators=(",", ":")).encode())
            results["france_before_status"] = client.get(
                old.base + GEOJSON, params={"bbox": FRANCE}
            ).status_code

            calls: dict[str, Callable[[int], object]] = {
                "viewport_before": lambda _: get(old, {"bbox": PARIS}),
                "viewport_after": lambda _: get(new, {"bbox": PARIS}),
                "viewport_304": lambda _: get(new, {"bbox": PARIS}, 304, **{"If-None-Match": etag}),
                "trivial_before": lambda _: trivial(old),
                "trivial_after": lambda _: trivial(new),
                "healthz": lambda _: client.get(new.base + "/healthz"),
                "france_clusters": lambda _: get(new, {"bbox": FRANCE, "zoom": FRANCE_ZOOM}),
            }
            results.update(interleaved(calls, rounds, warmup))
    finally:
        new.stop()
        old.stop()
    results["ratios"] = {
        "viewport_speedup (before p50 / after p50, target ≥ 10)": round(
            results["viewport_before"]["p50_ms"] / results["viewport_after"]["p50_ms"], 2
        ),
        "viewport_304 p50 / trivial p50": round(
            results["viewport_304"]["p50_ms"] / results["trivial_after"]["p50_ms"], 2
        ),
        "viewport_304 p50 / healthz p50": round(
            results["viewport_304"]["p50_ms"] / results["healthz"]["p50_ms"], 2
        ),
    }
    return results


def main() -> None:
    before_after_main(__doc__, run, rounds=60, warmup=5)


if __name__ == "__main__":
    main()
