"""Import of the national standard's places file (v1.0.2 CSV) against ``COPY`` of the same rows (issue 11, target 3).

    python -m bench.imports --source postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_perf_200000

The file: the bench database's places in the standard's form (``resolvers.export.standard_batch``, the
code path of ``/exports/lieux.csv``), the first N rows for each size; written once under var/bench-imports/.

Measured in one run, variants interleaved (each round runs every variant once, in an order rotated from
round to round; medians of the rounds):

- ``import``: ``aiguillage import lieux FILE`` as a user runs it (its own process, the CLI's start included)
  into a fresh migrated database, PostGIS and SpatiaLite; its peak resident memory (``ru_maxrss`` of that
  process, from ``wait4``);
- ``copy`` (PostGIS): ``COPY … FROM STDIN (FORMAT csv, HEADER)`` of the same file into a fresh table of the
  file's 32 columns (text), in one transaction, through psycopg; the floor;
- ``copy`` (SpatiaLite): SQLite has no ``COPY``: the floor is the same rows read by ``csv`` and inserted by one
  ``executemany`` into a table of the 32 columns, in one transaction (what the sqlite3 shell's ``.import``
  does);
- the CLI's start: ``aiguillage import lieux /nonexistent.csv`` (argument parsing, modules, the error), the
  current code and a baseline commit (``--baseline``, extracted by ``bench/baseline.py``).

Writes bench/results/imports-<UTC time>.json and prints the ratios.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench import baseline
from bench.generate import fresh_database

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench-imports"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
EXPORT_BATCH = 2000


def standard_file(source_url: str, size: int) -> Path:
    """The first ``size`` places of the bench database as the standard's CSV, written once."""
    from app.database import Database
    from app.settings import load_settings
    from resolvers.export import CSV_HEADER, standard_batch

    path = WORK / f"lieux-{size}.csv"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    db = Database.from_settings(load_settings().model_copy(update={"database_url": source_url}))
    written, after = 0, 0
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        handle.write(CSV_HEADER)
        while written < size:
            with db.read() as session:
                batch = standard_batch(session, after, None, min(EXPORT_BATCH, size - written))
            handle.write(batch.text)
            written += batch.rows
            if batch.last_id is None:
                break
            after = batch.last_id
    db.dispose()
    if written < size:
        raise SystemExit(f"the source database gives {written} rows, fewer than {size}")
    partial.rename(path)
    return path


