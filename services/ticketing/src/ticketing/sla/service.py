"""The SLA's rules: two clocks per ticket counting business time on its site's calendar,
their deadlines, the worker's warnings and breaches, and the explanation people read.

- Time to own (TTO) runs from the ticket's creation until someone has it (a technician or
  a support group), or it is solved or cancelled first.
- Time to resolve (TTR) runs from the creation until the ticket is solved; it is paused
  while the ticket is pending; a reopen resumes it from the time already spent (never
  from zero); a close or a cancellation ends it for good.

The clocks follow the ticket's status (`follow`, called by the lifecycle after each
action), so they never need to know the action itself. A running clock's deadline is its
start plus what it has left, in business time (`business_time.add_business_time`); its
warning comes at 75 % of the target. A deadline is announced once (a warning, then a
breach): the clock keeps the deadline each was last given for. One that moves (a new
priority, a pause, the site's new hours) may be announced again; one recomputed to the same
instant never is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.events import Event, utcnow
from guichet_common.http import check_if_match
from guichet_common.logging import get_logger
from ticketing.deps import Viewer
from ticketing.events import TicketSlaBreachedV1, TicketSlaEvent, TicketSlaWarnedV1, outbox
from ticketing.park import repository as park
from ticketing.park.models import ParkSite
from ticketing.settings import TicketingSettings
from ticketing.sla import repository
from ticketing.sla.business_time import (
    SiteCalendar,
    add_business_time,
    business_time,
    load_school_holidays,
    segments,
)
from ticketing.sla.models import (
    CLOCK_LABELS,
    WARNING_SHARE,
    ClockEnd,
    ClockKind,
    SlaClock,
    SlaPeriod,
    SlaTarget,
)
from ticketing.sla.schemas import ClockOut, SegmentOut, SiteUpdatedV1, SlaOut, TargetsIn
from ticketing.tickets import repository as tickets
from ticketing.tickets.models import PendingReason, Status, Ticket
from ticketing.tickets.service import event_fields

log = get_logger(__name__)

# Who the worker's events name as their actor.
SLA_ACTOR = Principal(subject="guichet-sla", name="Guichet (suivi des délais)")

# The periods' reasons, in French: people read them in `GET …/sla`.
RUNNING = "en cours"
PAUSE_REASONS = {
    PendingReason.USER: "en attente (utilisateur)",
    PendingReason.SUPPLIER: "en attente (fournisseur)",
    PendingReason.PART: "en attente (pièce)",
}
SOLVED_THEN_REOPENED = "résolu, puis rouvert"

_NONE = timedelta()
# The statuses that end both clocks, and how.
_ENDING = {
    Status.SOLVED: ClockEnd.SOLVED,
    Status.CLOSED: ClockEnd.SOLVED,
    Status.CANCELLED: ClockEnd.CANCELLED,
}


def calendar_of(
    settings: TicketingSettings,
    school_zone: str,
    department: str | None,
    opening_hours: Sequence[Mapping[str, Any]],
) -> SiteCalendar:
    """A site's calendar in the service's time zone, with the configured school holidays."""
    return SiteCalendar.from_park(
        settings.zone,
        school_zone,
        department,
        opening_hours,
        school_holidays=load_school_holidays(settings.school_holidays_file),
    )


async def site_calendar(
    session: AsyncSession, settings: TicketingSettings, site_code: str
) -> SiteCalendar:
    """The calendar of a ticket's site, from the park's read model. The park only ever
    adds or updates sites: a ticket's site is always there."""
    site = await park.find_site(session, site_code)
    if site is None:
        raise LookupError(f"the park has no site {site_code}, yet a ticket names it")
    return calendar_of(settings, site.zone, site.department, site.opening_hours)


# --- a clock's arithmetic ----------------------------------------------------------------------


def next_check(clock: SlaClock) -> datetime | None:
    """When the worker next has something to say: the warning, unless already given for
    this deadline, then the deadline, unless already breached; nothing otherwise."""
    if clock.deadline is None or clock.breached_deadline == clock.deadline:
        return None
    if clock.warned_deadline != clock.deadline:
        return clock.warn_at
    return clock.deadline


