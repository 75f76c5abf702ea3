"""Under load (target 6): two workers, 32 concurrent clients, before and after issue 11, in one run.

    python -m bench.load --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_perf_200000

Each version is served as ``aiguillage serve --workers 2`` serves it (``uvicorn --factory … --workers 2``,
production settings, Redis for the shared limits), the old one from ``--baseline`` (bench/baseline.py); both
run at once, only one is loaded at a time. Phases of ``--seconds`` alternate between the versions (and between
the two requests), ``--repeat`` times, so that both see the same machine; in each phase 32 clients, each on its
own keep-alive connection, send requests back to back:

- ``nearby``: the nearbyOfferings query of bench/run.py at seeded real places (a new point each request);
- ``viewport``: the GeoJSON of the Paris viewport (2 345 places at 200 000), no validator sent.

Reported per version and request: requests per second, p50 and p99 of the latencies seen by the clients, and
errors (any answer but 200, or a transport error). Only 127.0.0.1 is ever loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import httpx

from bench import baseline
from bench.run import KIND, NEARBY, Server, before_after_main, origins, percentiles
from bench.viewport import PARIS

CLIENTS = 32
REDIS = os.environ.get("AIGUILLAGE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


async def phase(base: str, kind: str, seconds: float, points: list[tuple[float, float]]) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=60.0) as http:
            i = n
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    if kind == "nearby":
                        lat, lon = points[i % len(points)]
                        response = await http.post(
                            "/graphql",
                            json={
                                "query": NEARBY,
                                "variables": {"lat": lat, "lon": lon, "kinds": [KIND.name]},
                            },
                        )
                        ok = response.status_code == 200 and not response.json().get("errors")
                    else:
                        response = await http.get("/geo/structures.geojson", params={"bbox": PARIS})
                        ok = response.status_code == 200 and len(response.content) > 0
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += 0 if ok else 1
                i += CLIENTS

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return {"latencies": latencies, "errors": errors, "seconds": time.perf_counter() - started}


def run(url: str, seconds: float, repeat: int, commit: str) -> dict[str, Any]:
    points = origins(3000)
    env = {"AIGUILLAGE_REDIS_URL": REDIS}
    servers = {
        "after": Server(url, 8781, workers=2, env=env),
        "before": Server(url, 8782, baseline.FACTORY, root=baseline.checkout(commit), workers=2, env=env),
    }
    collected: dict[str, dict[str, Any]] = {}
    try:
        with httpx.Client(timeout=60.0) as check:
            for server in servers.values():
                server.wait(check)
        order = ["before", "after"]
        for r in range(repeat):
            for variant in order if r % 2 == 0 else order[::-1]:
                for kind in ("nearby", "viewport"):
                    got = asyncio.run(phase(servers[variant].base, kind, seconds, points))
                    key = f"{kind}_{variant}"
                    into = collected.setdefault(key, {"latencies": [], "errors": 0, "seconds": 0.0})
                    into["latencies"] += got["latencies"]
                    into["errors"] += got["errors"]
                    into["seconds"] += got["seconds"]
    finally:
        for server in servers.values():
            server.stop()
    results: dict[str, Any] = {"url": url, "baseline": commit, "clients": CLIENTS, "workers": 2}
    for key, got in collected.items():
        results[key] = {
            **percentiles(got["latencies"]),
            "requests_per_second": round(len(got["latencies"]) / got["seconds"], 1),
            "errors": got["errors"],
        }
    results["ratios"] = {
        f"{kind}: throughput after / before": round(
            results[f"{kind}_after"]["requests_per_second"]
            / results[f"{kind}_before"]["requests_per_second"],
            2,
        )
        for kind in ("nearby", "viewport")
    }
    return results


def main() -> None:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--seconds", type=float, default=10.0, help="length of one phase")
        parser.add_argument("--repeat", type=int, default=2)

    before_after_main(__doc__, run, options=options)


if __name__ == "__main__":
    main()
