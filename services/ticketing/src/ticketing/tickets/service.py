"""The intake and editing rules of tickets: the site from the park, the category's own
fields and checklist, the priority from the matrix, a gap-free reference, the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import Conflict, Forbidden, InvalidInput, check_if_match
from guichet_common.pagination import Paged, PageRequest
from ticketing.categories import repository as categories
from ticketing.categories.models import Category
from ticketing.categories.schemas import CategoryField, FieldKind
from ticketing.deps import Viewer
from ticketing.events import TicketCreatedV1, outbox
from ticketing.numbering.repository import next_reference
from ticketing.park import repository as park
from ticketing.park.models import ParkSite
from ticketing.priorities import service as priorities
from ticketing.settings import TicketingSettings
from ticketing.tickets import repository
from ticketing.tickets.models import (
    CHANNEL_LABELS,
    LEVEL_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    Channel,
    Status,
    Ticket,
    TicketChange,
    TicketTask,
)
from ticketing.tickets.schemas import FieldAnswer, Person, TaskIn, TaskPatch, TicketIn, TicketPatch
from ticketing.tickets.text_search import document

REFERENCE_KIND = "INC"
# Field names the history shows (the API's names).
_PERSON_COLUMNS = {
    "requester": ("requester_name", "requester_email", "requester_phone"),
    "affected_user": ("affected_name", "affected_email", "affected_phone"),
}


def invalid(field: str, message: str) -> InvalidInput:
    """A refusal naming `field`, in `errors` and in the detail, as the schema's do."""
    return InvalidInput(f"{field}: {message}", field=field)


def event_fields(ticket: Ticket, actor: Principal) -> dict[str, Any]:
    """What every ticket event says (`events.TicketEvent`), the ticket as it is now."""
    return {
        "ticket_id": ticket.id,
        "reference": ticket.reference,
        "title": ticket.title,
        "type": ticket.type.value,
        "type_label": TYPE_LABELS[ticket.type],
        "status": ticket.status.value,
        "status_label": STATUS_LABELS[ticket.status],
        "priority": ticket.priority,
        "priority_label": LEVEL_LABELS[ticket.priority],
        "category_code": ticket.category_code,
        "category_label": ticket.category_label,
        "site_code": ticket.site_code,
        "site_name": ticket.site_name,
        "room_code": ticket.room_code,
        "asset_tag": ticket.asset_tag,
        "requester_name": ticket.requester_name,
        "requester_email": ticket.requester_email,
        "requester_phone": ticket.requester_phone,
        "affected_name": ticket.affected_name,
        "affected_email": ticket.affected_email,
        "assignee": ticket.assignee,
        "assignee_name": ticket.assignee_name,
        "assignee_email": ticket.assignee_email,
        "group_code": ticket.group_code,
        "group_name": ticket.group_name,
        "actor": actor.subject,
        "actor_name": actor.name,
        "version": ticket.version,
    }


# --- intake ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Admission:
    """A ticket admitted (`admit_ticket`) and the park's site it names, read for the check:
    what else the ticket's opening needs of the site (its SLA calendar) is taken from it."""

    ticket: Ticket
    site: ParkSite


async def admit_ticket(
    session: AsyncSession,
    data: TicketIn,
    principal: Principal,
    *,
    now: datetime | None = None,
) -> Admission:
    """A new ticket, checked and built with its checklist and first history entry, in the
    session but not written yet: it has no reference until `file_ticket`. A refusal leaves
    nothing behind."""
    now = now or utcnow()
    viewer = Viewer.of(principal)
    if viewer.staff and not viewer.covers(data.site_code):
        raise Forbidden(f"this caller does not cover site {data.site_code}")
    if data.priority is not None and not viewer.staff:
        raise invalid("priority", "set by the helpdesk only")
    site = await park.find_site(session, data.site_code)
    if site is None:
        raise invalid("site_code", f"no site {data.site_code} in the park")
    category = await _category(session, data.category)
    ticket = Ticket(
        id=new_event_id(),
        status=Status.NEW,
        category_code=category.code,
        category_label=category.label,
        category_fields=check_answers(category, data.category_fields),
        site_code=site.code,
        site_name=site.name,
        channel=data.channel or (Channel.PHONE if viewer.staff else Channel.PORTAL),
        opened_by=principal.subject,
        created_at=now,
        updated_at=now,
    )
    await _fill(session, ticket, data)
    session.add(ticket)
    session.add_all(
        TicketTask(id=new_event_id(), ticket_id=ticket.id, position=position, label=task["label"])
        for position, task in enumerate(category.task_template)
    )
    repository.record_change(
        session, ticket, actor=principal.subject, actor_name=principal.name, action="created"
    )
    return Admission(ticket, site)


