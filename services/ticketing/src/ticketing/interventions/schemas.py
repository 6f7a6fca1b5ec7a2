"""What the API accepts and returns about interventions, the signature and the agenda."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from guichet_common.auth import Principal
from guichet_common.text import Text
from guichet_common.unions import located
from ticketing.interventions.models import (
    CONSENT_LABELS,
    COPIED_FROM_TICKET,
    MODE_LABELS,
    ConsentChannel,
    Intervention,
    Mode,
)

# Far enough for any intervention, and every moment in it converts between time zones
# without leaving the calendar's range.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def _within_calendar(value: datetime) -> datetime:
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_within_calendar)]
# An agenda's bound: without an offset, the service's local time.
Bound = Annotated[datetime, AfterValidator(_within_calendar)]
Login = Annotated[
    Text, Field(min_length=1, max_length=200, description="A technician's login (`sub`)")
]
PersonName = Annotated[Text, Field(min_length=1, max_length=120)]
Description = Annotated[Text, Field(min_length=1, max_length=20_000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OnSiteIn(_In):
    """A visit: its sheet copies the ticket as it is now (requester, user, site, room,
    model, GPI label, hardware need, category); `planned_for` defaults to the ticket's
    planned date. Planned, the technician is e-mailed the sheet."""

    mode: Literal[Mode.ON_SITE]
    technician: Login
    description: Description = Field(description="What is to be done, printed on the sheet")
    planned_for: Moment | None = Field(
        default=None, description="With its offset: `2026-12-01T14:00:00+01:00`"
    )
    hardware_need: Annotated[Text, Field(max_length=1000)] | None = Field(
        default=None, description="Besoin matériel; the ticket's when left out"
    )


class ConsentIn(_In):
    """The user's yes to remote help, recorded before the session is."""

    given_by: PersonName = Field(description="Who agreed: the user at the keyboard")
    given_at: Moment = Field(description="When; at or before the session's start")
    how: ConsentChannel


class RemoteIn(_In):
    """A remote session, recorded with the user's consent (required, given before the
    session started) and how it ended."""

    mode: Literal[Mode.REMOTE]
    technician: Login
    description: Description
    consent: ConsentIn
    session_id: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="The remote tool's id for the session"
    )
    started_at: Moment
    ended_at: Moment
    clean_close: bool = Field(description="The session was closed properly at the end")
    user_confirmed_working: bool = Field(description="The user checked that all works")


class InterventionIn(RootModel[Annotated[OnSiteIn | RemoteIn, Field(discriminator="mode")]]):
    """`{"mode": "on_site" | "remote", …}` and that mode's own fields."""

    @model_validator(mode="wrap")
    @classmethod
    def _locate_errors(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            raise located(exc, value, tag="mode", tags=Mode, members=(OnSiteIn, RemoteIn)) from None


class SheetFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


class SignatureIn(_In):
    signer_name: PersonName = Field(description="The user who signs, as they write their name")
    signature: Annotated[Text, Field(min_length=1, max_length=2_000_000)] = Field(
        description="A PNG data URL: `data:image/png;base64,…` (at most "
        "`intervention_signature_max_bytes` decoded, and the maximum dimensions)"
    )


# --- answers -------------------------------------------------------------------------------


class SheetOut(BaseModel):
    """The sheet's fields, as copied from the ticket when the intervention was created."""

    requester_name: str
    requester_phone: str | None
    affected_name: str | None
    affected_phone: str | None
    title: str
    category_label: str
    site_code: str
    site_name: str
    room_code: str | None
    model: str | None
    asset_tag: str | None
    hostname: str | None
    hardware_need: str | None
    notified_at: datetime


class ConsentOut(BaseModel):
    given_by: str
    given_at: datetime
    how: ConsentChannel
    how_label: str


class RemoteSessionOut(BaseModel):
    consent: ConsentOut
    session_id: str
    started_at: datetime
    ended_at: datetime
    clean_close: bool
    user_confirmed_working: bool


class InterventionOut(BaseModel):
    id: UUID
    reference: str
    mode: Mode
    mode_label: str
    technician: str
    technician_name: str
    description: str
    planned_for: datetime | None
    sheet: SheetOut | None = Field(description="On site only")
    remote_session: RemoteSessionOut | None = Field(description="Remote only")
    signed: bool
    signer_name: str | None
    signed_at: datetime | None
    sheet_sha256: str | None = Field(description="SHA-256 of the signed sheet's stored PDF")
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, intervention: Intervention) -> InterventionOut:
        return cls(
            id=intervention.id,
            reference=intervention.reference,
            mode=intervention.mode,
            mode_label=MODE_LABELS[intervention.mode],
            technician=intervention.technician,
            technician_name=intervention.technician_name,
            description=intervention.description,
            planned_for=intervention.planned_for,
            sheet=_sheet(intervention),
            remote_session=_remote(intervention),
            signed=intervention.signed_at is not None,
            signer_name=intervention.signer_name,
            signed_at=intervention.signed_at,
            sheet_sha256=intervention.sheet_sha256,
            created_by=intervention.created_by,
            created_at=intervention.created_at,
            updated_at=intervention.updated_at,
            version=intervention.version,
        )