def _schedule(clock: SlaClock, calendar: SiteCalendar) -> None:
    """A running clock's deadline and warning, from what it has left of its target. A clock
    already past (a new, shorter target) is due at once."""
    assert clock.running_since is not None
    target = timedelta(minutes=clock.target_minutes)
    spent = timedelta(seconds=clock.elapsed_seconds)
    clock.deadline = add_business_time(calendar, clock.running_since, max(target - spent, _NONE))
    clock.warn_at = add_business_time(
        calendar, clock.running_since, max(target * WARNING_SHARE - spent, _NONE)
    )
    clock.next_check_at = next_check(clock)


def _run(session: AsyncSession, clock: SlaClock, calendar: SiteCalendar, now: datetime) -> None:
    clock.running_since = now
    clock.stopped_at = clock.ended_by = None
    repository.add_period(session, clock, now, paused=False, reason=RUNNING)
    _schedule(clock, calendar)


async def _halt(
    session: AsyncSession, clock: SlaClock, calendar: SiteCalendar, now: datetime
) -> None:
    """The clock stops counting at `now`: what its running span counted is kept."""
    if clock.running_since is not None:
        spent = business_time(calendar, clock.running_since, max(now, clock.running_since))
        clock.elapsed_seconds += round(spent.total_seconds())
    clock.running_since = clock.deadline = clock.warn_at = clock.next_check_at = None
    await repository.end_period(session, clock, now)


async def _retarget(session: AsyncSession, clock: SlaClock, priority: int) -> None:
    target = await repository.target(session, priority)
    clock.priority = priority
    clock.target_minutes = target.tto_minutes if clock.kind is ClockKind.TTO else target.ttr_minutes


# --- what moves the clocks -------------------------------------------------------------------


async def start(
    session: AsyncSession,
    settings: TicketingSettings,
    ticket: Ticket,
    site: ParkSite,
    now: datetime,
) -> None:
    """A new ticket's clocks, both running from its creation on its priority's targets on
    its `site`'s calendar; written with the ticket (`tickets.service.file_ticket`)."""
    target = await repository.target(session, ticket.priority)
    calendar = calendar_of(settings, site.zone, site.department, site.opening_hours)
    for kind, minutes in ((ClockKind.TTO, target.tto_minutes), (ClockKind.TTR, target.ttr_minutes)):
        clock = SlaClock(
            ticket_id=ticket.id,
            kind=kind,
            priority=ticket.priority,
            target_minutes=minutes,
            elapsed_seconds=0,
        )
        session.add(clock)
        _run(session, clock, calendar, now)


def _wanted_end(clock: SlaClock, ticket: Ticket) -> ClockEnd | None:
    """How the ticket's status says the clock should have ended, if it should."""
    end = _ENDING.get(ticket.status)
    owned = ticket.assignee is not None or ticket.group_code is not None
    if end is None and clock.kind is ClockKind.TTO and owned:
        return ClockEnd.ASSIGNED
    return end


def _pause_reason(clock: SlaClock, ticket: Ticket) -> str | None:
    """Why the clock should be paused now (TTR while pending), if it should."""
    if clock.kind is ClockKind.TTR and ticket.status is Status.PENDING:
        return PAUSE_REASONS[ticket.pending_reason or PendingReason.USER]
    return None


async def follow(
    session: AsyncSession, settings: TicketingSettings, ticket: Ticket, now: datetime
) -> None:
    """The ticket's clocks brought in line with its status after an action: ended (owned,
    solved, cancelled), paused (pending, with its reason), resumed, or, for a solved TTR
    reopened, running again from the time it had spent. A ticket opened before the SLA
    existed has no clock: nothing happens."""
    clocks = await repository.clocks(session, ticket.id, for_update=True)
    calendar: SiteCalendar | None = None

    async def the_calendar() -> SiteCalendar:
        nonlocal calendar
        calendar = calendar or await site_calendar(session, settings, ticket.site_code)
        return calendar

    for clock in clocks:
        await _follow_one(session, clock, ticket, now, the_calendar)
    await repository.save(session)