def _cli(code: Path, url: str, *args: str) -> tuple[float, int, str]:
    """Run the CLI of the tree ``code`` on ``url``: wall seconds, peak RSS in kB, stdout+stderr."""
    env = {**os.environ, "AIGUILLAGE_DATABASE_URL": url, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=code,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, output


def _migrated(url: str, code: Path = ROOT) -> None:
    """A fresh database migrated by the code that will import into it (a baseline has its own migrations)."""
    fresh_database(url)
    subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"],
        cwd=code,
        env={**os.environ, "AIGUILLAGE_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )


def import_once(url: str, path: Path, code: Path = ROOT) -> dict[str, Any]:
    _migrated(url, code)
    seconds, rss_kb, output = _cli(code, url, "import", "lieux", str(path))
    summary = next((line for line in output.splitlines() if line.startswith("total:")), None)
    if summary is None:  # a variant that failed must not pass for a fast one
        raise SystemExit(f"the import by {code} failed: {output[-500:]}")
    return {"seconds": seconds, "max_rss_mb": round(rss_kb / 1024, 1), "summary": summary}


def copy_postgis(url: str, path: Path) -> dict[str, Any]:
    fresh_database(url)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with path.open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f'"{name}" text' for name in header)
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        with conn.transaction():
            conn.execute(f"CREATE TABLE lieux ({columns})")
            with (
                conn.cursor().copy("COPY lieux FROM STDIN (FORMAT csv, HEADER)") as copy,
                path.open("rb") as f,
            ):
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
        return {"seconds": time.perf_counter() - started}


def copy_sqlite(file: Path, path: Path) -> dict[str, Any]:
    for suffix in ("", "-wal", "-shm"):
        Path(str(file) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(file, isolation_level=None)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        conn.execute("BEGIN")
        columns = ", ".join(f'"{name}" text' for name in header)
        conn.execute(f"CREATE TABLE lieux ({columns})")
        conn.executemany(f"INSERT INTO lieux VALUES ({', '.join('?' * len(header))})", reader)
        conn.execute("COMMIT")
    conn.close()
    return {"seconds": time.perf_counter() - started}


def cli_start(code: Path, rounds: int) -> float:
    url = "sqlite:///" + str(WORK / "start.db")
    return statistics.median(_cli(code, url, "import", "lieux", "/nonexistent.csv")[0] for _ in range(rounds))


def run(
    source_url: str, sizes: list[int], rounds: int, rounds_large: int, base: str, before_up_to: int
) -> dict[str, Any]:
    files = {size: standard_file(source_url, size) for size in sorted(sizes, reverse=True)}
    old = baseline.checkout(base)
    results: dict[str, Any] = {"sizes": {}}
    for size in sorted(sizes):
        path = files[size]
        pg_url = f"{PG}aiguillage_bench_imports_{size}"
        floor_url = f"{PG}aiguillage_bench_imports_copy_{size}"
        sqlite_file = WORK / f"import-{size}.db"
        floor_file = WORK / f"copy-{size}.db"
        variants: dict[str, Callable[[], dict[str, Any]]] = {
            "postgis_import": functools.partial(import_once, pg_url, path),
            "postgis_copy": functools.partial(copy_postgis, floor_url, path),
            "spatialite_import": functools.partial(import_once, "sqlite:///" + str(sqlite_file), path),
            "spatialite_copy": functools.partial(copy_sqlite, floor_file, path),
        }
        if size <= before_up_to:
            # The code before this work, on the same file and databases (same migrations).
            variants["postgis_import_before"] = functools.partial(import_once, pg_url, path, old)
            variants["spatialite_import_before"] = functools.partial(
                import_once, "sqlite:///" + str(sqlite_file), path, old
            )
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
        names = list(variants)
        for r in range(rounds if size <= before_up_to else rounds_large):
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(variants[name]())
                print(size, name, samples[name][-1], flush=True)
        medians = {name: statistics.median(s["seconds"] for s in got) for name, got in samples.items()}
        if "postgis_import_before" in medians:
            extra = {
                "postgis_before_over_after": round(
                    medians["postgis_import_before"] / medians["postgis_import"], 2
                ),
                "spatialite_before_over_after": round(
                    medians["spatialite_import_before"] / medians["spatialite_import"], 2
                ),
            }
        else:
            extra = {}
        results["sizes"][size] = {
            "bytes": path.stat().st_size,
            "samples": samples,
            "median_seconds": medians,
            "max_rss_mb": {
                name: max(s["max_rss_mb"] for s in got)
                for name, got in samples.items()
                if "max_rss_mb" in got[0]
            },
            "ratios": {
                "postgis_import_over_copy": round(medians["postgis_import"] / medians["postgis_copy"], 2),
                "spatialite_import_over_floor": round(
                    medians["spatialite_import"] / medians["spatialite_copy"], 2
                ),
                **extra,
            },
        }
        for file in (sqlite_file, floor_file):
            for suffix in ("", "-wal", "-shm"):
                Path(str(file) + suffix).unlink(missing_ok=True)
        fresh_database(pg_url)
        fresh_database(floor_url)
    starts: dict[str, list[float]] = {"before": [], "after": []}
    for r in range(5):
        for name, code in (
            (("before", old), ("after", ROOT)) if r % 2 == 0 else (("after", ROOT), ("before", old))
        ):
            starts[name].append(cli_start(code, 1))
    results["cli_start_seconds"] = {name: round(statistics.median(s), 3) for name, s in starts.items()}
    results["cli_start_baseline"] = base
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", required=True, help="the bench database the file is made from")
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rounds-large", type=int, default=2, help="rounds above --before-up-to")
    parser.add_argument("--baseline", default="afa783a", help="the code before this work ('before')")
    parser.add_argument(
        "--before-up-to", type=int, default=20_000, help="sizes at which the code before is imported too"
    )
    args = parser.parse_args()
    started = datetime.now(UTC)
    results: dict[str, Any] = {"at": started.isoformat(timespec="seconds"), "cpus": os.cpu_count()}
    results.update(
        run(args.source, args.sizes, args.rounds, args.rounds_large, args.baseline, args.before_up_to)
    )
    out = (
        ROOT / "bench" / "results" / f"imports-{started.isoformat(timespec='seconds').replace(':', '')}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for size, got in results["sizes"].items():
        print(size, got["ratios"], got["max_rss_mb"])
    print("cli start", results["cli_start_seconds"])
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