async def file_ticket(
    session: AsyncSession, settings: TicketingSettings, ticket: Ticket, principal: Principal
) -> None:
    """An admitted ticket numbered, written with what came with it, and announced. The
    reference is taken last: its counter row stays locked until commit, so nothing else
    may wait behind it (and nothing is flushed before the ticket has its number)."""
    with session.no_autoflush:
        ticket.reference = await next_reference(
            session, REFERENCE_KIND, ticket.created_at.astimezone(settings.zone).year
        )
    await repository.save(session)
    await _publish_created(session, ticket, principal)


async def _fill(session: AsyncSession, ticket: Ticket, data: TicketIn) -> None:
    """What the intake copies from the body, the priority and what the park knows."""
    ticket.type = data.type
    ticket.title = data.title
    ticket.description = data.description
    ticket.search = document(data.title, data.description)
    ticket.urgency = data.urgency
    ticket.impact = data.impact
    ticket.priority_manual = data.priority is not None
    ticket.priority = data.priority or await priorities.compute(session, data.urgency, data.impact)
    ticket.room_code = data.room_code
    ticket.hardware_need = data.hardware_need
    _set_person(ticket, "requester", data.requester)
    _set_person(ticket, "affected_user", data.affected_user)
    await _set_asset(session, ticket, data.asset_tag, room_given=data.room_code is not None)


async def _publish_created(session: AsyncSession, ticket: Ticket, principal: Principal) -> None:
    await outbox.publish(
        session,
        TicketCreatedV1(
            **event_fields(ticket, principal),
            description=ticket.description,
            channel=ticket.channel.value,
            channel_label=CHANNEL_LABELS[ticket.channel],
            urgency=ticket.urgency,
            urgency_label=LEVEL_LABELS[ticket.urgency],
            impact=ticket.impact,
            impact_label=LEVEL_LABELS[ticket.impact],
            created_at=ticket.created_at,
        ),
        subject=ticket.reference,
    )


async def _category(session: AsyncSession, code: str) -> Category:
    category = await categories.find(session, code)
    if category is None or not category.active:
        raise invalid("category", f"no category {code} open to new tickets")
    return category


def check_answers(category: Category, answers: dict[str, FieldAnswer]) -> dict[str, Any]:
    """The answers to the category's own fields, checked: each required field answered,
    no unknown key, choices among those offered."""
    fields = {field.key: field for field in map(CategoryField.model_validate, category.fields)}
    for key in answers:
        if key not in fields:
            raise invalid(f"category_fields.{key}", f"category {category.code} asks no {key}")
    checked: dict[str, Any] = {}
    for key, field in fields.items():
        answer = answers.get(key)
        if _blank(answer):
            if field.required:
                raise invalid(
                    f"category_fields.{key}", f"{field.label}: required for {category.code}"
                )
            continue
        checked[key] = _checked_answer(field, answer)
    return checked


def _blank(answer: FieldAnswer | None) -> bool:
    # Spaces alone answer nothing: a required field needs more.
    return not (answer.strip() if isinstance(answer, str) else answer)


