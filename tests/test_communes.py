"""The map's search box: communes by name or postal-code prefix, on the real communes files, both backends."""

from __future__ import annotations

from app.database import Database
from batch.imports import import_communes
from models.errors import InvalidInput
from models.mapping import commune_key, commune_search_keys
from resolvers.communes import search_communes
from tests.conftest import GQL, SHARED_DATA

LAPOSTE = SHARED_DATA / "communes" / "laposte_hexasmal_2023.csv"
DECOUPAGE = SHARED_DATA / "communes" / "decoupage-administratif-6.0.0-communes.json"

QUERY = """query($s: String!, $n: Int) {
  communes(search: $s, first: $n) { code name postalCodes departmentCode centre { latitude longitude } }
}"""


def test_keys_ignore_case_accents_hyphens_and_saint() -> None:
    assert commune_key("Saint-Étienne") == commune_key("ST ETIENNE") == commune_key("saint etienne")
    assert commune_key("L'Haÿ-les-Roses") == "lhaylesroses"
    assert commune_key("Œuilly") == "oeuilly"
    # While typing, a last "st" may still become "Strasbourg".
    assert commune_key("st", partial=True) == "st"
    assert commune_key("st eti", partial=True) == "sainteti"
    assert commune_search_keys("Saint-Étienne-du-Rouvray") == [
        ("saintetiennedurouvray", 0),
        ("etiennedurouvray", 1),
        ("durouvray", 1),
        ("rouvray", 1),
    ]


def _names(gql: GQL, search: str, first: int = 10) -> list[str]:
    return [c["name"] for c in gql.data(QUERY, {"s": search, "n": first})["communes"]]


def test_search_on_the_real_communes(db: Database, gql: GQL) -> None:
    assert import_communes(db, LAPOSTE, DECOUPAGE).ok

    # Prefix first, shortest first: the exact name leads; case and accents do not matter.
    angouleme = gql.data(QUERY, {"s": "angouleme", "n": 3})["communes"]
    assert angouleme[0] == {
        "code": "16015",
        "name": "Angoulême",
        "postalCodes": ["16000"],
        "departmentCode": "16",
        "centre": {
            "latitude": angouleme[0]["centre"]["latitude"],
            "longitude": angouleme[0]["centre"]["longitude"],
        },
    }
    assert 45.6 < angouleme[0]["centre"]["latitude"] < 45.7
    assert _names(gql, "ANGOULÊ")[0] == "Angoulême"

    # Hyphens and « St » / « Saint » are ignored.
    for search in ("saint etienne", "St-Étienne", "st etienne", "SAINT-ETIENNE"):
        assert _names(gql, search, 1) == ["Saint-Étienne"], search
    # Every result of a prefix search starts with it; inner matches come after all prefix ones.
    names = _names(gql, "rouvray", 50)
    keys = [commune_key(n) for n in names]
    prefix = [k.startswith("rouvray") for k in keys]
    assert prefix[0] and not prefix[-1]
    assert prefix == sorted(prefix, reverse=True), names
    assert "Saint-Étienne-du-Rouvray" in names

    # Each commune once, with all its postal codes: Paris has its twenty arrondissements' and more.
    paris = gql.data(QUERY, {"s": "paris", "n": 5})["communes"]
    assert paris[0]["name"] == "Paris" and paris[0]["code"] == "75056"
    assert {"75001", "75020", "75116"} <= set(paris[0]["postalCodes"])
    assert len({c["code"] for c in paris}) == len(paris)

    # Postal-code prefixes: every commune of 16000 and 16100..., each once, ordered by postal code.
    by_postal = gql.data(QUERY, {"s": "161", "n": 50})["communes"]
    assert by_postal and all(any(p.startswith("161") for p in c["postalCodes"]) for c in by_postal)
    assert len({c["code"] for c in by_postal}) == len(by_postal)
    firsts = [min(p for p in c["postalCodes"] if p.startswith("161")) for c in by_postal]
    assert firsts == sorted(firsts)
    assert [c["code"] for c in gql.data(QUERY, {"s": "16000"})["communes"]] == ["16015"]

    # Overseas: La Réunion's département code has three digits.
    reunion = gql.data(QUERY, {"s": "saint-denis", "n": 10})["communes"]
    assert any(c["code"] == "97411" and c["departmentCode"] == "974" for c in reunion)

    assert gql.data(QUERY, {"s": "zzzzqx"})["communes"] == []
    with db.read() as session:
        assert len(search_communes(session, "s", 50)) == 50


def test_bad_searches_name_the_field(db: Database) -> None:
    with db.read() as session:
        for search, words in (("-- '", "début d'un nom"), ("a" * 101, "au plus 100")):
            try:
                search_communes(session, search, 10)
            except InvalidInput as error:
                assert error.field == "search" and words in error.message
            else:
                raise AssertionError(search)
        try:
            search_communes(session, "paris", 51)
        except InvalidInput as error:
            assert error.field == "first"
        else:
            raise AssertionError("first")
