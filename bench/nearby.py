"""nearbyOfferings over HTTP against its floor, before and after issue 11, interleaved in one run (target 2).

    python -m bench.nearby --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_perf_200000

The current code and ``--baseline`` (bench/baseline.py) on the same database, one worker each. Each round, in
an order rotated from round to round, at the same seeded real place:

- ``nearby_before`` / ``nearby_after``: the query of bench/run.py (one kind, first 20, default radius);
- ``trivial_before`` / ``trivial_after``: ``{ __typename }``;
- ``sql_orm``: ``geo.nearby.nearest_offerings`` in a read session, through SQLAlchemy, in this process;
- ``sql_driver``: the very statements and parameters that call sent (captured once per point), replayed
  through the bare driver connection, one transaction per search as the resolver has.

The target: nearby_after p50 ≤ 1.5 × (trivial_after p50 + sql_driver p50).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from app.database import Database
from app.settings import load_settings
from bench import baseline
from bench.run import KIND, NEARBY, Server, before_after_main, interleaved, origins
from geo.nearby import nearest_offerings


def run(url: str, rounds: int, warmup: int, commit: str, root: Path | None = None) -> dict[str, Any]:
    points = origins(rounds + warmup)
    db = Database.from_settings(load_settings(database_url=url))
    captured: list[list[tuple[str, Any]]] = []

    def search(i: int) -> Any:
        lat, lon = points[i % len(points)]
        with db.read() as session:
            return nearest_offerings(session, lat, lon, 20.0, limit=21, kinds=[KIND.value])

    for i in range(len(points)):
        statements: list[tuple[str, Any]] = []

        def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            statements.append((statement, parameters))  # noqa: B023 (each search its own list)

        event.listen(db.engine, "before_cursor_execute", keep)
        search(i)
        event.remove(db.engine, "before_cursor_execute", keep)
        # The session's own BEGIN on SQLite is part of the floor too; the driver opens its transaction itself.
        captured.append([(s, p) for s, p in statements if s.strip().upper() != "BEGIN"])

    raw = db.engine.raw_connection()
    driver = raw.driver_connection
    assert driver is not None

    def sql_driver(i: int) -> None:
        if db.backend == "spatialite":
            driver.execute("BEGIN")
        cursor = driver.cursor()
        for statement, parameters in captured[i % len(captured)]:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        cursor.close()
        driver.rollback() if db.backend == "postgis" else driver.execute("COMMIT")

    new = Server(url, 8775, root=root)
    old = Server(url, 8776, baseline.FACTORY, root=baseline.checkout(commit))
    results: dict[str, Any] = {"url": url, "baseline": commit, "rounds": rounds, "backend": db.backend}
    try:
        with httpx.Client(timeout=60.0) as client:
            new.wait(client)
            old.wait(client)

            def post(server: Server, query: str, variables: dict[str, Any]) -> dict[str, Any]:
                response = client.post(
                    server.base + "/graphql", json={"query": query, "variables": variables}
                )
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"{response.status_code}: {body}")
                return dict(body["data"])

            def nearby(server: Server, i: int) -> dict[str, Any]:
                lat, lon = points[i % len(points)]
                return post(server, NEARBY, {"lat": lat, "lon": lon, "kinds": [KIND.name]})

            for i in range(0, len(points), 7):
                if nearby(new, i) != nearby(old, i):
                    raise RuntimeError(f"point {i}: the answers differ between the two versions")

            calls: dict[str, Callable[[int], object]] = {
                "nearby_before": lambda i: nearby(old, i),
                "nearby_after": lambda i: nearby(new, i),
                "trivial_before": lambda _: post(old, "{ __typename }", {}),
                "trivial_after": lambda _: post(new, "{ __typename }", {}),
                "sql_orm": search,
                "sql_driver": sql_driver,
            }
            results.update(interleaved(calls, rounds, warmup))
    finally:
        new.stop()
        old.stop()
        raw.close()
        db.dispose()
    floor = results["trivial_after"]["p50_ms"] + results["sql_driver"]["p50_ms"]
    results["ratios"] = {
        "nearby_after / (trivial_after + sql_driver), target ≤ 1.5": round(
            results["nearby_after"]["p50_ms"] / floor, 2
        ),
        "nearby_before / (trivial_before + sql_driver)": round(
            results["nearby_before"]["p50_ms"]
            / (results["trivial_before"]["p50_ms"] + results["sql_driver"]["p50_ms"]),
            2,
        ),
        "sql_orm / sql_driver": round(results["sql_orm"]["p50_ms"] / results["sql_driver"]["p50_ms"], 2),
    }
    return results


def main() -> None:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--root", type=Path, help="code to serve as the current version (default: this one)"
        )

    before_after_main(__doc__, run, rounds=300, warmup=30, options=options)


if __name__ == "__main__":
    main()