def _checked_answer(field: CategoryField, answer: FieldAnswer | None) -> FieldAnswer:
    where = f"category_fields.{field.key}"
    if field.kind is FieldKind.TEXT:
        if not isinstance(answer, str):
            raise invalid(where, f"{field.label}: a text")
        return answer.strip()
    values = [answer] if isinstance(answer, str) else list(answer or [])
    if field.kind is FieldKind.CHOICE and len(values) != 1:
        raise invalid(where, f"{field.label}: one choice")
    unknown = [value for value in values if value not in field.choices]
    if unknown:
        raise invalid(
            where, f"{field.label}: {', '.join(unknown)} not among {', '.join(field.choices)}"
        )
    return values[0] if field.kind is FieldKind.CHOICE else sorted(set(values), key=values.index)


def _set_person(ticket: Ticket, role: str, person: Person | None) -> None:
    name, email, phone = _PERSON_COLUMNS[role]
    setattr(ticket, name, person.name if person else None)
    setattr(ticket, email, person.email if person else None)
    setattr(ticket, phone, person.phone if person else None)


async def _set_asset(
    session: AsyncSession, ticket: Ticket, asset_tag: str | None, *, room_given: bool
) -> None:
    """A label the park knows fills the hostname, the model and, unless the caller gave
    one with it, the room; an unknown one is kept and flagged (`asset_known` false), never
    refused: the helpdesk must never be blocked."""
    ticket.asset_tag = asset_tag
    ticket.asset_known = None
    ticket.hostname = None
    ticket.model = None
    if asset_tag is None:
        return
    host = await park.find_host(session, asset_tag)
    ticket.asset_known = host is not None
    if host is not None:
        ticket.asset_tag = host.asset_tag
        ticket.hostname = host.hostname
        # Make and model are 100 characters each in the park: cut to the ticket's column.
        ticket.model = " ".join(part for part in (host.make, host.model) if part)[:200] or None
        if not room_given and host.room_code is not None:
            ticket.room_code = host.room_code


# --- reading and editing ---------------------------------------------------------------------

# A ticket in these states is finished: nothing of it changes any more (reopening is a
# transition of the lifecycle).
FROZEN = frozenset({Status.CLOSED, Status.CANCELLED})
# Fields a patch copies as they are sent.
_PLAIN_FIELDS = (
    "title",
    "description",
    "type",
    "urgency",
    "impact",
    "hardware_need",
    "channel",
    "room_code",
)


async def get_ticket(session: AsyncSession, reference: str, principal: Principal) -> Ticket:
    return await repository.get_visible(session, reference, Viewer.of(principal))


async def _for_update(session: AsyncSession, reference: str, principal: Principal) -> Ticket:
    return await repository.get_visible(session, reference, Viewer.of(principal), for_update=True)


def _check_open(ticket: Ticket) -> None:
    """A closed or cancelled ticket, its checklist included, no longer changes."""
    if ticket.status in FROZEN:
        raise Conflict(f"{ticket.reference} is {STATUS_LABELS[ticket.status].lower()}")


async def update_ticket(
    session: AsyncSession,
    reference: str,
    data: TicketPatch,
    principal: Principal,
    *,
    if_match: str | None,
    now: datetime | None = None,
) -> Ticket:
    """Only the fields sent change; each change is in the history with its old and new
    value. A closed or cancelled ticket no longer changes (409)."""
    # Locked until commit: of two writers of one version, the second gets 412.
    ticket = await _for_update(session, reference, principal)
    check_if_match(if_match, ticket.version)
    _check_open(ticket)
    before = _editable(ticket)
    await _apply(session, ticket, data)
    after = _editable(ticket)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if not changes:
        return ticket
    if "title" in changes or "description" in changes:
        ticket.search = document(ticket.title, ticket.description)
    ticket.updated_at = now or utcnow()
    repository.record_change(
        session,
        ticket,
        actor=principal.subject,
        actor_name=principal.name,
        action="updated",
        changes=changes,
    )
    await repository.save(session)
    return ticket


