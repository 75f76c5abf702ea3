"""The whole bench in one run: generate the databases, measure each, print the ratios against the targets.

    python -m bench.all                      # PostGIS 20 000 and 200 000, SpatiaLite 20 000
    python -m bench.all --reuse              # keep databases already generated at the right size
    python -m bench.all --no-spatialite

Databases: ``$AIGUILLAGE_BENCH_POSTGRES`` (default postgresql+psycopg://postgres@127.0.0.1:5432) with one
database per size, and SQLite files under var/. Results go to bench/results/<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from bench.generate import generate
from bench.run import run
from models import Structure

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("AIGUILLAGE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _size(url: str) -> int | None:
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Structure)).scalar_one())
    except SQLAlchemyError:
        return None


def ratios(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets of the issue, each with its measured ratio (p50s of this run)."""
    rows = []
    small, large = results.get("postgis-20000"), results.get("postgis-200000")
    if small and large:
        rows.append(
            {
                "target": "PostGIS: nearby p50 at 200 000 ≤ 1.5 × nearby p50 at 20 000",
                "ratio": large["nearby"]["p50_ms"] / small["nearby"]["p50_ms"],
                "limit": 1.5,
            }
        )
    for name, r in results.items():
        rows.append(
            {
                "target": f"{name}: nearby p50 ≤ 1.5 × (trivial p50 + bare SQL p50)",
                "ratio": r["nearby"]["p50_ms"] / (r["trivial"]["p50_ms"] + r["nearby_sql"]["p50_ms"]),
                "limit": 1.5,
            }
        )
        rows.append(
            {
                "target": f"{name}: deep listing page p50 ≤ 1.3 × first page p50",
                "ratio": r["list_deep"]["p50_ms"] / r["list_first"]["p50_ms"],
                "limit": 1.3,
            }
        )
    for row in rows:
        row["ratio"] = round(row["ratio"], 2)
        row["met"] = row["ratio"] <= row["limit"]
    return rows


def table(results: dict[str, Any]) -> str:
    lines = [
        "| run | structures | offerings | trivial p50/p99 | nearby p50/p99 | bare SQL p50/p99 "
        "| list first p50/p99 | list deep p50/p99 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        cells = [
            f"{r[k]['p50_ms']:.2f} / {r[k]['p99_ms']:.2f}"
            for k in ("trivial", "nearby", "nearby_sql", "list_first", "list_deep")
        ]
        lines.append(f"| {name} | {r['structures']} | {r['offerings']} | " + " | ".join(cells) + " |")
    lines += ["", "| target | measured ratio | limit | met |", "|---|---|---|---|"]
    for row in ratios(results):
        lines.append(
            f"| {row['target']} | {row['ratio']:.2f} | {row['limit']} | {'yes' if row['met'] else 'NO'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reuse", action="store_true", help="keep databases already at the right size")
    parser.add_argument("--no-spatialite", action="store_true")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()

    runs = [
        ("postgis-20000", f"{POSTGRES}/aiguillage_bench_20000", 20_000),
        ("postgis-200000", f"{POSTGRES}/aiguillage_bench_200000", 200_000),
    ]
    if not args.no_spatialite:
        runs.append(("spatialite-20000", f"sqlite:///{ROOT / 'var' / 'bench-20000.db'}", 20_000))

    started = time.perf_counter()
    generated: dict[str, Any] = {}
    for name, url, n in runs:
        if args.reuse and _size(url) == n:
            continue
        generated[name] = generate(url, n)
        print("generated", generated[name], flush=True)
    results: dict[str, Any] = {}
    for name, url, _ in runs:
        results[name] = run(url, args.count, args.warmup, port=8765)
        print(name, json.dumps(results[name]), flush=True)

    at = datetime.now(UTC).isoformat(timespec="seconds")
    document = {
        "at": at,
        "cpus": os.cpu_count(),
        "seconds": round(time.perf_counter() - started, 1),
        "generated": generated,
        "results": results,
        "ratios": ratios(results),
    }
    out = ROOT / "bench" / "results" / f"{at.replace(':', '')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwritten to {out.relative_to(ROOT)} in {document['seconds']} s")


if __name__ == "__main__":
    main()
