"""The targets of issue 11 in one go: viewport GeoJSON, nearby, totalCount and the load test, each a ratio
measured within its own run of interleaved variants (see each module), before (``--baseline``) and after.

    python -m bench.issue11 --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_perf_200000

Writes bench/results/issue11-<UTC time>.json with every figure, and prints the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import baseline, listing, load, nearby, viewport

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--baseline", default=baseline.DEFAULT_COMMIT)
    parser.add_argument("--only", nargs="*", choices=["viewport", "nearby", "listing", "load"])
    args = parser.parse_args()
    wanted = args.only or ["viewport", "nearby", "listing", "load"]
    started = datetime.now(UTC)
    results: dict[str, Any] = {"at": started.isoformat(timespec="seconds"), "cpus": os.cpu_count()}
    if "viewport" in wanted:
        results["viewport"] = viewport.run(args.url, 60, 10, args.baseline)
    if "nearby" in wanted:
        results["nearby"] = nearby.run(args.url, 300, 30, args.baseline)
    if "listing" in wanted:
        results["listing"] = listing.run(args.url, 100, 10, args.baseline)
    if "load" in wanted:
        results["load"] = load.run(args.url, 10.0, 2, args.baseline)
    stamp = started.isoformat(timespec="seconds").replace(":", "")
    out = ROOT / "bench" / "results" / f"issue11-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name in wanted:
        print(name, json.dumps(results[name]["ratios"], ensure_ascii=False))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
