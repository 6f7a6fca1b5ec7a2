"""`/api/ticketing/settings/sla-targets` (the targets per priority, a supervisor's setting)
and `/api/ticketing/tickets/{reference}/sla` (a ticket's clocks, explained). Both are the
helpdesk's: requesters do not see the clocks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from guichet_common.http import PRECONDITION_RESPONSES, PROBLEM, IfMatch, SessionDep, etag_for
from guichet_common.text import Text
from ticketing.deps import SettingsDep, StaffReads, SupervisorWrites
from ticketing.sla import service
from ticketing.sla.schemas import SlaOut, TargetsIn, TargetsOut

router = APIRouter(tags=["sla"])

TARGETS = "/settings/sla-targets"
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: PROBLEM,
    422: PROBLEM,
    **PRECONDITION_RESPONSES,
}


@router.get(TARGETS, response_model=TargetsOut, responses={403: PROBLEM})
async def get_sla_targets(
    response: Response, session: SessionDep, _caller: StaffReads
) -> TargetsOut:
    """Time to own and time to resolve per priority, in business minutes (the site's
    opening hours, less public and school holidays). The ETag is the whole set's."""
    targets = await service.get_targets(session)
    response.headers["ETag"] = etag_for(service.targets_version(targets))
    return TargetsOut.of(targets)


@router.put(TARGETS, response_model=TargetsOut, responses=WRITE_RESPONSES)
async def replace_sla_targets(
    data: TargetsIn,
    response: Response,
    session: SessionDep,
    supervisor: SupervisorWrites,
    if_match: IfMatch = None,
) -> TargetsOut:
    """All six priorities at once, each once (422 naming `targets` otherwise); time to
    resolve at least time to own (422 naming the field, `targets.2.ttr_minutes`). New
    tickets, and tickets whose priority changes, take them; the clocks already counting
    keep the targets they started with. Needs the ETag read with `If-Match`."""
    targets = await service.replace_targets(
        session, data, if_match=if_match, actor=supervisor.subject
    )
    response.headers["ETag"] = etag_for(service.targets_version(targets))
    return TargetsOut.of(targets)


@router.get("/tickets/{reference}/sla", response_model=SlaOut, responses={404: PROBLEM})
async def ticket_sla(
    reference: Text, session: SessionDep, settings: SettingsDep, caller: StaffReads
) -> SlaOut:
    """The ticket's two clocks: time to own (until first assigned) and time to resolve
    (until solved, paused while pending, resumed from the time spent on a reopen). For
    each: its status, deadline and 75 % warning, the business time spent and left, and
    every span from its start to now (or its stop), counted or not, with its reason in
    French (opening hours, lunch break, week-end, public or school holiday, a pause). When
    a clock counts past the school holidays known, `school_calendar_note` says that school
    days are counted as working days there. 404 for a ticket the caller does not see."""
    return await service.explain(session, settings, reference, caller)
