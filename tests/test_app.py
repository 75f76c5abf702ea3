from typing import Any

from tests import factories
from tests.conftest import GQL


def test_healthz_names_backend(client: Any, backend: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "up",
        "backend": backend,
        "redis": "not configured",
    }


def test_structures_page_and_me(gql: GQL, db: Any) -> None:
    with db.write() as session:
        home = factories.structure(session, "Maison numérique", operator=True)
        token = factories.operator(session, home)
    data = gql.data(
        "{ structures(first: 10) { totalCount edges { node { name isOperator offerings { kind label } } } } }"
    )
    assert data["structures"]["totalCount"] == 1
    node = data["structures"]["edges"][0]["node"]
    assert node["offerings"] == [
        {"kind": "ADMINISTRATIVE_PROCEDURES", "label": "Aide aux démarches administratives"}
    ]
    me = gql.data("{ me { name role structure { name } } }", token=token)["me"]
    assert me == {"name": "Camille Test", "role": "OPERATOR", "structure": {"name": "Maison numérique"}}
    assert gql.data("{ me { name } }")["me"] is None
    assert gql.data("{ me { name } }", token="aig_wrong")["me"] is None
