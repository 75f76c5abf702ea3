from __future__ import annotations

import strawberry

from app.context import Context
from resolvers.ids import to_global_id
from schema.enums import Role
from schema.mapping import StructureType

Info = strawberry.Info[Context, None]


@strawberry.type(name="Operator", description="The person calling the API.")
class OperatorType:
    id: strawberry.ID
    name: str
    role: Role  # type: ignore[valid-type]
    structure_id: strawberry.Private[int | None]

    @strawberry.field(description="Null for coordinators.")
    async def structure(self, info: Info) -> StructureType | None:
        if self.structure_id is None:
            return None
        row = await info.context.loaders.structure.load(self.structure_id)
        return StructureType.of(row) if row else None


@strawberry.type
class OperatorQuery:
    @strawberry.field(description="The authenticated operator; null when anonymous, never an error.")
    def me(self, info: Info) -> OperatorType | None:
        actor = info.context.actor
        if actor is None:
            return None
        return OperatorType(
            id=strawberry.ID(to_global_id("Operator", actor.operator_id)),
            name=actor.name,
            role=actor.role,
            structure_id=actor.structure_id,
        )
