"""Places in depth, measured on a bench database (``bench.generate``): « ouvert maintenant ? », the standard's
filters, the commune search box and the data·inclusion export.

    python -m bench.depth --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_200000

First gives the generated places what the real ones have (once; ``--reuse`` keeps it): opening hours drawn
from a few common weekly patterns (read by ``models.hours`` and turned into open intervals by the service's
own ``refresh_open_intervals``), publics and specific support in the standard's words (with their filter
columns), and the real communes (``import communes``). Then, against ``uvicorn`` as ``bench.run`` serves it,
one request at a time after a warm-up:

- ``nearby`` / ``nearby_open_at`` / ``nearby_publics``: the same ``nearbyOfferings`` as ``bench.run``, without
  and with ``openAt`` (a Tuesday, 10:30 in Paris) or ``publics: [SENIORS]``;
- ``communes``: ``communes(search, first: 10)`` on the first 3 to 8 letters of real commune names and on
  postal-code prefixes; ``communes_sql``: the same searches through ``resolvers.communes.search_communes`` in
  a read session of this process (the SQL alone);
- ``export``: the whole ``/exports/data-inclusion/structures.json`` and ``services.json``, time and the
  server's peak resident memory (VmHWM) before and after.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text, update

from app.database import Database
from app.settings import load_settings
from batch.imports import import_communes
from bench.places import SHARED_DATA
from bench.run import KIND, NEARBY, Server, measure, origins, write_results
from models import Commune, OpenInterval, Structure
from models.standard import standard_masks
from resolvers.communes import search_communes
from resolvers.hours import refresh_open_intervals

HOURS = (
    "Mo-Fr 09:00-12:00,14:00-17:00",
    "Mo-Fr 09:00-12:30,13:30-17:30; Sa 09:00-12:00",
    "Tu-Sa 10:00-12:00,14:00-18:00",
    "Mo,We,Fr 09:00-12:00",
    "Mo-Th 08:30-12:00,13:30-17:00; Fr 08:30-12:00",
    "Tu,Th 14:00-18:00; Sa 10:00-12:00",
    "Mo-Fr 10:00-18:00",
    "We 14:00-17:00",
)
PUBLICS = (["Seniors"], ["Jeunes", "Étudiants"], ["Familles et/ou enfants"], [], [], ["Femmes"])
SUPPORT = (
    ["Surdité"],
    [],
    ["Langues étrangères (anglais)"],
    [],
    ["Illettrisme"],
    [],
    [],
    ["Handicaps moteurs"],
)
OPEN_AT = "2026-12-01T10:30:00+01:00"  # a Tuesday
CHUNK = 5000
NEARBY_OPEN = NEARBY.replace("$kinds: [ServiceKind!])", "$kinds: [ServiceKind!], $at: DateTime)").replace(
    "first: 20)", "first: 20, openAt: $at)"
)
NEARBY_PUBLICS = NEARBY.replace("first: 20)", "first: 20, publics: [SENIORS])")
COMMUNES = (
    "query($s: String!) { communes(search: $s, first: 10) { code name postalCodes centre { latitude } } }"
)


def enrich(db: Database) -> dict[str, Any]:
    """Hours, the standard's publics and support, open intervals, communes: what the real places have."""
    started = time.perf_counter()
    with db.read() as session:
        ids = list(session.scalars(select(Structure.id).order_by(Structure.id)))
        has_communes = bool(session.scalar(select(func.count()).select_from(Commune)))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with db.write() as session:
            rows = []
            for pk in chunk:
                standard = {
                    "publics_specifiquement_adresses": PUBLICS[pk % len(PUBLICS)],
                    "prise_en_charge_specifique": SUPPORT[pk % len(SUPPORT)],
                }
                standard = {k: v for k, v in standard.items() if v}
                rows.append(
                    {
                        "id": pk,
                        "opening_hours": HOURS[pk % len(HOURS)],
                        "standard": standard,
                        **standard_masks(standard),
                    }
                )
            # ORM bulk UPDATE by primary key: one executemany per chunk.
            session.execute(update(Structure), rows)
            refresh_open_intervals(session, chunk)
    if not has_communes:
        report = import_communes(
            db,
            SHARED_DATA / "communes" / "laposte_hexasmal_2023.csv",
            SHARED_DATA / "communes" / "decoupage-administratif-6.0.0-communes.json",
        )
        assert report.ok, report.summary()
    with db.engine.connect() as conn:
        if db.backend == "postgis":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return {"seconds": round(time.perf_counter() - started, 1)}


