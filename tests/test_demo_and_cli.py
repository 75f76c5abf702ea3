"""The demo territory and the command line, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from app import demo
from app.database import Database
from app.settings import Settings
from tests import factories
from tests import operations as op
from tests.conftest import GQL


def test_demo_has_the_seed_tabs_and_reloads_cleanly(db: Database, gql: GQL) -> None:
    demo.load(db)
    demo.load(db)
    counts = gql.data(op.COUNTS, token="demo-soleil")["dossierCounts"]
    assert counts == {"oriented": 1, "takenInCharge": 6, "archived": 1}
    assert gql.data(op.COUNTS, token="demo-remparts")["dossierCounts"] == {
        "oriented": 2,
        "takenInCharge": 1,
        "archived": 0,
    }
    members = gql.data("{ structures(filter: {operatorsOnly: true}) { totalCount } }")["structures"][
        "totalCount"
    ]
    assert members == 3
    assert gql.data("{ structures { totalCount } }")["structures"]["totalCount"] == len(demo.PLACES)
    # following dossiers: one declined by the Remparts in the coordinators' queue, two overdue at the Fabrique,
    # one of them already reminded
    queue = gql.data(
        "{ dossierCounts { returned } dossiers(status: RETURNED) { edges { node { declineReason } } } }",
        token="demo-coordination",
    )
    assert queue["dossierCounts"]["returned"] == 1
    assert queue["dossiers"]["edges"][0]["node"]["declineReason"] == "NO_CAPACITY"
    fabrique = gql.data(
        "{ dossierCounts { overdue } dossiers(status: ORIENTED, minDaysInStatus: 13) "
        "{ edges { node { daysInStatus history { kind actor } } } } }",
        token="demo-fabrique",
    )
    assert fabrique["dossierCounts"]["overdue"] == 2
    [perrin] = fabrique["dossiers"]["edges"]
    assert perrin["node"]["daysInStatus"] == 16
    assert perrin["node"]["history"][-1] == {"kind": "REMINDED", "actor": "système"}
    # the README's retrieve scenario: Lemoine waits at the Remparts, the Soleil retrieves them
    claimed = gql.data(op.CLAIM, {"name": "LEMOINE", "carnet": "314PQR"}, token="demo-soleil")["claimDossier"]
    assert claimed["dossier"]["structure"]["name"] == "Espace numérique du Soleil"


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIGUILLAGE_")}
    env["AIGUILLAGE_DATABASE_URL"] = settings.database_url
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=env, check=False
    )


def test_operator_create_prints_a_working_token_last(settings: Settings, db: Database, gql: GQL) -> None:
    with db.write() as session:
        place = factories.structure(session, "Lieu à enrôler")
    refused = cli(
        settings, "operator", "create", "--name", "Sam", "--role", "operator", "--structure", str(place.id)
    )
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "structure enroll" in refused.stderr
    enrolled = cli(settings, "structure", "enroll", str(place.id))
    assert enrolled.returncode == 0, enrolled.stderr
    created = cli(
        settings, "operator", "create", "--name", "Sam", "--role", "operator", "--structure", str(place.id)
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    me = gql.data("{ me { name role structure { name isOperator } } }", token=token)["me"]
    assert me == {
        "name": "Sam",
        "role": "OPERATOR",
        "structure": {"name": "Lieu à enrôler", "isOperator": True},
    }
    revoked = cli(settings, "operator", "revoke", created.stdout.split()[1])
    assert revoked.returncode == 0, revoked.stderr
    assert gql.data("{ me { name } }", token=token)["me"] is None


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["demo"],
        ["db", "upgrade"],
        ["import", "lieux"],
        ["import", "communes"],
        ["operator", "create"],
        ["operator", "revoke"],
        ["structure", "enroll"],
        ["schema", "export"],
        ["worker"],
        ["operator", "notifications"],
        ["webhook", "add"],
        ["webhook", "list"],
        ["webhook", "remove"],
        ["webhook", "deliveries"],
        ["export", "validate"],
    ],
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import parser

    with pytest.raises(SystemExit) as exited:
        parser().parse_args([*command, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: aiguillage " + " ".join(command))


def test_errors_are_one_line(settings: Settings, db: Database) -> None:
    missing = cli(settings, "structure", "enroll", "999999")
    assert (
        missing.returncode == 1
        and missing.stderr.strip() == "aiguillage: error: structure 999999 introuvable"
    )
    no_file = cli(settings, "import", "lieux", "/nonexistent.csv")
    assert no_file.returncode == 1 and "no such file" in no_file.stderr


def test_db_upgrade_and_current(settings: Settings, db: Database, tmp_path: Any) -> None:
    fresh = Settings(database_url=f"sqlite:///{tmp_path / 'fresh.db'}")
    refused = cli(fresh, "serve")
    assert refused.returncode == 1 and "aiguillage db upgrade" in refused.stderr
    upgraded = cli(fresh, "db", "upgrade")
    assert upgraded.returncode == 0 and "spatialite" in upgraded.stdout
    assert "current: 0" in cli(settings, "db", "current").stdout


def test_demo_reloads_after_being_used(settings: Settings, db: Database, gql: GQL) -> None:
    """The demo used as the README shows (orient, reorient, retrieve, an operator added by the CLI), then
    `aiguillage demo --no-serve` again: the demo's tabs are back as they were, nothing else is lost."""
    first = cli(settings, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    members = gql.data("{ structures(filter: {operatorsOnly: true}) { edges { node { id name } } } }")
    by_name = {e["node"]["name"]: e["node"]["id"] for e in members["structures"]["edges"]}
    soleil, remparts = by_name["Espace numérique du Soleil"], by_name["Médiathèque des Remparts"]
    oriented = gql.data(
        op.ORIENT,
        {
            "input": {
                "carnetNumber": "123abc",
                "lastName": "Durand",
                "communeCode": "16015",
                "needs": [],
                "toStructureId": soleil,
            }
        },
        token="demo-coordination",
    )["orientBeneficiary"]
    assert oriented["__typename"] == "DossierPayload", oriented
    moved = gql.data(op.REORIENT, {"id": oriented["dossier"]["id"], "to": remparts}, token="demo-soleil")
    assert moved["reorientDossier"]["__typename"] == "DossierPayload", moved
    claimed = gql.data(op.CLAIM, {"name": "LEMOINE", "carnet": "314PQR"}, token="demo-soleil")["claimDossier"]
    assert claimed["__typename"] == "DossierPayload", claimed
    added = cli(
        settings, "operator", "create", "--name", "Sam", "--role", "operator", "--structure", remparts
    )
    assert added.returncode == 0, added.stderr
    sam = added.stdout.strip().splitlines()[-1]

    again = cli(settings, "demo", "--no-serve")
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    counts = gql.data(op.COUNTS, token="demo-soleil")["dossierCounts"]
    assert (counts["oriented"], counts["takenInCharge"], counts["archived"]) == (1, 6, 1)
    assert gql.data("{ me { name structure { name } } }", token=sam)["me"] == {
        "name": "Sam",
        "structure": {"name": "Médiathèque des Remparts"},
    }
    ids = gql.data("{ structures(filter: {operatorsOnly: true}) { edges { node { id name } } } }")
    assert {e["node"]["name"]: e["node"]["id"] for e in ids["structures"]["edges"]} == by_name


@pytest.mark.parametrize(
    "value",
    ["99999999999999999999999", "2147483648", "-1", "abc", "U3RydWN0dXJlOjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"],
)
def test_ids_out_of_range_or_malformed_are_one_line(settings: Settings, db: Database, value: str) -> None:
    for args in (
        ["operator", "create", "--name", "Sam", "--role", "operator", "--structure", value],
        ["structure", "enroll", value],
        ["operator", "revoke", value],
    ):
        run = cli(settings, *args)
        assert run.returncode == 1, (args, run.stdout)
        assert "Traceback" not in run.stderr
        line = run.stderr.strip()
        assert line.count("\n") == 0 and line.startswith("aiguillage: error: "), line
        assert "identifiant" in line and "au plus 2147483647" in line, line


def test_the_cli_takes_the_apis_opaque_ids(settings: Settings, db: Database, gql: GQL) -> None:
    from resolvers.ids import to_global_id

    with db.write() as session:
        place = factories.structure(session, "Lieu à enrôler")
        opaque = to_global_id("Structure", place.id)
    enrolled = cli(settings, "structure", "enroll", opaque)
    assert enrolled.returncode == 0, enrolled.stderr
    assert opaque in enrolled.stdout
    created = cli(
        settings, "operator", "create", "--name", "Sam", "--role", "operator", "--structure", opaque
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    me = gql.data("{ me { id structure { id } } }", token=token)["me"]
    assert me["structure"]["id"] == opaque
    # The operator's id as the API shows it (`me { id }`) revokes it, as its number does.
    revoked = cli(settings, "operator", "revoke", me["id"])
    assert revoked.returncode == 0, revoked.stderr
    assert gql.data("{ me { name } }", token=token)["me"] is None
    # An id of another type is refused by name.
    wrong = cli(settings, "structure", "enroll", me["id"])
    assert wrong.returncode == 1 and "identifiant de Structure invalide" in wrong.stderr


def test_import_of_a_deeply_nested_json_is_one_line(settings: Settings, db: Database, tmp_path: Any) -> None:
    path = tmp_path / "lieux.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    run = cli(settings, "import", "lieux", str(path))
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "trop imbriqué" in run.stdout


def test_bad_names_and_an_unreachable_database_are_one_line(settings: Settings, db: Database) -> None:
    too_long = cli(settings, "operator", "create", "--name", "x" * 201, "--role", "coordinator")
    assert too_long.returncode == 1 and "Traceback" not in too_long.stderr
    assert too_long.stderr.strip().endswith("200 caractères imprimables au plus")
    control = cli(settings, "operator", "create", "--name", "Sam\x1b[31m", "--role", "coordinator")
    assert control.returncode == 1 and "imprimables" in control.stderr
    down = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    unreachable = cli(down, "operator", "create", "--name", "Sam", "--role", "coordinator")
    assert unreachable.returncode == 1 and "Traceback" not in unreachable.stderr, unreachable.stderr
    assert unreachable.stderr.startswith("aiguillage: error: base de données : OperationalError")
