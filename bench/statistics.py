"""Measure ``statistics(from, to)`` on PostGIS: 100 000 dossiers, 500 000 history events.

    python -m bench.statistics                  # generate (or --reuse) aiguillage_bench_statistics, measure
    python -m bench.statistics --reuse --count 100

Data (seeded): 100 member structures, each reorienting to four neighbours; 100 000 dossiers started
uniformly between 2025-01-01 and 2026-11-01, five events each along one of five paths (taken in charge then
reoriented; declined then reoriented by a coordinator and archived; reminded, expired and reoriented; archived
then retrieved elsewhere; reoriented then archived), gaps of 0–12 days at any time of day; and 10 000 purged
dossiers (50 000 anonymous steps, in 2025). Written with COPY after the service's own migrations, then
``VACUUM ANALYZE``.

Measured, one request at a time on one keep-alive connection after a warm-up, against
``uvicorn --factory app.asgi:app_from_env`` (one worker, production settings), as a coordinator:

- ``trivial``: ``{ __typename }``;
- ``month`` / ``year``: the whole ``statistics`` document (every figure, structures' names) for June 2026 and
  for 2026;
- ``month_sql`` / ``year_sql``: the bare SQL of the same requests, timed in this process: what the resolver
  runs, ``resolvers.statistics.statistics_with_structures`` (the figures' one statement and the structures'
  batch load) in one read session. Request and bare SQL are measured turn about, so that both see the same
  load on the shared machine.

Prints and writes (``--out``, default bench/results/statistics-<UTC time>.json) p50/p99 in milliseconds and
the ratios request p50 / bare SQL p50.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select, text

from app import migrate
from app.database import Database
from app.settings import load_settings
from bench.generate import fresh_database
from bench.run import Server, measure, percentiles
from models import (
    AnonymousDossier,
    AnonymousStep,
    ArchiveReason,
    DeclineReason,
    Dossier,
    DossierEvent,
    Operator,
    Role,
    Structure,
)
from resolvers.auth import Actor, hash_token
from resolvers.statistics import statistics_with_structures

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("AIGUILLAGE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
URL = f"{POSTGRES}/aiguillage_bench_statistics"
TOKEN = "bench-statistics-coordinator"  # noqa: S105 - a throw-away bench database's token
STRUCTURES, DOSSIERS, PURGED = 100, 100_000, 10_000
START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2026, 11, 1, tzinfo=UTC) - START).total_seconds())
PERIODS = {
    "month": (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)),
    "year": (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
}
QUERY = """
query($from: DateTime!, $to: DateTime!) {
  statistics(from: $from, to: $to) {
    oriented takenInCharge reoriented archived declined expired claimed medianDaysToTakeInCharge
    archiveReasons { reason count }
    declineReasons { reason count }
    byStructure { structure { id name } oriented takenInCharge reorientedAway archived declined expired
                  waitingNow medianDaysToTakeInCharge }
    flows { from { id name } to { id name } count }
  }
}
"""

# Five paths of five events: (kind, where) with where "S" (first structure), "T" (a neighbour), or "S>T".
PATHS = [
    (
        ("ORIENTED", ">S"),
        ("REMINDED", "S"),
        ("TAKEN_IN_CHARGE", "S"),
        ("REORIENTED", "S>T"),
        ("TAKEN_IN_CHARGE", "T"),
    ),
    (
        ("ORIENTED", ">S"),
        ("DECLINED", "S"),
        ("REORIENTED", "S>T"),
        ("TAKEN_IN_CHARGE", "T"),
        ("ARCHIVED", "T"),
    ),
    (("ORIENTED", ">S"), ("REMINDED", "S"), ("EXPIRED", "S"), ("REORIENTED", "S>T"), ("REMINDED", "T")),
    (
        ("ORIENTED", ">S"),
        ("TAKEN_IN_CHARGE", "S"),
        ("ARCHIVED", "S"),
        ("CLAIMED", "S>T"),
        ("TAKEN_IN_CHARGE", "T"),
    ),
    (
        ("ORIENTED", ">S"),
        ("TAKEN_IN_CHARGE", "S"),
        ("REORIENTED", "S>T"),
        ("TAKEN_IN_CHARGE", "T"),
        ("ARCHIVED", "T"),
    ),
]
FINAL_STATUS = ["TAKEN_IN_CHARGE", "ARCHIVED", "ORIENTED", "TAKEN_IN_CHARGE", "ARCHIVED"]
ARCHIVE_REASONS = [r.value for r in ArchiveReason]
DECLINE_REASONS = [r.value for r in DeclineReason]


def _path(
    rng: random.Random,
) -> tuple[int, int, int, list[tuple[str, datetime, int | None, int, str | None]]]:
    """One dossier's path: (path index, S, T, events as (kind, at, from, to, reason))."""
    index = rng.randrange(len(PATHS))
    s = rng.randrange(STRUCTURES) + 1
    t = (s - 1 + rng.randint(1, 4)) % STRUCTURES + 1
    at = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
    events = []
    for kind, where in PATHS[index]:
        source, target = {">S": (None, s), "S": (s, s), "T": (t, t), "S>T": (s, t)}[where]
        reason = (
            rng.choice(ARCHIVE_REASONS)
            if kind == "ARCHIVED"
            else rng.choice(DECLINE_REASONS)
            if kind == "DECLINED"
            else None
        )
        events.append((kind, at, source, target, reason))
        at += timedelta(seconds=rng.randrange(12 * 24 * 3600))
    return index, s, t, events


