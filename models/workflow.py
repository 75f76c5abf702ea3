"""The dossier state table: status × action → new status, and who may do it.

Read by resolvers/dossiers.py (the only place a transition is decided), printed in the README, and walked
exhaustively by tests/test_workflow.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from models.enums import DossierEventKind, DossierStatus


class Action(enum.Enum):
    ORIENT = "orientBeneficiary"
    TAKE_IN_CHARGE = "takeInCharge"
    REORIENT = "reorientDossier"
    ARCHIVE = "archiveDossier"
    CLAIM = "claimDossier"
    DECLINE = "declineDossier"
    EXPIRE = "expiry (worker)"


class Who(enum.Enum):
    """The actor's relation to the dossier."""

    HOLDER = "operator of the holding structure"
    OTHER_OPERATOR = "operator of another structure"
    COORDINATOR = "coordinator"
    SYSTEM = "the worker (« système »)"


# Who may be asked to do what: people act through the API, the worker runs the timed transitions.
PEOPLE = frozenset({Who.HOLDER, Who.OTHER_OPERATOR, Who.COORDINATOR})
SYSTEM_ACTIONS = frozenset({Action.EXPIRE})
# The actor's name in the history of what the worker did.
SYSTEM_NAME = "système"


@dataclass(frozen=True)
class Transition:
    to: DossierStatus
    event: DossierEventKind
    who: frozenset[Who]


ORIENTED, TAKEN, ARCHIVED = DossierStatus.ORIENTED, DossierStatus.TAKEN_IN_CHARGE, DossierStatus.ARCHIVED
RETURNED = DossierStatus.RETURNED
_HOLDER_OR_COORD = frozenset({Who.HOLDER, Who.COORDINATOR})
_COORD = frozenset({Who.COORDINATOR})
_ANY = PEOPLE

# None as the "from" status: the dossier does not exist yet.
TABLE: dict[tuple[DossierStatus | None, Action], Transition] = {
    (None, Action.ORIENT): Transition(ORIENTED, DossierEventKind.ORIENTED, _ANY),
    (ORIENTED, Action.TAKE_IN_CHARGE): Transition(
        TAKEN, DossierEventKind.TAKEN_IN_CHARGE, frozenset({Who.HOLDER})
    ),
    (ORIENTED, Action.REORIENT): Transition(ORIENTED, DossierEventKind.REORIENTED, _HOLDER_OR_COORD),
    (TAKEN, Action.REORIENT): Transition(ORIENTED, DossierEventKind.REORIENTED, _HOLDER_OR_COORD),
    (ORIENTED, Action.ARCHIVE): Transition(ARCHIVED, DossierEventKind.ARCHIVED, _HOLDER_OR_COORD),
    (TAKEN, Action.ARCHIVE): Transition(ARCHIVED, DossierEventKind.ARCHIVED, _HOLDER_OR_COORD),
    # Retrieve ("Je récupère son dossier"): from another structure in any status, or out of one's own archives.
    (ORIENTED, Action.CLAIM): Transition(ORIENTED, DossierEventKind.CLAIMED, frozenset({Who.OTHER_OPERATOR})),
    (TAKEN, Action.CLAIM): Transition(ORIENTED, DossierEventKind.CLAIMED, frozenset({Who.OTHER_OPERATOR})),
    (ARCHIVED, Action.CLAIM): Transition(
        ORIENTED, DossierEventKind.CLAIMED, frozenset({Who.OTHER_OPERATOR, Who.HOLDER})
    ),
    # A RETURNED dossier is in no operator's list, not even the one it came back from: anyone may retrieve it.
    (RETURNED, Action.CLAIM): Transition(
        ORIENTED, DossierEventKind.CLAIMED, frozenset({Who.OTHER_OPERATOR, Who.HOLDER})
    ),
    # The structure it was oriented to gives it back: the coordinators' queue (« À réorienter »).
    (ORIENTED, Action.DECLINE): Transition(RETURNED, DossierEventKind.DECLINED, frozenset({Who.HOLDER})),
    (ORIENTED, Action.EXPIRE): Transition(RETURNED, DossierEventKind.EXPIRED, frozenset({Who.SYSTEM})),
    (RETURNED, Action.REORIENT): Transition(ORIENTED, DossierEventKind.REORIENTED, _COORD),
    (RETURNED, Action.ARCHIVE): Transition(ARCHIVED, DossierEventKind.ARCHIVED, _COORD),
}


def transition(status: DossierStatus | None, action: Action) -> Transition | None:
    return TABLE.get((status, action))


def allowed_from(action: Action) -> list[DossierStatus]:
    return [status for (status, act) in TABLE if act is action and status is not None]


def markdown_table() -> str:
    """The table as printed in the README."""
    lines = ["| from | action | to | who |", "|---|---|---|---|"]
    for (status, action), t in TABLE.items():
        who = "any operator, coordinator" if t.who == _ANY else ", ".join(w.value for w in Who if w in t.who)
        name = action.value if action in SYSTEM_ACTIONS else f"`{action.value}`"
        lines.append(f"| {status.value if status else '—'} | {name} | {t.to.value} | {who} |")
    return "\n".join(lines)
