"""What the API accepts and returns about tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from guichet_common.text import Email, Phone, Text
from ticketing.tickets.models import (
    CHANNEL_LABELS,
    LEVEL_LABELS,
    PENDING_LABELS,
    RESOLUTION_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    Channel,
    PendingReason,
    ResolutionCode,
    Status,
    Ticket,
    TicketChange,
    TicketTask,
    TicketType,
)

Level = Annotated[int, Field(ge=1, le=5, description="1 Très basse … 5 Très haute")]
Priority = Annotated[
    int, Field(ge=1, le=6, description="1 Très basse … 5 Très haute, 6 Majeure (by hand only)")
]
Title = Annotated[Text, Field(min_length=1, max_length=200)]
Description = Annotated[Text, Field(min_length=1, max_length=20_000)]
Code = Annotated[Text, Field(min_length=1, max_length=40)]
SiteCode = Annotated[Text, Field(min_length=1, max_length=20)]
RoomCode = Annotated[Text, Field(min_length=1, max_length=20)]
AssetTag = Annotated[Text, Field(min_length=1, max_length=40, description="The GPI label")]
HardwareNeed = Annotated[Text, Field(max_length=1000)]


def _answer_kind(value: Any) -> str:
    return "choices" if isinstance(value, list) else "text"


# Answers to the category's own fields: text, or a list of choices. Tagged, so that a 422
# names the answer (`category_fields.room.text`), not pydantic's inner validators.
FieldAnswer = Annotated[
    Annotated[Text, Field(max_length=2000), Tag("text")]
    | Annotated[list[Annotated[Text, Field(max_length=100)]], Field(max_length=50), Tag("choices")],
    Discriminator(_answer_kind),
]


class Person(BaseModel):
    """A requester or affected user: an e-mail or a phone to reach them is required."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(min_length=1, max_length=120)]
    email: Email | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        if self.email is None and self.phone is None:
            raise ValueError("an e-mail or a phone number is required to reach them")
        return self


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description
    type: TicketType = TicketType.INCIDENT
    category: Code = Field(description="A category code (`hardware`, `account`, …)")
    category_fields: dict[Annotated[Text, Field(max_length=40)], FieldAnswer] = Field(
        default_factory=dict, description="Answers to the category's own fields, by key"
    )
    urgency: Level = 3
    impact: Level = 3
    priority: Priority | None = Field(
        None, description="Set by hand (staff only); otherwise from the priority matrix"
    )
    site_code: SiteCode
    room_code: RoomCode | None = None
    asset_tag: AssetTag | None = None
    hardware_need: HardwareNeed | None = None
    channel: Channel | None = Field(
        None, description="Default: `portal` for a requester, `phone` for the helpdesk"
    )
    requester: Person
    affected_user: Person | None = None