async def _follow_one(
    session: AsyncSession,
    clock: SlaClock,
    ticket: Ticket,
    now: datetime,
    the_calendar: Callable[[], Awaitable[SiteCalendar]],
) -> None:
    end, pause = _wanted_end(clock, ticket), _pause_reason(clock, ticket)
    if clock.stopped_at is not None:
        # Only a solved TTR comes back (a reopen), from the time it had spent.
        reopened = end is None and clock.kind is ClockKind.TTR
        if not reopened or clock.ended_by is not ClockEnd.SOLVED:
            return
        repository.add_period(
            session, clock, clock.stopped_at, paused=True, reason=SOLVED_THEN_REOPENED, ended_at=now
        )
        if clock.priority != ticket.priority:
            await _retarget(session, clock, ticket.priority)
        _run(session, clock, await the_calendar(), now)
        return
    running = clock.running_since is not None
    if end is not None:
        await _halt(session, clock, await the_calendar(), now)
        clock.stopped_at, clock.ended_by = now, end
    elif pause is not None and running:
        await _halt(session, clock, await the_calendar(), now)
        repository.add_period(session, clock, now, paused=True, reason=pause)
    elif pause is None and not running:
        await repository.end_period(session, clock, now)
        _run(session, clock, await the_calendar(), now)


async def retarget(session: AsyncSession, settings: TicketingSettings, ticket: Ticket) -> None:
    """After a priority change: the clocks still counting (running or paused) take the new
    priority's targets and keep the time spent; a running one's deadline and warning are
    computed again (if the deadline moved, it may be announced again). Ended clocks keep
    their verdict."""
    clocks = await repository.clocks(session, ticket.id, for_update=True)
    changed = [c for c in clocks if c.stopped_at is None and c.priority != ticket.priority]
    if not changed:
        return
    calendar = await site_calendar(session, settings, ticket.site_code)
    for clock in changed:
        await _retarget(session, clock, ticket.priority)
        if clock.running_since is not None:
            _schedule(clock, calendar)
    await repository.save(session)


async def site_hours_changed(
    session: AsyncSession, settings: TicketingSettings, site: SiteUpdatedV1
) -> int:
    """A site's calendar changed (imaging's event, its hours as the event has them: the
    park's read model may not have it yet): the running clocks of its tickets get new
    deadlines, their time spent kept. The new hours count for the whole current running
    span. An event older than what the park holds changes nothing (the newer one's own
    recomputation is the right one); the number of clocks looked at."""
    known = await park.find_site(session, site.site_code)
    if known is not None and known.version > site.version:
        return 0
    calendar = calendar_of(settings, site.zone, site.department, site.opening_hours)
    clocks = await repository.running_clocks_of_site(session, site.site_code)
    for clock in clocks:
        _schedule(clock, calendar)
    await repository.save(session)
    return len(clocks)


# --- the worker --------------------------------------------------------------------------------


async def check_due(session: AsyncSession, now: datetime, limit: int) -> int:
    """One batch of the worker: up to `limit` due clocks (claimed, others' skipped), each
    announced (a warning at 75 %, a breach at 100 %; a breach only when both are due) and
    moved to its next check. Returns how many were claimed (fewer than `limit`: none is
    left, or others hold them)."""
    due = await repository.claim_due(session, now, limit)
    events: list[tuple[Event, str | None]] = []
    for item in due:
        event = _announcement(item.clock, item.ticket, now)
        if event is not None:
            events.append((event, item.ticket.reference))
        item.clock.next_check_at = next_check(item.clock)
    await outbox.publish_many(session, events)
    await repository.save(session)
    return len(due)


def _announcement(clock: SlaClock, ticket: Ticket, now: datetime) -> TicketSlaEvent | None:
    deadline = clock.deadline
    if deadline is None or clock.warn_at is None:
        return None
    target = clock.target_minutes * 60
    if deadline <= now and clock.breached_deadline != deadline:
        # A breach says the warning too: it is not sent afterwards.
        clock.breached_deadline = clock.warned_deadline = deadline
        return TicketSlaBreachedV1(**_sla_fields(clock, ticket, deadline, target))
    if clock.warn_at <= now and clock.warned_deadline != deadline:
        clock.warned_deadline = deadline
        return TicketSlaWarnedV1(**_sla_fields(clock, ticket, deadline, target * WARNING_SHARE))
    return None


