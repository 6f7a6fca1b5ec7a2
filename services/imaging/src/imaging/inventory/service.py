"""Inventories: matched to a registered host, recorded in its history with what changed,
announced; a host's history; software references and compliance.

An inventory never creates a host: the park is registered first (by hand or by import),
so a machine nobody registered, or a document that identifies nothing, is refused with
what it reported, for a technician to register it. The machine is found by its serial
(the system's, then the motherboard's), then by its MACs, then by its asset tag, leaving
out what identifies nothing: placeholder serials firmware reports when nobody set one,
virtual interfaces, and MACs registered on several hosts (a USB adapter or a dock goes
from desk to desk). Last, a document that names none of these (a partial inventory) is
of the host its agent (`deviceid`) reported before. A serial on two hosts in service is
a conflict a person must settle.

Agents retry: the same document sent again (same `deviceid`, same content, whatever the
order of its keys) records nothing and announces nothing. A partial inventory changes the
facets of the sections it sent; the others stay as the previous inventory left them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from guichet_common.auth import Principal
from guichet_common.events import new_event_id, utcnow
from guichet_common.http import Conflict, Forbidden, NotFound, check_if_match
from guichet_common.pagination import Paged, PageRequest
from imaging.deps import check_site
from imaging.events import InventoryChange, InventoryReportedV1, outbox
from imaging.hosts import repository as hosts_repository
from imaging.hosts import service as hosts
from imaging.hosts.models import Host, HostStatus, fold_serial
from imaging.inventory import readers, rendering, repository
from imaging.inventory.models import (
    AgentMessage,
    Inventory,
    InventorySummary,
    SoftwareReference,
    content_sha256,
    version_key,
)
from imaging.inventory.repository import LatestSummary
from imaging.inventory.schemas import (
    Finding,
    HostCompliance,
    SoftwareReferenceIn,
    SoftwareReferencePatch,
)
from imaging.naming.models import HostKind
from imaging.sites import service as sites
from imaging.sites.models import Site

# What the host's record holds at most of what an inventory tells (hosts' columns).
HOST_TEXT_MAX = 100
# The MACs a document is matched by at most (a host has at most 16; a query each).
MAX_MATCHED_MACS = 16
# The changes an event lists at most; the history keeps them all.
MAX_ANNOUNCED_CHANGES = 100


@dataclass(frozen=True)
class Reported:
    host: Host
    recorded: bool  # False: the agent sent the same document again


# --- matching ------------------------------------------------------------------------------


def _in_service_first(found: Sequence[Host]) -> list[Host]:
    """A retired host and the one that replaced it may share a serial: the live one."""
    live = [host for host in found if host.status != HostStatus.RETIRED]
    return live or list(found)


def _tags(found: Sequence[Host]) -> str:
    return ", ".join(sorted(host.asset_tag for host in found))


async def match_host(session: AsyncSession, message: AgentMessage) -> Host:
    """The registered host this inventory is of: by serial, by MACs, by asset tag, and
    last by the agent that reported it before (a partial inventory may send none)."""
    content = message.inventory_content()
    serials = readers.serials_of(content)
    macs = readers.macs_of(content)[:MAX_MATCHED_MACS]
    retired: Host | None = None  # a serial only a retired host has: the last resort
    for serial in serials:
        found = _in_service_first(await hosts_repository.find_by_serial(session, serial))
        if len(found) > 1:
            raise Conflict(f"ambiguous host: the serial {serial} is on {_tags(found)}")
        if found and found[0].status != HostStatus.RETIRED:
            return found[0]
        retired = retired or (found[0] if found else None)
    by_mac: dict[UUID, Host] = {}
    for found in (await hosts_repository.find_by_macs(session, macs)).values():
        if len(found) == 1:  # on several hosts: an adapter that says nothing of the machine
            by_mac[found[0].id] = found[0]
    if len(by_mac) > 1:
        raise Conflict(f"ambiguous host: its MACs are on {_tags(list(by_mac.values()))}")
    if by_mac:
        return next(iter(by_mac.values()))
    asset_tag = readers.asset_tag_of(content)
    if asset_tag is not None:
        host = await hosts_repository.find_by_asset_tag(session, asset_tag)
        if host is not None:
            return host
    known = await repository.host_of_device(session, message.deviceid)
    if known is not None:
        return known
    if retired is not None:  # a re-labelled PC's old record, and nothing live matches
        return retired
    raise NotFound(
        "unknown host: register it first "
        f"(serial {', '.join(serials) or 'none'}, MACs {', '.join(macs) or 'none'}"
        + (f", asset tag {asset_tag}" if asset_tag else "")
        + ")"
    )


# --- reporting -----------------------------------------------------------------------------


def _announced(changes: list[InventoryChange]) -> list[InventoryChange]:
    """What the event carries: the first changes and how many more the history holds (a
    reinstalled PC changes hundreds of software; an event stays small)."""
    if len(changes) <= MAX_ANNOUNCED_CHANGES:
        return changes
    rest = len(changes) - MAX_ANNOUNCED_CHANGES + 1
    more = InventoryChange(
        kind="more", label=f"… et {rest} autres changements : voir l'historique du poste"
    )
    return [*changes[: MAX_ANNOUNCED_CHANGES - 1], more]


async def _complete_host(
    session: AsyncSession, host: Host, summary: InventorySummary, now: datetime
) -> None:
    """What the host's record lacks and the inventory tells (serial, make, model) is
    filled in, and announced; what a person wrote is never overwritten."""
    filled = False
    if host.serial is None and summary.serial:
        host.serial, filled = fold_serial(summary.serial)[:HOST_TEXT_MAX], True
    if host.make is None and summary.make:
        host.make, filled = summary.make[:HOST_TEXT_MAX], True
    if host.model is None and summary.model:
        host.model, filled = summary.model[:HOST_TEXT_MAX], True
    if filled:
        await hosts.save_host(session, host, now=now)
        await hosts.publish_updated(session, host)


async def report(
    session: AsyncSession,
    caller: Principal,
    message: AgentMessage,
    *,
    agent_id: str,
    now: datetime | None = None,
) -> Reported:
    """Record an inventory in its host's history, with what changed since the previous
    one, and announce it (`imaging.host.inventory_reported.v1`)."""
    content = message.inventory_content()
    matched = await match_host(session, message)
    check_site(caller, matched.site.code)
    # One inventory of a host at a time: a retry racing its original records once.
    host = await hosts.get_host(session, matched.asset_tag, for_update=True)
    previous = await repository.latest(session, host)
    document = message.stored()
    digest = content_sha256(document)
    if previous is not None and previous.content_sha256 == digest:
        return Reported(host, recorded=False)
    before = None if previous is None else InventorySummary.model_validate(previous.summary)
    summary = readers.summarise(content, partial=message.partial, previous=before)
    changes = [] if before is None else rendering.changes(before, summary)
    moment = now or utcnow()
    inventory = Inventory(
        id=new_event_id(),
        host_id=host.id,
        received_at=moment,
        agent_id=agent_id,
        device_id=message.deviceid,
        versionclient=content.versionclient,
        partial=message.partial,
        content_sha256=digest,
        document=document,
        summary=summary.model_dump(mode="json"),
        changes=[change.model_dump() for change in changes],
    )
    await repository.save(session, inventory)
    await _complete_host(session, host, summary, moment)
    event = InventoryReportedV1(
        host_id=host.id,
        site_code=host.site.code,
        asset_tag=host.asset_tag,
        hostname=host.hostname,
        reported_at=moment,
        agent=content.versionclient,
        first=previous is None,
        changes=_announced(changes),
    )
    await outbox.publish(session, event, subject=host.asset_tag)
    return Reported(host, recorded=True)


# --- a host's history ------------------------------------------------------------------------


async def _host(session: AsyncSession, caller: Principal, asset_tag: str) -> Host:
    host = await hosts.get_host(session, asset_tag)
    check_site(caller, host.site.code)
    return host


async def history(
    session: AsyncSession, caller: Principal, asset_tag: str, page: PageRequest
) -> tuple[Paged[Inventory], UUID | None]:
    """The host's inventories, newest first, and the id of its first one."""
    host = await _host(session, caller, asset_tag)
    return await repository.history(session, host, page), await repository.first_id(session, host)


