from sqlalchemy import select

from app import migrate
from app.database import Database
from geo.points import set_point
from models import Structure


def test_migrated_database_is_at_head(db: Database) -> None:
    migrate.check_migrated(db.engine)


def test_structure_round_trip_keeps_point_and_utc(db: Database) -> None:
    with db.write() as session:
        s = Structure(
            source="test",
            source_id="1",
            name="Médiathèque",
            street="1 rue",
            postal_code="16000",
            city="Angoulême",
            is_operator=False,
            standard={},
        )
        set_point(s, 45.65, 0.16)
        session.add(s)
    with db.read() as session:
        got = session.scalars(select(Structure)).one()
        assert (got.latitude, got.longitude) == (45.65, 0.16)
        assert got.updated_at.tzinfo is not None
