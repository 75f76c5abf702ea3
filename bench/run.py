"""Measure the public mapping over HTTP against a local server, and the bare SQL of the nearby search.

    python -m bench.run --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_20000

Starts ``uvicorn --factory app.asgi:app_from_env`` (one worker, production settings) on the database,
then, one request at a time on one keep-alive connection, after a warm-up:

- ``trivial``: ``{ __typename }``, the cost of HTTP + GraphQL alone;
- ``nearby``: ``nearbyOfferings`` (one kind, first 20, default radius) at seeded real places;
- ``nearby_sql``: the nearby search itself, ``geo.nearby.nearest_offerings`` in a read session, timed in
  this process through SQLAlchemy (same points, same kind, 21 rows as the resolver asks);
- ``list_first`` / ``list_deep``: a ``structures`` page of 50 at the start and at 90 % of the list (its
  keyset cursor).

Prints and writes (``--out``) a JSON document of p50/p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from app.database import Database
from app.settings import load_settings
from bench import baseline
from bench.places import real_places
from geo.nearby import nearest_offerings
from models import ServiceKind, ServiceOffering, Structure
from resolvers.pagination import encode_cursor

KIND = ServiceKind.ADMINISTRATIVE_PROCEDURES
NEARBY = """
query($lat: Float!, $lon: Float!, $kinds: [ServiceKind!]) {
  nearbyOfferings(near: {point: {latitude: $lat, longitude: $lon}}, kinds: $kinds, first: 20) {
    edges { cursor distanceKm node { id kind location { latitude longitude } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
LISTING = """
query($after: String) {
  structures(first: 50, after: $after) {
    totalCount
    edges { cursor node { id name isOperator updatedAt address { city postalCode } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(cut[98] * 1000, 3),
        "n": len(ordered),
    }


def measure(call: Callable[[int], object], count: int, warmup: int) -> dict[str, float]:
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(count):
        started = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def interleaved(calls: dict[str, Callable[[int], object]], rounds: int, warmup: int) -> dict[str, Any]:
    """Every call once per round, in an order rotated from round to round, so that on a shared machine each
    variant sees the same load; p50 and p99 of the rounds."""
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(warmup + rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            calls[name](r)
            if r >= warmup:
                samples[name].append(time.perf_counter() - started)
    return {name: percentiles(samples[name]) for name in names}


def origins(count: int, seed: int = 7) -> list[tuple[float, float]]:
    """Real places, in a fixed random order: the same points at every scale and on every backend."""
    places = real_places()
    rng = random.Random(seed)
    return [(p.latitude, p.longitude) for p in rng.sample(places, count)]


class Server:
    """``uvicorn --factory <app>`` on the database, production settings; ``root`` is the code to serve (another
    checkout for a before/after comparison), ``env`` extra settings (a Redis URL for several workers)."""

    def __init__(
        self,
        url: str,
        port: int,
        app: str = "app.asgi:app_from_env",
        *,
        root: Path | None = None,
        workers: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AIGUILLAGE_")},
            "AIGUILLAGE_DATABASE_URL": url,
            "AIGUILLAGE_ENVIRONMENT": "production",
            "AIGUILLAGE_LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        root = root or Path(__file__).resolve().parents[1]
        # Several benches on one machine: AIGUILLAGE_BENCH_PORT_OFFSET moves every port of this one.
        port += int(os.environ.get("AIGUILLAGE_BENCH_PORT_OFFSET", "0"))
        # Another server left on the port would answer in its place: refuse rather than measure it.
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise RuntimeError(f"port {port} is already taken: stop what listens there")
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=root,
            env={**env, "PYTHONPATH": str(root)},
        )

    def wait(self, client: httpx.Client, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.process.returncode}")
            try:
                if client.get(self.base + "/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not answer /healthz in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run(url: str, count: int, warmup: int, port: int, app: str = "app.asgi:app_from_env") -> dict[str, Any]:
    points = origins(count + warmup)
    db = Database.from_settings(load_settings(database_url=url))
    with db.read() as session:
        structures = session.scalar(select(func.count()).select_from(Structure)) or 0
        offerings = session.scalar(select(func.count()).select_from(ServiceOffering)) or 0
        deep_id = session.scalar(
            select(Structure.id).order_by(Structure.id).offset(int(structures * 0.9)).limit(1)
        )
    deep_cursor = encode_cursor(deep_id)
    results: dict[str, Any] = {
        "url": url,
        "app": app,
        "backend": db.backend,
        "structures": structures,
        "offerings": offerings,
    }

    def bare_sql(i: int) -> None:
        lat, lon = points[i % len(points)]
        with db.read() as session:
            nearest_offerings(session, lat, lon, 20.0, limit=21, kinds=[KIND.value])

    server = Server(url, port, app)
    try:
        with httpx.Client(timeout=30.0) as client:
            server.wait(client)
            graphql = server.base + "/graphql"

            def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
                response = client.post(graphql, json={"query": query, "variables": variables})
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"{response.status_code}: {body}")
                return dict(body["data"])

            def nearby(i: int) -> None:
                lat, lon = points[i % len(points)]
                post(NEARBY, {"lat": lat, "lon": lon, "kinds": [KIND.name]})

            found = [
                len(post(NEARBY, {"lat": la, "lon": lo, "kinds": [KIND.name]})["nearbyOfferings"]["edges"])
                for la, lo in points[:50]
            ]
            results["nearby_mean_edges"] = round(statistics.mean(found), 1)
            results["trivial"] = measure(lambda i: post("{ __typename }", {}), count, warmup)
            results["nearby"] = measure(nearby, count, warmup)
            results["nearby_sql"] = measure(bare_sql, count, warmup)
            results["list_first"] = measure(lambda i: post(LISTING, {"after": None}), count, warmup)
            results["list_deep"] = measure(lambda i: post(LISTING, {"after": deep_cursor}), count, warmup)
    finally:
        server.stop()
        db.dispose()
    return results


def write_results(results: dict[str, Any], out: Path | None) -> None:
    """Print the results as JSON and, with ``out``, write them to that file too."""
    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")


def before_after_main(
    doc: str | None,
    run: Callable[..., dict[str, Any]],
    *,
    rounds: int | None = None,
    warmup: int | None = None,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
    """The command line of a before/after bench: ``--url``, ``--baseline`` (bench/baseline.py), ``--out``, and
    ``--rounds``/``--warmup`` when given their defaults; ``options`` adds the bench's own. Calls
    ``run(url=…, commit=…, rounds=…, warmup=…, <own options>=…)``, then prints and writes the results."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    if rounds is not None:
        parser.add_argument("--rounds", type=int, default=rounds)
        parser.add_argument("--warmup", type=int, default=warmup or 0)
    parser.add_argument("--baseline", dest="commit", default=baseline.DEFAULT_COMMIT)
    parser.add_argument("--out", type=Path)
    if options:
        options(parser)
    args = vars(parser.parse_args())
    out = args.pop("out")
    write_results(run(**args), out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, default=300, help="measured requests per kind (default 300)")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--app", default="app.asgi:app_from_env", help="ASGI app factory to serve")
    args = parser.parse_args()
    write_results(run(args.url, args.count, args.warmup, args.port, args.app), args.out)


if __name__ == "__main__":
    main()