async def _apply(session: AsyncSession, ticket: Ticket, data: TicketPatch) -> None:
    sent = data.model_fields_set
    for name in _PLAIN_FIELDS:
        if name in sent:
            setattr(ticket, name, getattr(data, name))
    if "category" in sent or "category_fields" in sent:
        await _set_category(session, ticket, data)
    for role in ("requester", "affected_user"):
        if role in sent:
            _set_person(ticket, role, getattr(data, role))
    if "asset_tag" in sent:
        await _set_asset(session, ticket, data.asset_tag, room_given="room_code" in sent)
    if "priority" in sent:
        ticket.priority_manual = data.priority is not None
    if data.priority is not None:
        ticket.priority = data.priority
    elif not ticket.priority_manual:
        ticket.priority = await priorities.compute(session, ticket.urgency, ticket.impact)


async def _set_category(session: AsyncSession, ticket: Ticket, data: TicketPatch) -> None:
    """The answers sent, or the ticket's own while its category stays (none for a new
    one), checked against the category's fields."""
    category = await _category(session, data.category or ticket.category_code)
    if data.category_fields is not None:
        answers = data.category_fields
    else:
        answers = ticket.category_fields if category.code == ticket.category_code else {}
    ticket.category_code = category.code
    ticket.category_label = category.label
    ticket.category_fields = check_answers(category, answers)


def _editable(ticket: Ticket) -> dict[str, Any]:
    """The values the history compares, JSON-ready."""
    return {
        "title": ticket.title,
        "description": ticket.description,
        "type": ticket.type.value,
        "category": ticket.category_code,
        "category_fields": ticket.category_fields,
        "urgency": ticket.urgency,
        "impact": ticket.impact,
        "priority": ticket.priority,
        # Set by hand (or given back to the matrix) is a change even at the same level.
        "priority_manual": ticket.priority_manual,
        "room_code": ticket.room_code,
        "asset_tag": ticket.asset_tag,
        "hardware_need": ticket.hardware_need,
        "channel": ticket.channel.value,
        **{
            role: [getattr(ticket, column) for column in columns]
            for role, columns in _PERSON_COLUMNS.items()
        },
    }


async def history(
    session: AsyncSession, reference: str, principal: Principal, page: PageRequest
) -> Paged[TicketChange]:
    ticket = await repository.get_visible(session, reference, Viewer.of(principal))
    return await repository.changes(session, ticket, page)


# --- the checklist ---------------------------------------------------------------------------


async def list_tasks(
    session: AsyncSession, reference: str, principal: Principal
) -> list[TicketTask]:
    ticket = await repository.get_visible(session, reference, Viewer.of(principal))
    return await repository.tasks(session, ticket)


async def add_task(
    session: AsyncSession, reference: str, data: TaskIn, principal: Principal
) -> TicketTask:
    # Locked: two steps added at once take the next positions one after the other.
    ticket = await _for_update(session, reference, principal)
    _check_open(ticket)
    task = TicketTask(
        id=new_event_id(),
        ticket_id=ticket.id,
        position=await repository.next_task_position(session, ticket),
        label=data.label,
        duration_minutes=data.duration_minutes,
    )
    session.add(task)
    repository.record_change(
        session,
        ticket,
        actor=principal.subject,
        actor_name=principal.name,
        action="task_added",
        changes={"task": [None, data.label]},
    )
    await repository.save(session)
    return task


async def update_task(
    session: AsyncSession,
    reference: str,
    task_id: UUID,
    data: TaskPatch,
    principal: Principal,
    *,
    if_match: str | None,
    now: datetime | None = None,
) -> TicketTask:
    """Done: by whom and when; undone: both cleared."""
    # The ticket locked first: the task is read as the previous writer left it.
    ticket = await _for_update(session, reference, principal)
    task = await repository.get_task(session, ticket, task_id)
    check_if_match(if_match, task.version)
    _check_open(ticket)
    sent = data.model_fields_set
    if data.label is not None:
        task.label = data.label
    if "duration_minutes" in sent:
        task.duration_minutes = data.duration_minutes
    if data.done is not None and data.done != task.done:
        task.done = data.done
        task.done_by = principal.subject if data.done else None
        task.done_at = (now or utcnow()) if data.done else None
        repository.record_change(
            session,
            ticket,
            actor=principal.subject,
            actor_name=principal.name,
            action="task_done" if data.done else "task_undone",
            changes={"task": [None, task.label]},
        )
    await repository.save(session)
    return task
