"""The bulk exports against ``COPY`` of the same columns, interleaved in one run (issue 11, target 4).

    python -m bench.exports --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_export_20000 \
                            --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_perf_200000

For each (PostGIS) database: one server (``uvicorn``, one worker, production settings, bench/run.py), and each
round downloads every file once over HTTP, streamed and counted, not kept, in an order rotated from round to
round (bench/run.py ``interleaved``), next to its floor, ``COPY (SELECT …) TO STDOUT WITH (FORMAT csv)``
through psycopg of the columns the export reads, on the same keep-alive-free footing (read, counted, dropped):

- ``lieux.csv`` / ``copy_lieux``: ``resolvers.export.ROW_COLUMNS`` of the open structures, by id;
- ``structures.json`` / ``copy_structures``: ``resolvers.data_inclusion.STRUCTURE_COLUMNS``, by id;
- ``services.json`` / ``copy_services``: the offerings' columns joined to their structure's.

The ratio of each pair is between p50s of the same run. The server's peak resident memory (``VmHWM`` of
``/proc/<pid>/status``) is read after it answered ``/healthz`` and after the rounds: the growth is what the
exports held at most. Writes ``bench/results/exports-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import Select

from bench.run import Server, interleaved
from models import ServiceOffering, Structure
from resolvers import data_inclusion, export

ROOT = Path(__file__).resolve().parents[1]
FILES = {
    "lieux.csv": "/exports/lieux.csv",
    "structures.json": "/exports/data-inclusion/structures.json",
    "services.json": "/exports/data-inclusion/services.json",
}


def _sql(stmt: Select[Any]) -> str:
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def copy_statements() -> dict[str, str]:
    """``COPY`` of the columns each export reads, in its order."""
    open_ = Structure.closed_at.is_(None)
    selects = {
        "copy_lieux": select(*export.ROW_COLUMNS).where(open_).order_by(Structure.id),
        "copy_structures": select(*data_inclusion.STRUCTURE_COLUMNS).where(open_).order_by(Structure.id),
        "copy_services": select(*data_inclusion.OFFERING_COLUMNS, *data_inclusion.STRUCTURE_COLUMNS[1:])
        .join(Structure, Structure.id == ServiceOffering.structure_id)
        .where(open_)
        .order_by(Structure.id, ServiceOffering.id),
    }
    return {name: f"COPY ({_sql(stmt)}) TO STDOUT WITH (FORMAT csv)" for name, stmt in selects.items()}


def peak_rss_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            fields[name] = int(value.split()[0])
    return fields


def run(url: str, rounds: int, warmup: int, port: int, only: list[str] | None = None) -> dict[str, Any]:
    driver_url = url.replace("postgresql+psycopg://", "postgresql://")
    copies = copy_statements()
    server = Server(url, port)
    sizes: dict[str, int] = {}
    results: dict[str, Any] = {"url": url, "rounds": rounds, "warmup": warmup}
    try:
        with httpx.Client(timeout=600.0) as client, psycopg.connect(driver_url, autocommit=True) as conn:
            server.wait(client)
            results["structures"] = conn.execute("SELECT count(*) FROM structures").fetchone()[0]  # type: ignore[index]
            results["offerings"] = conn.execute("SELECT count(*) FROM service_offerings").fetchone()[0]  # type: ignore[index]
            results["memory_before_kib"] = peak_rss_kib(server.process.pid)

            def download(name: str, path: str) -> Callable[[int], object]:
                def call(_: int) -> None:
                    size = 0
                    with client.stream("GET", server.base + path) as response:
                        if response.status_code != 200:
                            raise RuntimeError(f"{path}: {response.status_code}")
                        for chunk in response.iter_raw():
                            size += len(chunk)
                    sizes[name] = size

                return call

            def copy(name: str, statement: str) -> Callable[[int], object]:
                def call(_: int) -> None:
                    size = 0
                    with conn.cursor() as cursor, cursor.copy(statement) as stream:
                        for block in stream:
                            size += len(block)
                    sizes[name] = size

                return call

            calls: dict[str, Callable[[int], object]] = {}
            for (name, path), (copy_name, statement) in zip(FILES.items(), copies.items(), strict=True):
                if only and name not in only:
                    continue
                calls[name] = download(name, path)
                calls[copy_name] = copy(copy_name, statement)
            results["timings_ms"] = interleaved(calls, rounds, warmup)
            results["memory_after_kib"] = peak_rss_kib(server.process.pid)
    finally:
        server.stop()
    results["bytes"] = sizes
    timings = results["timings_ms"]
    results["ratios"] = {
        name: round(timings[name]["p50_ms"] / timings[copy_name]["p50_ms"], 2)
        for name, copy_name in zip(FILES, copies, strict=True)
        if name in timings
    }
    results["seconds_p50"] = {name: round(t["p50_ms"] / 1000, 2) for name, t in timings.items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", action="append", required=True, help="a PostGIS bench database (repeat)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--only", nargs="*", choices=list(FILES), help="some of the files (default: all)")
    args = parser.parse_args()
    started = datetime.now(UTC)
    out: dict[str, Any] = {"at": started.isoformat(timespec="seconds"), "runs": []}
    for url in args.url:
        run_ = run(url, args.rounds, args.warmup, args.port, args.only)
        out["runs"].append(run_)
        print(
            run_["structures"],
            json.dumps(run_["ratios"]),
            json.dumps(run_["seconds_p50"]),
            run_["memory_before_kib"],
            run_["memory_after_kib"],
            flush=True,
        )
    stamp = started.isoformat(timespec="seconds").replace(":", "")
    path = ROOT / "bench" / "results" / f"exports-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