async def latest(
    session: AsyncSession, caller: Principal, asset_tag: str
) -> tuple[Host, Inventory]:
    """The host and its latest inventory, document included."""
    host = await _host(session, caller, asset_tag)
    found = await repository.latest(session, host, document=True)
    if found is None:
        raise NotFound(f"no inventory of {host.asset_tag} yet")
    return host, found


# --- compliance ------------------------------------------------------------------------------


def evaluate(
    summary: InventorySummary, kind: HostKind, references: Sequence[SoftwareReference]
) -> list[Finding]:
    """The references of the host's kind it does not meet: a software whose name starts
    with the pattern (any case) is missing, or all those installed are below the minimum
    version (compared part by part: 128.0.1 > 128.0 > 115.12)."""
    findings: list[Finding] = []
    for reference in references:
        if reference.host_kind is not None and reference.host_kind != kind:
            continue
        prefix = reference.name_pattern.casefold()
        installed = {
            name: version
            for name, version in summary.softwares.items()
            if name.casefold().startswith(prefix)
        }
        wanted = reference.min_version
        if not installed:
            label = rendering.missing(reference.label, reference.name_pattern, wanted)
        elif wanted and max(map(version_key, installed.values())) < version_key(wanted):
            label = rendering.outdated(reference.label, installed, wanted)
        else:
            continue
        findings.append(
            Finding(
                reference_id=reference.id,
                kind="missing" if not installed else "outdated",
                name_pattern=reference.name_pattern,
                min_version=wanted,
                installed=installed,
                label=label,
            )
        )
    return findings


