"""The public mapping: structures, service offerings, geography inputs."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Protocol

import strawberry

import models
from app.context import Context
from geo.bbox import BBox
from geo.nearby import DEFAULT_RADIUS_KM
from models import hours, standard
from models.base import utcnow
from models.errors import DomainError, InvalidInput
from resolvers import communes as commune_queries
from resolvers import nearby as nearby_queries
from resolvers import structures as structure_queries
from resolvers.ids import from_global_id, maybe_global_id, to_global_id
from resolvers.places import Place
from schema.counts import DossierCounts, structure_dossier_counts
from schema.enums import AccessMode, Fees, Public, ServiceKind, SpecificSupport, SupportMode
from schema.errors import InvalidInputError, NotAllowedError, NotFoundError, to_error
from schema.node import Node, PageInfo, selects

Info = strawberry.Info[Context, None]


@strawberry.type(description="A point in WGS84.")
class GeoPoint:
    latitude: float
    longitude: float

    @classmethod
    def of(cls, latitude: float | None, longitude: float | None) -> GeoPoint | None:
        return None if latitude is None or longitude is None else cls(latitude=latitude, longitude=longitude)


@strawberry.input
class PointInput:
    latitude: float
    longitude: float


@strawberry.input(
    description="Exactly one of the three. A commune or postal code resolves to the commune's centre."
)
class PlaceInput:
    point: PointInput | None = None
    commune_code: str | None = None
    postal_code: str | None = None

    def to_place(self) -> Place:
        point = (self.point.latitude, self.point.longitude) if self.point is not None else None
        return Place(point=point, commune_code=self.commune_code, postal_code=self.postal_code)


@strawberry.input
class BBoxInput:
    south: float
    west: float
    north: float
    east: float

    def to_bbox(self, field: str = "filter.bbox") -> BBox:
        return BBox.checked(self.south, self.west, self.north, self.east, field)


@strawberry.type
class Address:
    street: str
    postal_code: str
    city: str
    commune_code: str | None


@strawberry.type(description="A commune, for the map's search box.")
class Commune:
    code: str
    name: str
    postal_codes: list[str]
    department_code: str
    centre: GeoPoint | None

    @classmethod
    def of(cls, row: commune_queries.CommuneRow) -> Commune:
        return cls(
            code=row.code,
            name=row.name,
            postal_codes=row.postal_codes,
            department_code=row.department_code,
            centre=GeoPoint.of(row.latitude, row.longitude),
        )


@strawberry.type(
    description="Open or closed at an instant, in the place's own time zone (Europe/Paris, Indian/Reunion, "
    "Pacific/Noumea...)."
)
class OpeningStatus:
    is_open: bool
    next_change: datetime | None = strawberry.field(
        description="When it next opens or closes, within the next 8 days; null when it never changes there."
    )
    time_zone: str = strawberry.field(description="IANA name used.")


@strawberry.type(name="Structure", description="A digital-mediation place.")
class StructureType(Node):
    row: strawberry.Private[models.Structure]

    @classmethod
    def of(cls, row: models.Structure) -> StructureType:
        return cls(id=strawberry.ID(to_global_id("Structure", row.id)), row=row)

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def address(self) -> Address:
        r = self.row
        return Address(street=r.street, postal_code=r.postal_code, city=r.city, commune_code=r.commune_code)

    @strawberry.field(description="Null when the source gave no coordinates.")
    def location(self) -> GeoPoint | None:
        return GeoPoint.of(self.row.latitude, self.row.longitude)

    @strawberry.field(description="Platform member: accepts carnets and orientations.")
    def is_operator(self) -> bool:
        return self.row.is_operator

    @strawberry.field(description="OpenStreetMap opening_hours syntax.")
    def opening_hours(self) -> str | None:
        return self.row.opening_hours

    @strawberry.field(
        description="Null when the hours are missing or unreadable; at defaults to now. Public holidays count as "
        "closed unless the hours say otherwise (PH)."
    )
    def opening_status(self, at: datetime | None = None) -> OpeningStatus | None:
        instant = at or utcnow()
        if instant.tzinfo is None:
            raise InvalidInput(
                "at", "at : attendu une date et heure ISO 8601 avec fuseau (ex. 2026-12-01T10:00:00Z)"
            )
        status = hours.opening_status(self.row.opening_hours, self.row.department_code, instant)
        if status is None:
            return None
        return OpeningStatus(
            is_open=status.is_open, next_change=status.next_change, time_zone=status.time_zone
        )

    @strawberry.field(
        description="A member that currently takes new orientations (false for non-members, closed places and "
        "paused members; a pause with an end date is over by itself then)."
    )
    def accepting_orientations(self) -> bool:
        return models.mapping.accepting_orientations(self.row, utcnow())

    @strawberry.field(
        description="Its source stopped publishing it; closed places appear only where includeClosed is asked."
    )
    def closed_at(self) -> datetime | None:
        return self.row.closed_at

    @strawberry.field(description="publics_specifiquement_adresses (empty when the source said nothing).")
    def publics(self) -> list[Public]:  # type: ignore[valid-type]
        return standard.enum_values(self.row.standard, "publics_specifiquement_adresses")

    @strawberry.field(description="prise_en_charge_specifique.")
    def specific_support(self) -> list[SpecificSupport]:  # type: ignore[valid-type]
        return standard.enum_values(self.row.standard, "prise_en_charge_specifique")

    @strawberry.field(description="modalites_acces.")
    def access_modes(self) -> list[AccessMode]:  # type: ignore[valid-type]
        return standard.enum_values(self.row.standard, "modalites_acces")

    @strawberry.field(description="modalites_accompagnement.")
    def support_modes(self) -> list[SupportMode]:  # type: ignore[valid-type]
        return standard.enum_values(self.row.standard, "modalites_accompagnement")

    @strawberry.field(description="dispositif_programmes_nationaux, verbatim.")
    def labels(self) -> list[str]:
        return list((self.row.standard or {}).get("dispositif_programmes_nationaux") or [])

    @strawberry.field(description="fiche_acces_libre: the place's Acceslibre accessibility sheet.")
    def accessibility_url(self) -> str | None:
        return next(iter((self.row.standard or {}).get("fiche_acces_libre") or []), None)

    @strawberry.field(description="prise_rdv: where to book an appointment.")
    def appointment_url(self) -> str | None:
        return next(iter((self.row.standard or {}).get("prise_rdv") or []), None)

    @strawberry.field(description='itinerance contains "Itinérant" (a bus, permanences on the road).')
    def mobile(self) -> bool:
        return standard.MOBILE in ((self.row.standard or {}).get("itinerance") or [])

    @strawberry.field
    def phone(self) -> str | None:
        return self.row.phone

    @strawberry.field
    def email(self) -> str | None:
        return self.row.email

    @strawberry.field
    def website(self) -> str | None:
        return self.row.website

    @strawberry.field
    def source(self) -> str | None:
        return self.row.source

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row.updated_at

    @strawberry.field
    async def offerings(self, info: Info) -> list[ServiceOfferingType]:
        rows = await info.context.loaders.offerings_by_structure.load(self.row.id)
        return [ServiceOfferingType.of(o) for o in rows]

    @strawberry.field(description="Only for this structure's operators and coordinators, else null.")
    async def dossier_counts(self, info: Info) -> DossierCounts | None:
        return await structure_dossier_counts(info, self.row.id)


class OfferingColumns(Protocol):
    """What a ServiceOffering is made of: an ORM row, or the tuple of a hot read path (geo.nearby.OfferingRow)."""

    @property
    def id(self) -> int: ...
    @property
    def structure_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def fees(self) -> str | None: ...
    @property
    def accepts_carnet(self) -> bool: ...
    @property
    def latitude(self) -> float | None: ...
    @property
    def longitude(self) -> float | None: ...


async def _offering_structure(root: ServiceOfferingType, info: Info) -> StructureType:
    row = await info.context.loaders.structure.load(root.row.structure_id)
    assert row is not None, "an offering always has its structure (foreign key)"
    return StructureType.of(row)


# A stored value's member (and the kind's label), looked up once per value: 20 offerings per nearby page.
@functools.cache
def _kind_and_label(value: str) -> tuple[models.ServiceKind, str]:
    kind = models.ServiceKind(value)
    return kind, kind.label


@functools.cache
def _fees(value: str) -> models.Fees:
    return models.Fees(value)


@strawberry.type(name="ServiceOffering")
class ServiceOfferingType(Node):
    # Plain fields, filled once from the row: on nearby's page of 20, a resolver per field cost more than
    # the field itself (argument conversion and resolve info for each of them).
    kind: ServiceKind  # type: ignore[valid-type]
    label: str = strawberry.field(description="The French label of the national standard.")
    structure: StructureType = strawberry.field(resolver=_offering_structure)
    location: GeoPoint | None = strawberry.field(description="Its own location, else the structure's.")
    fees: Fees | None  # type: ignore[valid-type]
    accepts_carnet: bool
    row: strawberry.Private[OfferingColumns]

    @classmethod
    def of(cls, row: OfferingColumns) -> ServiceOfferingType:
        kind, label = _kind_and_label(row.kind)
        return cls(
            id=strawberry.ID(to_global_id("ServiceOffering", row.id)),
            kind=kind,
            label=label,
            location=GeoPoint.of(row.latitude, row.longitude),
            fees=_fees(row.fees) if row.fees else None,
            accepts_carnet=row.accepts_carnet,
            row=row,
        )


@strawberry.input
class StructureFilter:
    kinds: list[ServiceKind] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Offers at least one of them."
    )
    commune_code: str | None = None
    department_code: str | None = None
    bbox: BBoxInput | None = None
    updated_since: datetime | None = strawberry.field(
        default=None, description="Incremental sync for data partners: ordered by (updatedAt, id)."
    )
    operators_only: bool | None = False
    open_at: datetime | None = strawberry.field(
        default=None, description="Open at that instant (places with unreadable hours are left out)."
    )
    include_closed: bool | None = strawberry.field(
        default=False, description="Partners' sync asks for closed places too, to remove them."
    )
    publics: list[Public] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Addresses at least one of them."
    )
    specific_support: list[SpecificSupport] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Offers at least one of them."
    )

    def to_query(self) -> structure_queries.StructureQuery:
        return structure_queries.StructureQuery(
            kinds=list(self.kinds) if self.kinds else None,
            commune_code=self.commune_code,
            department_code=self.department_code,
            bbox=self.bbox.to_bbox() if self.bbox else None,
            updated_since=self.updated_since,
            operators_only=bool(self.operators_only),
            open_at=self.open_at,
            include_closed=bool(self.include_closed),
            publics=list(self.publics or []),
            specific_support=list(self.specific_support or []),
        )


@strawberry.type
class StructureEdge:
    cursor: str
    node: StructureType


@strawberry.type
class StructureConnection:
    edges: list[StructureEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class NearbyOfferingEdge:
    cursor: str
    node: ServiceOfferingType
    distance_km: float


@strawberry.type
class NearbyOfferingConnection:
    edges: list[NearbyOfferingEdge]
    page_info: PageInfo


@strawberry.type
class MappingQuery:
    @strawberry.field(description="A structure by id; null when there is none.")
    async def structure(self, info: Info, id: strawberry.ID) -> StructureType | None:
        pk = maybe_global_id(id, "Structure")
        if pk is None:
            return None
        row = await info.context.loaders.structure.load(pk)
        return StructureType.of(row) if row else None

    @strawberry.field(description="Structures, filtered, in pages (keyset cursors).")
    async def structures(
        self,
        info: Info,
        filter: StructureFilter | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> StructureConnection:
        query = filter.to_query() if filter else structure_queries.StructureQuery()
        page = await info.context.read(
            structure_queries.list_structures,
            query,
            first,
            after,
            info.context.settings.page_size_max,
            selects(info, "totalCount"),
        )
        edges = [
            StructureEdge(cursor=c, node=StructureType.of(r))
            for r, c in zip(page.items, page.cursors, strict=True)
        ]
        return StructureConnection(
            edges=edges,
            page_info=PageInfo.of(page),
            total_count=page.total or 0,
        )

    @strawberry.field(
        description="Offerings within radiusKm of a place, nearest first (great-circle distance), ties by id; "
        "keyset pages on (distance, id). Offerings without a location never appear."
    )
    async def nearby_offerings(
        self,
        info: Info,
        near: PlaceInput,
        kinds: list[ServiceKind] | None = None,  # type: ignore[valid-type]
        radius_km: float | None = DEFAULT_RADIUS_KM,
        first: int | None = 20,
        after: str | None = None,
        open_at: datetime | None = None,
        publics: list[Public] | None = None,  # type: ignore[valid-type]
        specific_support: list[SpecificSupport] | None = None,  # type: ignore[valid-type]
    ) -> NearbyOfferingConnection:
        settings = info.context.settings
        page = await info.context.read(
            nearby_queries.nearby_offerings,
            near.to_place(),
            kinds,
            DEFAULT_RADIUS_KM if radius_km is None else radius_km,
            first,
            after,
            max_radius_km=settings.nearby_max_radius_km,
            cap=settings.page_size_max,
            open_at=open_at,
            publics=publics,
            specific_support=specific_support,
        )
        edges = [
            NearbyOfferingEdge(
                cursor=c, node=ServiceOfferingType.of(item.offering), distance_km=item.distance_km
            )
            for item, c in zip(page.items, page.cursors, strict=True)
        ]
        return NearbyOfferingConnection(
            edges=edges,
            page_info=PageInfo.of(page),
        )

    @strawberry.field(
        description="Communes for the map's search box: a name (case, accents, hyphens, « St »/« Saint » "
        "ignored; names that start with it first, then names with a later word that does) or a postal-code "
        "prefix. Each commune once, with its postal codes and centre."
    )
    async def communes(self, info: Info, search: str, first: int | None = 10) -> list[Commune]:
        rows = await info.context.read(commune_queries.search_communes, search, first)
        return [Commune.of(r) for r in rows]


@strawberry.type
class StructurePayload:
    structure: StructureType


StructureResult = Annotated[
    StructurePayload | NotAllowedError | NotFoundError | InvalidInputError,
    strawberry.union("StructureResult"),
]


@strawberry.type
class MappingMutation:
    @strawberry.mutation(
        description="A member pauses (accepting: false, until a date or until it resumes) or resumes new "
        "orientations; its operators or a coordinator. Paused, it is not suggested and orienting to it is "
        "refused with the date."
    )
    async def set_accepting_orientations(
        self, info: Info, structure_id: strawberry.ID, accepting: bool, until: datetime | None = None
    ) -> StructureResult:
        try:
            pk = from_global_id(structure_id, "Structure", "structureId")
            row = await info.context.write(
                structure_queries.set_accepting_orientations, info.context.actor, pk, accepting, until
            )
        except DomainError as exc:
            error = to_error(exc)
            assert isinstance(error, NotAllowedError | NotFoundError | InvalidInputError)
            return error
        return StructurePayload(structure=StructureType.of(row))
