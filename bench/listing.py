"""What ``totalCount`` adds to a page of ``structures``, before and after issue 11, interleaved in one run (target 5).

    python -m bench.listing --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_perf_200000

The current code and ``--baseline`` (bench/baseline.py) on the same database, one worker each; each round sends
every request once, in a rotated order. A page is ``structures(first: 50)`` with the fields of bench/run.py,
with and without ``totalCount``: unfiltered, by département (Paris, "75") and by kind (a kind most places
offer, the worst case for a count).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from bench import baseline
from bench.run import Server, before_after_main, interleaved

PAGE = """
query($filter: StructureFilter) {
  structures(first: 50, filter: $filter) {
    %s
    edges { cursor node { id name isOperator updatedAt address { city postalCode } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
FILTERS: dict[str, dict[str, Any] | None] = {
    "all": None,
    "department": {"departmentCode": "75"},
    "kind": {"kinds": ["EVERYDAY_DIGITAL_TOOLS"]},
}


def run(url: str, rounds: int, warmup: int, commit: str) -> dict[str, Any]:
    new = Server(url, 8773)
    old = Server(url, 8774, baseline.FACTORY, root=baseline.checkout(commit))
    results: dict[str, Any] = {"url": url, "baseline": commit, "rounds": rounds}
    try:
        with httpx.Client(timeout=120.0) as client:
            new.wait(client)
            old.wait(client)

            def page(server: Server, total: bool, filter: dict[str, Any] | None) -> dict[str, Any]:
                query = PAGE % ("totalCount" if total else "")
                response = client.post(
                    server.base + "/graphql", json={"query": query, "variables": {"filter": filter}}
                )
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"{response.status_code}: {body}")
                return dict(body["data"]["structures"])

            for name, filter in FILTERS.items():
                a, b = page(new, True, filter), page(old, True, filter)
                if a != b:
                    raise RuntimeError(f"{name}: the page differs between the two versions")
                results[f"{name}_total"] = a["totalCount"]

            calls: dict[str, Callable[[int], object]] = {}
            for name, filter in FILTERS.items():
                for variant, server in (("before", old), ("after", new)):
                    for total in (True, False):
                        key = f"{name}_{'count' if total else 'page'}_{variant}"
                        calls[key] = lambda _, s=server, t=total, f=filter: page(s, t, f)
            results.update(interleaved(calls, rounds, warmup))
    finally:
        new.stop()
        old.stop()
    results["ratios"] = {
        f"{name} {variant}: page with totalCount / without (target ≤ 1.3)": round(
            results[f"{name}_count_{variant}"]["p50_ms"] / results[f"{name}_page_{variant}"]["p50_ms"], 2
        )
        for name in FILTERS
        for variant in ("before", "after")
    }
    return results


def main() -> None:
    before_after_main(__doc__, run, rounds=100, warmup=10)


if __name__ == "__main__":
    main()