def _sheet(intervention: Intervention) -> SheetOut | None:
    if intervention.mode is not Mode.ON_SITE:
        return None
    return SheetOut.model_validate(intervention, from_attributes=True)


def _remote(intervention: Intervention) -> RemoteSessionOut | None:
    i = intervention
    if i.mode is not Mode.REMOTE:
        return None
    assert i.consent_given_by and i.consent_given_at and i.consent_how  # the row's check
    assert i.session_id and i.started_at and i.ended_at
    assert i.clean_close is not None and i.user_confirmed_working is not None
    return RemoteSessionOut(
        consent=ConsentOut(
            given_by=i.consent_given_by,
            given_at=i.consent_given_at,
            how=i.consent_how,
            how_label=CONSENT_LABELS[i.consent_how],
        ),
        session_id=i.session_id,
        started_at=i.started_at,
        ended_at=i.ended_at,
        clean_close=i.clean_close,
        user_confirmed_working=i.user_confirmed_working,
    )


class UnsignedOut(BaseModel):
    """An on-site intervention whose sheet is not signed (in a 409 `unsigned-intervention`)."""

    id: UUID
    technician: str
    technician_name: str
    planned_for: datetime | None


class VisitOut(BaseModel):
    """A planned visit on a technician's agenda."""

    intervention_id: UUID
    planned_for: datetime
    planned_until: datetime
    reference: str
    title: str
    site_code: str
    site_name: str
    room_code: str | None
    location: str = Field(description="The site's name and the room, as people say it")
    site_address: str | None = Field(description="The site's street address, when known")
    requester_name: str
    requester_phone: str | None
    affected_name: str | None
    affected_phone: str | None
    signed: bool

    @classmethod
    def of(cls, visit: Intervention, length: timedelta) -> VisitOut:
        assert visit.planned_for is not None  # the agenda holds planned visits only
        return cls(
            intervention_id=visit.id,
            planned_for=visit.planned_for,
            planned_until=visit.planned_for + length,
            reference=visit.reference,
            title=visit.title,
            site_code=visit.site_code,
            site_name=visit.site_name,
            room_code=visit.room_code,
            location=visit.location,
            site_address=visit.site_address,
            requester_name=visit.requester_name,
            requester_phone=visit.requester_phone,
            affected_name=visit.affected_name,
            affected_phone=visit.affected_phone,
            signed=visit.signed_at is not None,
        )


class AgendaLink(BaseModel):
    url: str


# --- what the events carry (`events.Intervention*V1`), by the model's names ----------------

_EVENT_COPIED = (
    *("ticket_id", "reference", "title", "site_code", "site_name", "room_code"),
    *("technician", "technician_name", "technician_email", "version"),
)
_REMOTE_COPIED = (
    *("consent_given_by", "consent_given_at", "session_id", "started_at"),
    *("ended_at", "clean_close", "user_confirmed_working"),
)


def event_fields(i: Intervention, actor: Principal) -> dict[str, Any]:
    """What every intervention event says (`events.InterventionEvent`)."""
    return {name: getattr(i, name) for name in _EVENT_COPIED} | {
        "intervention_id": i.id,
        "mode": i.mode.value,
        "mode_label": MODE_LABELS[i.mode],
        "actor": actor.subject,
        "actor_name": actor.name,
    }


def remote_fields(i: Intervention) -> dict[str, Any]:
    """The session and the consent (`events.InterventionRemoteSessionRecordedV1`)."""
    assert i.consent_how is not None
    return {name: getattr(i, name) for name in _REMOTE_COPIED} | {
        "consent_how": i.consent_how.value,
        "consent_how_label": CONSENT_LABELS[i.consent_how],
    }


def visit_fields(i: Intervention) -> dict[str, Any]:
    """The rest of the sheet (`events.InterventionPlannedV1`): what the e-mail prints."""
    copied = (name for name in COPIED_FROM_TICKET if name not in _EVENT_COPIED)
    return {name: getattr(i, name) for name in copied} | {
        "description": i.description,
        "notified_at": i.notified_at,
    }