def _compliance(
    host: Host, latest: LatestSummary | None, references: Sequence[SoftwareReference]
) -> HostCompliance:
    """The host judged on its latest inventory by its site's references and every
    site's (unknown when it was never inventoried)."""
    findings = []
    if latest is not None:
        applicable = [r for r in references if r.site_id in (None, host.site_id)]
        summary = InventorySummary.model_validate(latest.summary)
        findings = evaluate(summary, host.kind, applicable)
    return HostCompliance(
        asset_tag=host.asset_tag,
        hostname=host.hostname,
        site_code=host.site.code,
        inventoried_at=None if latest is None else latest.received_at,
        compliant=None if latest is None else not findings,
        findings=findings,
    )


async def host_compliance(
    session: AsyncSession, caller: Principal, asset_tag: str
) -> HostCompliance:
    """What the host's latest inventory lacks of the references of its site and kind."""
    host = await _host(session, caller, asset_tag)
    latest = (await repository.latest_summaries(session, [host])).get(host.id)
    references = await repository.references_of_sites(session, [host.site_id])
    return _compliance(host, latest, references)


async def non_compliant(
    session: AsyncSession, caller: Principal, page: PageRequest, *, site_code: str | None
) -> Paged[HostCompliance]:
    """The hosts not retired (of the site, or of every site the caller covers) that do
    not meet a reference, or were never inventoried, by asset tag. A page examines
    `limit` hosts and lists those: it may list fewer, none, and still have a next one.
    Three statements a page: the hosts, their latest inventories, the references."""
    site = None
    if site_code is not None:
        site = await sites.get_site(session, site_code)
        check_site(caller, site.code)
    hosts_page = await repository.hosts_to_check(session, page, site=site, covered=caller.sites)
    latest = await repository.latest_summaries(session, hosts_page.items)
    references = await repository.references_of_sites(
        session, {host.site_id for host in hosts_page.items}
    )
    judged = [_compliance(host, latest.get(host.id), references) for host in hosts_page.items]
    return Paged([j for j in judged if j.compliant is not True], hosts_page.next_cursor)


# --- software references -------------------------------------------------------------------


async def _scope(session: AsyncSession, caller: Principal, site_code: str | None) -> Site | None:
    """The site a reference is for (None: every site, for callers who cover them all)."""
    if site_code is None:
        if caller.sites is not None:
            raise Forbidden("a reference for every site needs a caller who covers every site")
        return None
    site = await sites.get_site(session, site_code)
    check_site(caller, site.code)
    return site


def _check_reference_scope(caller: Principal, reference: SoftwareReference) -> None:
    if reference.site is None:
        if caller.sites is not None:
            raise Forbidden("a reference for every site needs a caller who covers every site")
    else:
        check_site(caller, reference.site.code)


async def create_reference(
    session: AsyncSession, caller: Principal, data: SoftwareReferenceIn
) -> SoftwareReference:
    site = await _scope(session, caller, data.site_code)
    reference = SoftwareReference(
        id=new_event_id(),
        site=site,
        host_kind=data.host_kind,
        name_pattern=data.name_pattern,
        min_version=data.min_version,
        label=data.label,
    )
    await repository.save(session, reference)
    return reference


async def get_reference(
    session: AsyncSession, caller: Principal, reference_id: UUID, *, for_update: bool = False
) -> SoftwareReference:
    reference = await repository.get_reference(session, reference_id, for_update=for_update)
    if reference is None or (
        reference.site is not None
        and caller.sites is not None
        and reference.site.code.upper() not in {s.upper() for s in caller.sites}
    ):
        raise NotFound(f"no software reference {reference_id}")
    return reference


async def list_references(
    session: AsyncSession,
    caller: Principal,
    page: PageRequest,
    *,
    site_code: str | None,
    host_kind: HostKind | None,
) -> Paged[SoftwareReference]:
    site = None
    if site_code is not None:
        site = await sites.get_site(session, site_code)
        check_site(caller, site.code)
    return await repository.list_references(
        session, page, site=site, covered=caller.sites, host_kind=host_kind
    )


async def update_reference(
    session: AsyncSession,
    caller: Principal,
    reference_id: UUID,
    data: SoftwareReferencePatch,
    *,
    if_match: str | None,
) -> SoftwareReference:
    """Only the fields sent change."""
    reference = await get_reference(session, caller, reference_id, for_update=True)
    _check_reference_scope(caller, reference)
    check_if_match(if_match, reference.version)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(reference, name, value)
    await repository.save(session, reference)
    return reference


async def delete_reference(
    session: AsyncSession, caller: Principal, reference_id: UUID, *, if_match: str | None
) -> None:
    reference = await get_reference(session, caller, reference_id, for_update=True)
    _check_reference_scope(caller, reference)
    check_if_match(if_match, reference.version)
    await repository.delete(session, reference)
