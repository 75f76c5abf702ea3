"""Walks the state table over every (status, action, who) and checks each outcome, and the history it leaves."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.database import Database
from app.limits import MemoryLimiter
from models import ArchiveReason, DeclineReason, Dossier, DossierEvent, DossierStatus, Role, errors, utcnow
from models.workflow import PEOPLE, SYSTEM_ACTIONS, SYSTEM_NAME, TABLE, Action, Who, markdown_table
from resolvers import dossiers as uc
from resolvers.auth import Actor
from tests import factories

PATTERN, EXAMPLE = r"[0-9]{3}[a-z]{3}", "000ysz"
O, T, A = DossierStatus.ORIENTED, DossierStatus.TAKEN_IN_CHARGE, DossierStatus.ARCHIVED
R = DossierStatus.RETURNED
H, X, C, S = Who.HOLDER, Who.OTHER_OPERATOR, Who.COORDINATOR, Who.SYSTEM

# Written out from DOMAIN.md, independently of models/workflow.py: a status, or the error expected.
# People act through the API; the worker alone runs the timed transitions (expiry).
EXPECTED: dict[tuple[DossierStatus | None, Action, Who], DossierStatus | type[errors.DomainError]] = {}
for who in (H, X, C):
    EXPECTED[(None, Action.ORIENT, who)] = O
for status, who in itertools.product(DossierStatus, (H, X, C)):
    EXPECTED[(status, Action.ORIENT, who)] = errors.Conflict  # the carnet is known: retrieve it instead
    # Acting by id on another structure's dossier: it is as good as missing; so is a RETURNED dossier for
    # every operator (the coordinators' queue).
    for action in (Action.TAKE_IN_CHARGE, Action.REORIENT, Action.ARCHIVE, Action.DECLINE):
        hidden = who is X or (status is R and who is not C)
        EXPECTED[(status, action, who)] = errors.NotFound if hidden else errors.InvalidTransition
    EXPECTED[(status, Action.CLAIM, who)] = errors.NotAllowed if who is C else O
for status in DossierStatus:
    EXPECTED[(status, Action.EXPIRE, S)] = R if status is O else errors.InvalidTransition
EXPECTED.update(
    {
        (O, Action.TAKE_IN_CHARGE, H): T,
        (O, Action.TAKE_IN_CHARGE, C): errors.NotAllowed,
        (O, Action.REORIENT, H): O,
        (O, Action.REORIENT, C): O,
        (T, Action.REORIENT, H): O,
        (T, Action.REORIENT, C): O,
        (O, Action.ARCHIVE, H): A,
        (O, Action.ARCHIVE, C): A,
        (T, Action.ARCHIVE, H): A,
        (T, Action.ARCHIVE, C): A,
        (O, Action.CLAIM, H): errors.InvalidTransition,  # already in the holder's list
        (T, Action.CLAIM, H): errors.InvalidTransition,
        (O, Action.DECLINE, H): R,
        (O, Action.DECLINE, C): errors.NotAllowed,  # only the structure it was sent to declines
        (R, Action.REORIENT, C): O,
        (R, Action.ARCHIVE, C): A,
    }
)
EVENT = {
    Action.ORIENT: "ORIENTED",
    Action.TAKE_IN_CHARGE: "TAKEN_IN_CHARGE",
    Action.REORIENT: "REORIENTED",
    Action.ARCHIVE: "ARCHIVED",
    Action.CLAIM: "CLAIMED",
    Action.DECLINE: "DECLINED",
    Action.EXPIRE: "EXPIRED",
}
CASES = sorted(EXPECTED, key=lambda k: (str(k[0]), k[1].value, k[2].value))


def test_expectations_cover_every_combination() -> None:
    human = [a for a in Action if a not in SYSTEM_ACTIONS]
    people = len(PEOPLE)
    statuses = len(DossierStatus)
    assert len(EXPECTED) == people * (1 + statuses * len(human)) + statuses * len(SYSTEM_ACTIONS)
    for (status, action), rule in TABLE.items():
        for who in rule.who:
            assert EXPECTED[(status, action, who)] == rule.to


def test_readme_prints_the_table() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme


def _actors(session: Session) -> tuple[dict[Who, Actor | None], int, int]:
    home = factories.structure(session, "Maison", operator=True)
    other = factories.structure(session, "Ailleurs", operator=True, lat=45.7, lon=0.2)
    third = factories.structure(session, "Tiers", operator=True, lat=45.6, lon=0.1)
    actors: dict[Who, Actor | None] = {
        H: Actor(1, "Holder", Role.OPERATOR, home.id),
        X: Actor(2, "Other", Role.OPERATOR, other.id),
        C: Actor(3, "Coord", Role.COORDINATOR, None),
        S: None,
    }
    for actor in actors.values():
        if actor is not None:
            factories.operator_with_id(session, actor)
    return actors, home.id, third.id


def _act(
    session: Session, action: Action, actor: Actor | None, dossier_id: int | None, home: int, target: int
) -> Dossier:
    limiter = MemoryLimiter(100, 60)
    match action:
        case Action.ORIENT:
            data = uc.OrientInput(carnet_number="123abc", last_name="Lefèvre", to_structure_id=home)
            return uc.orient(session, actor, data, PATTERN, EXAMPLE, limiter)
        case Action.TAKE_IN_CHARGE:
            return uc.take_in_charge(session, actor, dossier_id or 0, None)
        case Action.REORIENT:
            return uc.reorient(session, actor, dossier_id or 0, target, None, None)
        case Action.ARCHIVE:
            return uc.archive(session, actor, dossier_id or 0, ArchiveReason.PATH_COMPLETED, None, None)
        case Action.CLAIM:
            return uc.claim(session, actor, "LEFEVRE", "123ABC", limiter, PATTERN, EXAMPLE)
        case Action.DECLINE:
            return uc.decline(session, actor, dossier_id or 0, DeclineReason.NO_CAPACITY, None, None)
        case Action.EXPIRE:
            return uc.expire(session, dossier_id or 0, utcnow())
    raise AssertionError(action)


@pytest.mark.parametrize(("status", "action", "who"), CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_state_table(db: Database, status: DossierStatus | None, action: Action, who: Who) -> None:
    with db.write() as session:
        actors, home, target = _actors(session)
        dossier_id = None
        if status is not None:
            dossier_id = factories.dossier(
                session, home, status=status, carnet="123abc", last_name="Lefèvre"
            ).id
    expected = EXPECTED[(status, action, who)]

    def events() -> int:
        with db.read() as session:
            return session.scalar(select(func.count()).select_from(DossierEvent)) or 0

    before = events()
    if isinstance(expected, DossierStatus):
        with db.write() as session:
            result = _act(session, action, actors[who], dossier_id, home, target)
        assert result.status == expected.value
        assert result.version == (1 if status is None else 2)
        with db.read() as session:
            last = session.scalars(select(DossierEvent).order_by(DossierEvent.id.desc())).first()
            actor = actors[who]
            assert last is not None and last.kind == EVENT[action]
            assert last.actor_name == (actor.name if actor else SYSTEM_NAME)
        assert events() == before + 1
    else:
        with pytest.raises(expected), db.write() as session:
            _act(session, action, actors[who], dossier_id, home, target)
        assert events() == before
        if dossier_id is not None:
            with db.read() as session:
                unchanged = session.get(Dossier, dossier_id)
                assert unchanged is not None and unchanged.status == status.value and unchanged.version == 1
