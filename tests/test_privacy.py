"""A beneficiary's name and carnet never reach a log line, whatever the log level."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app.database import Database
from resolvers.ids import to_global_id
from tests import factories
from tests import operations as op
from tests.conftest import GQL

NAME, FIRST, CARNET = "Quelqu'Unique", "Zéphyrine", "468qwe"


def test_full_workflow_logs_nothing_personal(
    gql: GQL, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with db.write() as session:
        a = factories.structure(session, "A", operator=True)
        b = factories.structure(session, "B", operator=True, lat=45.7)
        coord = factories.operator(session, None, "Coord")
        op_a = factories.operator(session, a, "OpA")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        created = gql.data(
            op.ORIENT,
            {
                "input": {
                    "carnetNumber": CARNET.upper(),
                    "lastName": NAME,
                    "firstName": FIRST,
                    "toStructureId": to_global_id("Structure", a.id),
                }
            },
            token=coord,
        )
        dossier_id = created["orientBeneficiary"]["dossier"]["id"]
        gql.data(
            op.ORIENT,
            {
                "input": {
                    "carnetNumber": CARNET,
                    "lastName": NAME,
                    "toStructureId": to_global_id("Structure", a.id),
                }
            },
            token=coord,
        )
        gql.data(op.TAKE, {"id": dossier_id}, token=op_a)
        gql.data(op.LIST, {"status": "TAKEN_IN_CHARGE", "search": NAME}, token=op_a)
        gql.data(op.REORIENT, {"id": dossier_id, "to": to_global_id("Structure", b.id)}, token=op_a)
        gql.data(op.CLAIM, {"name": "Wrong" + NAME, "carnet": CARNET}, token=op_a)
        gql.data(op.CLAIM, {"name": NAME, "carnet": CARNET}, token=op_a)
        gql.data(op.ARCHIVE, {"id": dossier_id, "reason": "PATH_COMPLETED"}, token=op_a)
        gql(op.ORIENT, {"input": {"carnetNumber": CARNET, "lastName": NAME}}, token=coord)  # invalid document
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert any("dossiers" in r.getMessage() for r in caplog.records), "SQL logging was not captured"
    for record in caplog.records:
        line = record.getMessage() + str(record.args or "")
        for secret in (NAME, FIRST, CARNET, CARNET.upper(), "quelquunique"):
            assert secret not in line, f"{record.name}: {line[:200]}"


def test_urls_carry_no_personal_data(client: Any, db: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aiguillage.access")
    with db.write() as session:
        token = factories.operator(session, factories.structure(session, "A", operator=True), "OpA")
    response = client.get(
        "/graphql",
        params={"query": f'{{ dossiers(status: ORIENTED, search: "{NAME}") {{ totalCount }} }}'},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 405
    access = [r.getMessage() for r in caplog.records if r.name == "aiguillage.access"]
    assert access == ["GET /graphql 405 " + access[0].rsplit(" ", 1)[1]]
    assert "Quelqu" not in access[0]
