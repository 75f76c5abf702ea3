"""Where nearbyOfferings spends its time in process, apart from the database (issue 11, target 2).

    python -m bench.nearby_profile --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_perf_200000

The whole ASGI app (production settings, every middleware and extension) is called in this process, without
HTTP, with the bench's nearby query (bench/run.py) and ``{ __typename }``, alternately:

- ``with_sql``: wall time of each, and the time spent in ``Context.read`` (worker thread, session, SQL);
- ``no_sql``: the CPU time of the event loop's thread for each, the database's answers served from memory
  (each point's page fetched once), which leaves only what the app itself does per request;
- ``--profile FILE``: cProfile of the nearby requests of ``no_sql``, written to FILE (``pstats``).

Prints and writes (``--out``) a JSON document of medians in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from app import context as context_module
from app.asgi import create_app
from app.settings import load_settings
from bench.run import KIND, NEARBY, origins, write_results

TRIVIAL = json.dumps({"query": "{ __typename }"}).encode()


def _ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


async def _call(app: Any, body: bytes) -> bytes:
    """One POST /graphql through the ASGI app; the answer's body (a 200 is required)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"status {message['status']}")
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    answer = b"".join(chunks)
    if b'"errors"' in answer:
        raise RuntimeError(answer.decode()[:500])
    return answer


async def _measure(url: str, rounds: int, warmup: int, profile: Path | None) -> dict[str, Any]:
    app = create_app(load_settings(database_url=url, environment="production", log_level="WARNING"))
    gc.freeze()
    points = origins(rounds + warmup)
    bodies = [
        json.dumps({"query": NEARBY, "variables": {"lat": lat, "lon": lon, "kinds": [KIND.name]}}).encode()
        for lat, lon in points
    ]
    real_read = context_module.Context.read
    reads: list[float] = []
    memory: dict[str, Any] = {}
    from_memory = False

    async def read(self: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        key = repr((fn, args, kwargs))
        if from_memory and key in memory:
            return memory[key]
        started = time.perf_counter()
        value = await real_read(self, fn, *args, **kwargs)
        reads.append(time.perf_counter() - started)
        memory[key] = value
        return value

    context_module.Context.read = read  # type: ignore[method-assign]
    results: dict[str, Any] = {"url": url, "rounds": rounds}
    try:
        wall: dict[str, list[float]] = {"nearby": [], "trivial": []}
        for i in range(warmup + rounds):
            for name, body in (("nearby", bodies[i]), ("trivial", TRIVIAL)):
                started = time.perf_counter()
                await _call(app, body)
                if i >= warmup:
                    wall[name].append(time.perf_counter() - started)
        results["with_sql"] = {
            "nearby_ms": _ms(wall["nearby"]),
            "trivial_ms": _ms(wall["trivial"]),
            "read_ms": _ms(reads[warmup:]),
        }
        from_memory = True
        cpu: dict[str, list[float]] = {"nearby": [], "trivial": []}
        for i in range(warmup + rounds):
            for name, body in (("nearby", bodies[i]), ("trivial", TRIVIAL)):
                started = time.thread_time()
                await _call(app, body)
                if i >= warmup:
                    cpu[name].append(time.thread_time() - started)
        results["no_sql"] = {"nearby_cpu_ms": _ms(cpu["nearby"]), "trivial_cpu_ms": _ms(cpu["trivial"])}
        if profile is not None:
            profiler = cProfile.Profile()
            for body in bodies:
                run: Awaitable[bytes] = _call(app, body)
                profiler.enable()
                await run
                profiler.disable()
            profiler.dump_stats(profile)
    finally:
        context_module.Context.read = real_read  # type: ignore[method-assign]
        app.state.services.db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the nearby requests (no SQL) here")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = asyncio.run(_measure(args.url, args.rounds, args.warmup, args.profile))
    write_results(results, args.out)


if __name__ == "__main__":
    main()