def searches(db: Database, count: int, seed: int = 11) -> list[str]:
    """Prefixes of real commune names (3 to 8 letters) and, one in five, of postal codes."""
    rng = random.Random(seed)
    with db.read() as session:
        names = list(session.scalars(select(Commune.name).order_by(Commune.code)))
    found = []
    for i in range(count):
        if i % 5 == 4:
            found.append(f"{rng.randrange(1, 96):02d}{rng.randrange(10)}")
        else:
            name = rng.choice(names)
            found.append(name[: rng.randint(3, 8)])
    return found


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run(url: str, count: int, warmup: int, port: int, reuse: bool) -> dict[str, Any]:
    db = Database.from_settings(load_settings(database_url=url))
    results: dict[str, Any] = {"url": url, "backend": db.backend}
    with db.read() as session:
        results["structures"] = session.scalar(select(func.count()).select_from(Structure))
        enriched = bool(session.scalar(select(func.count()).select_from(OpenInterval)))
    if not (reuse and enriched):
        results["enriched"] = enrich(db)
    points = origins(count + warmup)
    words = searches(db, count + warmup)
    server = Server(url, port)
    try:
        with httpx.Client(timeout=600.0) as client:
            server.wait(client)
            graphql = server.base + "/graphql"

            def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
                response = client.post(graphql, json={"query": query, "variables": variables})
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"{response.status_code}: {body}")
                return dict(body["data"])

            def nearby(query: str, **extra: Any) -> Any:
                def call(i: int) -> None:
                    lat, lon = points[i % len(points)]
                    post(query, {"lat": lat, "lon": lon, "kinds": [KIND.name], **extra})

                return call

            def edges(query: str, **extra: Any) -> float:
                sizes = [
                    len(
                        post(query, {"lat": la, "lon": lo, "kinds": [KIND.name], **extra})["nearbyOfferings"][
                            "edges"
                        ]
                    )
                    for la, lo in points[:50]
                ]
                return round(sum(sizes) / len(sizes), 1)

            results["mean_edges"] = {
                "nearby": edges(NEARBY),
                "nearby_open_at": edges(NEARBY_OPEN, at=OPEN_AT),
                "nearby_publics": edges(NEARBY_PUBLICS),
            }
            results["nearby"] = measure(nearby(NEARBY), count, warmup)
            results["nearby_open_at"] = measure(nearby(NEARBY_OPEN, at=OPEN_AT), count, warmup)
            results["nearby_publics"] = measure(nearby(NEARBY_PUBLICS), count, warmup)
            results["communes"] = measure(
                lambda i: post(COMMUNES, {"s": words[i % len(words)]}), count, warmup
            )

            def communes_sql(i: int) -> None:
                with db.read() as session:
                    search_communes(session, words[i % len(words)], 10)

            results["communes_sql"] = measure(communes_sql, count, warmup)

            for name in ("structures", "services"):
                before = peak_kib(server.process.pid)
                started = time.perf_counter()
                size = 0
                with client.stream("GET", f"{server.base}/exports/data-inclusion/{name}.json") as response:
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                results[f"export_{name}"] = {
                    "seconds": round(time.perf_counter() - started, 2),
                    "megabytes": round(size / 1e6, 1),
                    "peak_rss_before_mib": round(before / 1024, 1),
                    "peak_rss_after_mib": round(peak_kib(server.process.pid) / 1024, 1),
                }
    finally:
        server.stop()
        db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--url", action="append", required=True, help="bench database(s), from bench.generate"
    )
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--port", type=int, default=18744)
    parser.add_argument("--reuse", action="store_true", help="keep the hours and communes already added")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    document = {url: run(url, args.count, args.warmup, args.port, args.reuse) for url in args.url}
    write_results(document, args.out)


if __name__ == "__main__":
    main()