def generate(url: str = URL, seed: int = 20261128) -> dict[str, Any]:
    started = time.perf_counter()
    fresh_database(url)
    db = Database.from_settings(load_settings(database_url=url))
    migrate.upgrade(db.engine)
    rng = random.Random(seed)
    with db.write() as session:
        session.execute(
            insert(Structure),
            [
                {
                    "id": i,
                    "source": "bench",
                    "source_id": str(i),
                    "name": f"Structure {i:03d}",
                    "is_operator": True,
                    "standard": {},
                    "created_at": START,
                    "updated_at": START,
                }
                for i in range(1, STRUCTURES + 1)
            ],
        )
        session.add(Operator(name="Bench", role=Role.COORDINATOR.value, token_hash=hash_token(TOKEN)))
    dossier_columns = [c.name for c in Dossier.__table__.columns]
    event_columns = [
        "id",
        "dossier_id",
        "kind",
        "at",
        "actor_name",
        "from_structure_id",
        "to_structure_id",
        "archive_reason",
        "decline_reason",
        "previous_since",
    ]
    event_id = 0
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY dossiers ({', '.join(dossier_columns)}) FROM STDIN") as copy:
            paths = []
            for n in range(1, DOSSIERS + 1):
                index, _, _, history = _path(rng)
                paths.append(history)
                status = FINAL_STATUS[index]
                last = history[-1][1]
                holder = history[-1][3]
                row = {
                    "id": n,
                    "carnet_number": f"{n:06d}",
                    "last_name": f"Nom{n}",
                    "name_key": f"nom{n}",
                    "needs": "ADMINISTRATIVE_PROCEDURES",
                    "structure_id": holder,
                    "status": status,
                    "version": 5,
                    "oriented_at": history[0][1],
                    "taken_in_charge_at": last if status == "TAKEN_IN_CHARGE" else None,
                    "archived_at": last if status == "ARCHIVED" else None,
                    "archive_reason": history[-1][4] if status == "ARCHIVED" else None,
                    "status_since": last,
                    "last_activity_at": last,
                    "created_at": history[0][1],
                }
                copy.write_row([row.get(c) for c in dossier_columns])
        with cursor.copy(f"COPY dossier_events ({', '.join(event_columns)}) FROM STDIN") as copy:
            for n, history in enumerate(paths, start=1):
                since = None  # as transitions record it: when the status the event ends began
                for kind, at, source, target, reason in history:
                    event_id += 1
                    copy.write_row(
                        [
                            event_id,
                            n,
                            kind,
                            at,
                            "Bench",
                            source,
                            target,
                            reason if kind == "ARCHIVED" else None,
                            reason if kind == "DECLINED" else None,
                            since,
                        ]
                    )
                    if kind != "REMINDED":
                        since = at
        raw.commit()
    finally:
        raw.close()
    with db.write() as session:
        purged, purged_steps = [], []
        for n in range(1, PURGED + 1):
            _, _, t, history = _path(rng)
            purged.append(
                {
                    "id": n,
                    "needs": "",
                    "structure_id": t,
                    "reorientations": sum(kind == "REORIENTED" for kind, *_ in history),
                    "archived_month": datetime(2025, 12, 1, tzinfo=UTC),
                }
            )
            entered: datetime | None = None
            for kind, at, source, target, reason in history:
                days = (
                    (at - entered).total_seconds() / 86400 if kind == "TAKEN_IN_CHARGE" and entered else None
                )
                if kind in ("ORIENTED", "REORIENTED", "CLAIMED"):
                    entered = at
                purged_steps.append(
                    {
                        "anonymous_dossier_id": n,
                        "kind": kind,
                        "month": datetime(at.year, at.month, 1, tzinfo=UTC),
                        "from_structure_id": source,
                        "to_structure_id": target,
                        "archive_reason": reason if kind == "ARCHIVED" else None,
                        "decline_reason": reason if kind == "DECLINED" else None,
                        "days_to_take_in_charge": days,
                    }
                )
        session.execute(insert(AnonymousDossier), purged)
        session.execute(insert(AnonymousStep), purged_steps)
    with db.engine.connect() as conn:
        for table, count in (
            ("dossiers", DOSSIERS),
            ("dossier_events", event_id),
            ("anonymous_dossiers", PURGED),
        ):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {count})"))
        conn.commit()
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    db.dispose()
    return {
        "url": url,
        "dossiers": DOSSIERS,
        "events": event_id,
        "purged": PURGED,
        "seconds": round(time.perf_counter() - started, 1),
    }