def _sla_fields(
    clock: SlaClock, ticket: Ticket, deadline: datetime, threshold_seconds: float
) -> dict[str, object]:
    return {
        **event_fields(ticket, SLA_ACTOR),
        "clock": clock.kind.value,
        "clock_label": CLOCK_LABELS[clock.kind],
        "deadline": deadline,
        "target_minutes": clock.target_minutes,
        # By construction, the threshold was reached with this much spent.
        "elapsed_minutes": int(max(clock.elapsed_seconds, threshold_seconds) // 60),
    }


# --- the targets -------------------------------------------------------------------------------


def targets_version(targets: list[SlaTarget]) -> int:
    """The set's version: every replacement writes all six rows, so they share it."""
    return max(target.version for target in targets)


async def get_targets(session: AsyncSession) -> list[SlaTarget]:
    return await repository.targets(session)


async def replace_targets(
    session: AsyncSession,
    data: TargetsIn,
    *,
    if_match: str | None,
    actor: str,
    now: datetime | None = None,
) -> list[SlaTarget]:
    """Every priority's targets at once. Clocks already counting keep the targets they
    started with, until their ticket's priority changes; the same targets again write
    nothing."""
    targets = await repository.targets_for_update(session)
    check_if_match(if_match, targets_version(targets))
    wanted = {target.priority: target for target in data.targets}
    if all(
        (row.tto_minutes, row.ttr_minutes)
        == (wanted[row.priority].tto_minutes, wanted[row.priority].ttr_minutes)
        for row in targets
    ):
        return targets
    for row in targets:
        row.tto_minutes = wanted[row.priority].tto_minutes
        row.ttr_minutes = wanted[row.priority].ttr_minutes
        # Written even when unchanged: the six rows keep one version.
        row.updated_by = actor
        row.updated_at = now or utcnow()
    await repository.save(session)
    log.info("SLA targets replaced", actor=actor, version=targets_version(targets))
    return targets


# --- the explanation ---------------------------------------------------------------------------


async def explain(
    session: AsyncSession,
    settings: TicketingSettings,
    reference: str,
    principal: Principal,
    *,
    now: datetime | None = None,
) -> SlaOut:
    """The ticket's clocks explained: each one's status, deadline, business time spent and
    left, and every span of its life, counted or not, with its reason. Five queries,
    whatever the number of periods."""
    now = now or utcnow()
    ticket = await tickets.get_visible(session, reference, Viewer.of(principal))
    clocks = await repository.clocks(session, ticket.id)
    periods = await repository.periods(session, ticket.id)
    target = await repository.target(session, ticket.priority)
    calendar = await site_calendar(session, settings, ticket.site_code)
    explained = [
        _explain_clock(clock, [p for p in periods if p.kind is clock.kind], calendar, now)
        for clock in clocks
    ]
    ends = calendar.school_holidays.ends
    # The first instant the school-holiday data no longer covers, in the site's time zone.
    beyond = datetime.combine(ends + timedelta(days=1), time(0), tzinfo=calendar.zone)
    return SlaOut.of(ticket, target, explained, school_calendar_ends=ends, beyond=beyond)


def _explain_clock(
    clock: SlaClock, periods: list[SlaPeriod], calendar: SiteCalendar, now: datetime
) -> ClockOut:
    """The periods as spans: a pause is one span with its reason; a running period is cut
    where the calendar opens and closes, each piece with the calendar's reason."""
    end_of_life = clock.stopped_at or now
    spans: list[SegmentOut] = []
    for period in periods:
        start, end = period.started_at, max(period.ended_at or end_of_life, period.started_at)
        if period.paused and end > start:
            spans.append(SegmentOut.of(start, end, counted=False, reason=period.reason))
        elif end > start:
            spans += [
                SegmentOut.of(piece.start, piece.end, counted=piece.counted, reason=piece.reason)
                for piece in segments(calendar, start, end)
            ]
    elapsed = clock.elapsed_seconds
    if clock.running_since is not None:
        spent = business_time(calendar, clock.running_since, max(now, clock.running_since))
        elapsed += round(spent.total_seconds())
    started_at = periods[0].started_at if periods else end_of_life
    return ClockOut.of(clock, started_at, spans, elapsed, now)
