"""Where to reorient a beneficiary: nearby member structures for the needs, best first, with reasons.

The score, higher is better (and the list is sorted by it, then by distance, then by id)::

    score = 100 × covered / needed          coverage of the needs (1 when no need is known)
          +  10 × (1 − distance / radius)   nearer is better, 0 at the edge of the radius
          +   1 × accepts carnet            one of its offerings for the needs takes carnets
          -  10 × load                      how busy it is, between 0 and 1 (below)

    load = ½ × min(waiting, 20) / 20  +  ½ × min(median days to take in charge, 30) / 30

Coverage comes first: one more need covered (at least 100/9 ≈ 11.1 points with the nine kinds) outweighs
any distance and carnet (at most 10 + 1), and the load alone (at most 10) never outweighs it either.
Distance comes next; the carnet only breaks near-ties, deciding between structures less than a tenth of the
radius apart (3 km at the default 30 km). The load weighs like distance: 20 dossiers waiting (ORIENTED there
now) cost 5 points, as much as half the radius; a median of 30 days to take in charge (over the last 90
days, only from 5 dossiers taken in charge: below, unknown and 0) costs 5 more.

Paused members, and closed places, are never suggested (``models.mapping.accepting_orientations``).

Candidates: member structures (``is_operator``) other than the one holding the dossier, with at least one
offering of the wanted kinds within the radius of the origin. A structure's distance is its nearest such
offering's; its covered kinds are those it offers within the radius. The origin is the beneficiary's
commune centre when known, else the holding structure's point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.nearby import OfferingRow, check_radius, offerings_within
from models import Commune, Dossier, DossierStatus, ServiceKind, ServiceOffering, Structure, utcnow
from models.errors import InvalidInput, NotFound
from models.mapping import accepting_orientations_sql
from resolvers.auth import Actor
from resolvers.dossiers import get_visible_dossier, require_actor
from resolvers.nearby import kinds_condition
from resolvers.pagination import page_size
from resolvers.statistics import structure_medians

WEIGHT_COVERAGE = 100.0
WEIGHT_DISTANCE = 10.0
WEIGHT_CARNET = 1.0
WEIGHT_LOAD = 10.0
WAITING_FULL = 20  # dossiers waiting at which the waiting half of the load is full
MEDIAN_FULL_DAYS = 30.0
MEDIAN_WINDOW = timedelta(days=90)
MEDIAN_MIN_TAKEN = 5


@dataclass
class Suggestion:
    structure: Structure
    distance_km: float
    matched: list[ServiceKind]
    missing: list[ServiceKind]
    accepts_carnet: bool
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    waiting: int = 0
    median_days: float | None = None


@dataclass(frozen=True)
class _Candidate:
    structure_id: int
    distance_km: float
    offered: list[ServiceKind]
    matched: list[ServiceKind]
    accepts_carnet: bool
    score: float


def needs_of(dossier: Dossier) -> list[ServiceKind]:
    names = {part.strip() for part in (dossier.needs or "").split(",") if part.strip()}
    return [kind for kind in ServiceKind if kind.value in names]


def load(waiting: int, median_days: float | None) -> float:
    """How busy a structure is, from 0 to 1 (see the module's docstring)."""
    queue = min(waiting, WAITING_FULL) / WAITING_FULL
    delay = min(median_days, MEDIAN_FULL_DAYS) / MEDIAN_FULL_DAYS if median_days is not None else 0.0
    return (queue + delay) / 2


def score(
    covered: int,
    needed: int,
    distance_km: float,
    radius_km: float,
    accepts_carnet: bool,
    waiting: int = 0,
    median_days: float | None = None,
) -> float:
    coverage = covered / needed if needed else 1.0
    nearness = max(0.0, 1.0 - distance_km / radius_km)
    return (
        WEIGHT_COVERAGE * coverage
        + WEIGHT_DISTANCE * nearness
        + WEIGHT_CARNET * accepts_carnet
        - WEIGHT_LOAD * load(waiting, median_days)
    )


def days_fr(days: float) -> str:
    """« 4 jours », « 4,5 jours », « 1 jour »."""
    text = f"{days:.1f}".replace(".", ",").removesuffix(",0")
    return f"{text} jour{'s' if days >= 2 else ''}"


def km_fr(distance_km: float) -> str:
    """« 3,2 km »: one decimal, with the French decimal comma."""
    return f"{distance_km:.1f}".replace(".", ",") + " km"


def _origin(session: Session, dossier: Dossier) -> tuple[float, float]:
    if dossier.commune_code:
        commune = session.get(Commune, dossier.commune_code)
        if commune is not None and commune.latitude is not None and commune.longitude is not None:
            return commune.latitude, commune.longitude
    holder = session.get(Structure, dossier.structure_id)
    if holder is not None and holder.latitude is not None and holder.longitude is not None:
        return holder.latitude, holder.longitude
    raise InvalidInput(
        "dossierId",
        "dossierId : impossible de situer le dossier : ni la commune du bénéficiaire ni la structure qui le "
        "suit n'ont de coordonnées connues",
    )


def _reasons(s: Suggestion, needs: Sequence[ServiceKind], offered: Sequence[ServiceKind]) -> list[str]:
    reasons = [f"à {km_fr(s.distance_km)}"]
    if needs:
        reasons.append(f"couvre {len(s.matched)} besoin{'s' if len(s.matched) > 1 else ''} sur {len(needs)}")
    shown = s.matched if needs else offered
    if shown:
        reasons.append("propose : " + ", ".join(k.label for k in shown))
    if s.missing:
        reasons.append("ne propose pas : " + ", ".join(k.label for k in s.missing))
    reasons.append("accepte les carnets" if s.accepts_carnet else "n'accepte pas les carnets")
    if s.waiting == 0:
        reasons.append("aucun dossier en attente")
    else:
        reasons.append(f"{s.waiting} dossier{'s' if s.waiting > 1 else ''} en attente")
    if s.median_days is not None:
        reasons.append(f"prend en charge en {days_fr(s.median_days)} (médiane)")
    return reasons


def _load_figures(
    session: Session, ids: Sequence[int], now: datetime
) -> tuple[dict[int, int], dict[int, float]]:
    """Waiting dossiers (ORIENTED now) and median days to take in charge (last 90 days) of these structures."""
    if not ids:
        return {}, {}
    waiting = {
        structure_id: n
        for structure_id, n in session.execute(
            select(Dossier.structure_id, func.count())
            .where(Dossier.status == DossierStatus.ORIENTED.value, Dossier.structure_id.in_(list(ids)))
            .group_by(Dossier.structure_id)
        )
    }
    medians = structure_medians(session, now - MEDIAN_WINDOW, now, ids, MEDIAN_MIN_TAKEN)
    return waiting, medians


def reorientation_suggestions(
    session: Session,
    actor: Actor | None,
    dossier_pk: int,
    kinds: Sequence[ServiceKind] | None,
    radius_km: float,
    first: int | None,
    *,
    max_radius_km: float,
    cap: int,
) -> list[Suggestion]:
    """The best member structures to reorient the dossier to, for the caller allowed to reorient it.

    ``kinds`` (None or empty: the dossier's needs) are the needs to cover; with none at all, any offering
    makes a candidate.
    """
    actor = require_actor(actor)
    dossier = get_visible_dossier(session, actor, dossier_pk)
    # Only the holding structure's operators and coordinators; anyone else learns nothing, not even existence.
    if dossier is None or not (actor.is_coordinator or actor.structure_id == dossier.structure_id):
        raise NotFound("dossierId : dossier introuvable")
    radius = check_radius(radius_km, max_radius_km)
    limit = page_size(first, cap)
    wanted = set(kinds or ())
    needs = [k for k in ServiceKind if k in wanted] if wanted else needs_of(dossier)
    latitude, longitude = _origin(session, dossier)
    now = utcnow()

    where = [
        *kinds_condition(needs),
        ServiceOffering.structure_id != dossier.structure_id,
        ServiceOffering.structure.has(accepting_orientations_sql(now)),
    ]
    by_structure: dict[int, list[tuple[OfferingRow, float]]] = {}
    for offering, distance in offerings_within(session, latitude, longitude, radius, where=where):
        by_structure.setdefault(offering.structure_id, []).append((offering, distance))

    waiting, medians = _load_figures(session, list(by_structure), now)
    candidates: list[_Candidate] = []
    for structure_id, hits in by_structure.items():
        offered = sorted({ServiceKind(o.kind) for o, _ in hits}, key=list(ServiceKind).index)
        matched = [k for k in needs if k in offered]
        distance = min(d for _, d in hits)
        carnet = any(o.accepts_carnet for o, _ in hits)
        queue, median = waiting.get(structure_id, 0), medians.get(structure_id)
        value = round(score(len(matched), len(needs), distance, radius, carnet, queue, median), 6)
        candidates.append(_Candidate(structure_id, distance, offered, matched, carnet, value))
    candidates.sort(key=lambda c: (-c.score, c.distance_km, c.structure_id))
    kept = candidates[:limit]

    rows = session.scalars(select(Structure).where(Structure.id.in_([c.structure_id for c in kept])))
    structures = {row.id: row for row in rows}
    result = []
    for c in kept:
        suggestion = Suggestion(
            structure=structures[c.structure_id],
            distance_km=c.distance_km,
            matched=c.matched,
            missing=[k for k in needs if k not in c.matched],
            accepts_carnet=c.accepts_carnet,
            score=c.score,
            waiting=waiting.get(c.structure_id, 0),
            median_days=medians.get(c.structure_id),
        )
        suggestion.reasons = _reasons(suggestion, needs, c.offered)
        result.append(suggestion)
    return result