class TicketPatch(BaseModel):
    """Only the fields sent change; `priority: null` returns it to the matrix."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    type: TicketType | None = None
    category: Code | None = None
    category_fields: dict[Annotated[Text, Field(max_length=40)], FieldAnswer] | None = None
    urgency: Level | None = None
    impact: Level | None = None
    priority: Priority | None = None
    room_code: RoomCode | None = None
    asset_tag: AssetTag | None = None
    hardware_need: HardwareNeed | None = None
    channel: Channel | None = None
    requester: Person | None = None
    affected_user: Person | None = None

    # Sent as null: refused on the field itself (a validator runs on values sent only).
    @field_validator(
        "title",
        "description",
        "type",
        "category",
        "category_fields",
        "urgency",
        "impact",
        "channel",
        "requester",
    )
    @classmethod
    def _not_nulled(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null; leave it out to keep it")
        return value


class PersonOut(BaseModel):
    name: str
    email: str | None
    phone: str | None


class TicketOut(BaseModel):
    id: UUID
    reference: str
    type: TicketType
    type_label: str
    status: Status
    status_label: str
    title: str
    description: str
    category: str
    category_label: str
    category_fields: dict[str, Any]
    urgency: int
    urgency_label: str
    impact: int
    impact_label: str
    priority: int
    priority_label: str
    priority_manual: bool
    site_code: str
    site_name: str
    room_code: str | None
    asset_tag: str | None
    asset_known: bool | None = Field(
        description="The park knows the asset tag (room, hostname and model filled from "
        "it); false: kept as typed, to be checked"
    )
    hostname: str | None
    model: str | None
    hardware_need: str | None
    channel: Channel
    channel_label: str
    requester: PersonOut
    affected_user: PersonOut | None
    opened_by: str
    assignee: str | None
    assignee_name: str | None
    group: str | None
    group_name: str | None
    pending_reason: PendingReason | None
    pending_reason_label: str | None
    planned_for: datetime | None
    solution: str | None
    resolution_code: ResolutionCode | None
    resolution_label: str | None
    created_at: datetime
    updated_at: datetime
    solved_at: datetime | None
    closed_at: datetime | None
    version: int

    @classmethod
    def of(cls, ticket: Ticket) -> TicketOut:
        affected = (
            PersonOut(
                name=ticket.affected_name,
                email=ticket.affected_email,
                phone=ticket.affected_phone,
            )
            if ticket.affected_name is not None
            else None
        )
        return cls(
            id=ticket.id,
            reference=ticket.reference,
            type=ticket.type,
            type_label=TYPE_LABELS[ticket.type],
            status=ticket.status,
            status_label=STATUS_LABELS[ticket.status],
            title=ticket.title,
            description=ticket.description,
            category=ticket.category_code,
            category_label=ticket.category_label,
            category_fields=ticket.category_fields,
            urgency=ticket.urgency,
            urgency_label=LEVEL_LABELS[ticket.urgency],
            impact=ticket.impact,
            impact_label=LEVEL_LABELS[ticket.impact],
            priority=ticket.priority,
            priority_label=LEVEL_LABELS[ticket.priority],
            priority_manual=ticket.priority_manual,
            site_code=ticket.site_code,
            site_name=ticket.site_name,
            room_code=ticket.room_code,
            asset_tag=ticket.asset_tag,
            asset_known=ticket.asset_known,
            hostname=ticket.hostname,
            model=ticket.model,
            hardware_need=ticket.hardware_need,
            channel=ticket.channel,
            channel_label=CHANNEL_LABELS[ticket.channel],
            requester=PersonOut(
                name=ticket.requester_name,
                email=ticket.requester_email,
                phone=ticket.requester_phone,
            ),
            affected_user=affected,
            opened_by=ticket.opened_by,
            assignee=ticket.assignee,
            assignee_name=ticket.assignee_name,
            group=ticket.group_code,
            group_name=ticket.group_name,
            pending_reason=ticket.pending_reason,
            pending_reason_label=(
                PENDING_LABELS[ticket.pending_reason] if ticket.pending_reason else None
            ),
            planned_for=ticket.planned_for,
            solution=ticket.solution,
            resolution_code=ticket.resolution_code,
            resolution_label=(
                RESOLUTION_LABELS[ticket.resolution_code] if ticket.resolution_code else None
            ),
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            solved_at=ticket.solved_at,
            closed_at=ticket.closed_at,
            version=ticket.version,
        )


class ChangeOut(BaseModel):
    at: datetime
    actor: str
    actor_name: str | None
    action: str
    changes: dict[str, Any] = Field(description="Each field changed: [old, new]")
    reason: str | None

    @classmethod
    def of(cls, change: TicketChange) -> ChangeOut:
        return cls(
            at=change.at,
            actor=change.actor,
            actor_name=change.actor_name,
            action=change.action,
            changes=change.changes,
            reason=change.reason,
        )


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Annotated[Text, Field(min_length=1, max_length=300)]
    duration_minutes: Annotated[int, Field(ge=0, le=100_000)] | None = None


class TaskPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Annotated[Text, Field(min_length=1, max_length=300)] | None = None
    done: bool | None = None
    duration_minutes: Annotated[int, Field(ge=0, le=100_000)] | None = None


class TaskOut(BaseModel):
    id: UUID
    position: int
    label: str
    done: bool
    done_by: str | None
    done_at: datetime | None
    duration_minutes: int | None
    version: int

    @classmethod
    def of(cls, task: TicketTask) -> TaskOut:
        return cls(
            id=task.id,
            position=task.position,
            label=task.label,
            done=task.done,
            done_by=task.done_by,
            done_at=task.done_at,
            duration_minutes=task.duration_minutes,
            version=task.version,
        )
