"""Scale the real places to N structures by jittered copies, into a fresh, migrated database.

    python -m bench.generate --url postgresql+psycopg://postgres@127.0.0.1:5432/aiguillage_bench_20000 -n 20000
    python -m bench.generate --url sqlite:///var/bench-20000.db -n 20000

Copy k of a place lies at a random bearing and distance (uniform over a disk of --jitter-km) from it, so
the geography of the real data (dense cities, empty countryside, overseas) is kept and densities grow with
N. One structure in ten is a platform member. ``updated_at`` spreads over a year, as partners see it.
Everything goes through the service's migrations and models, so the indexes are the production ones.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from app import migrate
from app.database import Database
from app.settings import load_settings
from bench.places import Seed, real_places
from geo.points import EARTH_RADIUS_KM, point_element
from models import Fees, ServiceOffering, Structure
from models.mapping import department_of

CHUNK = 5000
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def fresh_database(url: str) -> None:
    """Drops and recreates the database (PostgreSQL) or the file (SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    elif parsed.database:
        from pathlib import Path

        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)


def jitter(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    """A point uniformly spread over the disk of ``km`` around (lat, lon)."""
    distance = km * math.sqrt(rng.random()) / EARTH_RADIUS_KM
    bearing = rng.uniform(0, 2 * math.pi)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(distance) + math.cos(p1) * math.sin(distance) * math.cos(bearing))
    l2 = l1 + math.atan2(
        math.sin(bearing) * math.sin(distance) * math.cos(p1),
        math.cos(distance) - math.sin(p1) * math.sin(p2),
    )
    return round(math.degrees(p2), 6), round((math.degrees(l2) + 540.0) % 360.0 - 180.0, 6)


def rows(seeds: list[Seed], n: int, jitter_km: float, seed: int) -> Any:
    """Yields (structure, offerings) dicts for n structures, ids from 1."""
    rng = random.Random(seed)
    offering_id = 0
    for i in range(n):
        base = seeds[i % len(seeds)]
        copy = i // len(seeds)
        lat, lon = (
            (base.latitude, base.longitude)
            if copy == 0
            else jitter(rng, base.latitude, base.longitude, jitter_km)
        )
        operator = rng.random() < 0.1
        at = T0 + timedelta(seconds=rng.randrange(365 * 24 * 3600))
        structure = {
            "id": i + 1,
            "source": "bench",
            "source_id": str(i + 1),
            "name": base.name if copy == 0 else f"{base.name} ({copy})",
            "street": base.street,
            "postal_code": base.postal_code,
            "city": base.city,
            "commune_code": base.commune_code,
            "department_code": department_of(base.commune_code),
            "latitude": lat,
            "longitude": lon,
            "location": point_element(lat, lon),
            "is_operator": operator,
            "standard": {},
            "created_at": at,
            "updated_at": at,
        }
        offerings = []
        for kind in base.kinds:
            offering_id += 1
            offerings.append(
                {
                    "id": offering_id,
                    "structure_id": i + 1,
                    "kind": kind.value,
                    "fees": Fees.FREE.value,
                    "accepts_carnet": operator,
                    "latitude": lat,
                    "longitude": lon,
                    "location": point_element(lat, lon),
                }
            )
        yield structure, offerings


def generate(url: str, n: int, jitter_km: float = 5.0, seed: int = 20241129) -> dict[str, Any]:
    started = time.perf_counter()
    fresh_database(url)
    db = Database.from_settings(load_settings(database_url=url))
    migrate.upgrade(db.engine)
    seeds = real_places()
    structures: list[dict[str, Any]] = []
    offerings: list[dict[str, Any]] = []
    total_offerings = 0

    def flush() -> None:
        with db.write() as session:
            session.execute(insert(Structure), structures)
            session.execute(insert(ServiceOffering), offerings)
        structures.clear()
        offerings.clear()

    for structure, own in rows(seeds, n, jitter_km, seed):
        structures.append(structure)
        offerings.extend(own)
        total_offerings += len(own)
        if len(structures) >= CHUNK:
            flush()
    if structures:
        flush()
    with db.engine.connect() as conn:
        if db.backend == "postgis":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('structures', 'id'), :n)"), {"n": n})
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('service_offerings', 'id'), :n)"),
                {"n": total_offerings},
            )
            conn.commit()
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
    db.dispose()
    return {
        "url": url,
        "structures": n,
        "offerings": total_offerings,
        "seeds": len(seeds),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="database URL (recreated from scratch)")
    parser.add_argument("-n", type=int, default=20_000, help="number of structures (default 20000)")
    parser.add_argument("--jitter-km", type=float, default=5.0)
    args = parser.parse_args()
    print(generate(args.url, args.n, args.jitter_km))


if __name__ == "__main__":
    main()