def interleaved(
    first: Callable[[], object], second: Callable[[], object], count: int, warmup: int
) -> tuple[dict[str, float], dict[str, float]]:
    """p50/p99 of two calls measured turn about."""
    for _ in range(warmup):
        first()
        second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(count):
        for call, out in ((first, samples[0]), (second, samples[1])):
            started = time.perf_counter()
            call()
            out.append(time.perf_counter() - started)
    return percentiles(samples[0]), percentiles(samples[1])


def run(url: str, count: int, warmup: int, port: int) -> dict[str, Any]:
    db = Database.from_settings(load_settings(database_url=url))
    with db.read() as session:
        sizes = {
            "dossiers": session.scalar(select(func.count()).select_from(Dossier)),
            "events": session.scalar(select(func.count()).select_from(DossierEvent)),
            "anonymous_steps": session.scalar(select(func.count()).select_from(AnonymousStep)),
        }
        coordinator = session.scalars(select(Operator).where(Operator.token_hash == hash_token(TOKEN))).one()
    actor = Actor(coordinator.id, coordinator.name, Role.COORDINATOR, None)
    results: dict[str, Any] = {"url": url, **sizes}

    def bare_sql(start: datetime, end: datetime) -> None:
        with db.read() as session:
            statistics_with_structures(session, actor, start, end)

    server = Server(url, port)
    try:
        with httpx.Client(timeout=60.0, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            server.wait(client)
            graphql = server.base + "/graphql"

            def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
                response = client.post(graphql, json={"query": query, "variables": variables})
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"{response.status_code}: {body}")
                return dict(body["data"])

            results["trivial"] = measure(lambda i: post("{ __typename }", {}), count, warmup)
            for name, (start, end) in PERIODS.items():
                variables = {"from": start.isoformat(), "to": end.isoformat()}
                answer = post(QUERY, variables)["statistics"]
                results[f"{name}_figures"] = {
                    k: answer[k] for k in ("oriented", "takenInCharge", "medianDaysToTakeInCharge")
                } | {"structures": len(answer["byStructure"]), "flows": len(answer["flows"])}
                # Request and bare SQL alternate, so that both see the same load on the shared machine.
                http, sql = interleaved(
                    lambda v=variables: post(QUERY, v),
                    lambda s=start, e=end: bare_sql(s, e),
                    count,
                    warmup,
                )
                results[name], results[f"{name}_sql"] = http, sql
                results[f"{name}_ratio"] = round(http["p50_ms"] / sql["p50_ms"], 2)
    finally:
        server.stop()
        db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=URL)
    parser.add_argument("--reuse", action="store_true", help="keep the database when it holds the dossiers")
    parser.add_argument("--count", type=int, default=100, help="measured requests per line (default 100)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    generated = None
    try:
        db = Database.from_settings(load_settings(database_url=args.url))
        with db.read() as session:
            existing = session.scalar(select(func.count()).select_from(Dossier))
        db.dispose()
    except Exception:
        existing = None
    if not (args.reuse and existing == DOSSIERS):
        generated = generate(args.url)
        print("generated", generated, flush=True)
    results = run(args.url, args.count, args.warmup, args.port)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    document = {
        "at": at,
        "cpus": os.cpu_count(),
        "generated": generated,
        "results": results,
        "seconds": round(time.perf_counter() - started, 1),
    }
    out = args.out or ROOT / "bench" / "results" / f"statistics-{at.replace(':', '')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=2))
    print(f"written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
