"""What ticketing's routers depend on: its settings and who calls.

Requesters open tickets and read theirs; technicians and supervisors read and work them; a
supervisor owns the settings (priority matrix, categories, staff). Who sees which ticket is
the `Viewer`: staff (and API keys) see every ticket of the sites they cover (all sites
without a `sites` claim); a requester sees the tickets they opened or that name them (by
`sub` or `email`), and, with a `sites` claim (a principal, a school's local contact), every
ticket of those sites."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from guichet_common.auth import Principal, require_access
from guichet_common.identity import Role
from guichet_common.runtime import settings_dependency
from ticketing.settings import SERVICE, TicketingSettings

SettingsDep = Annotated[TicketingSettings, Depends(settings_dependency(TicketingSettings))]
# Everyone with a ticketing role, each seeing what their Viewer allows.
TicketReads = Annotated[
    Principal,
    Depends(
        require_access(SERVICE, Role.REQUESTER, Role.TECHNICIAN, Role.SUPERVISOR, access="read")
    ),
]
TicketWrites = Annotated[
    Principal,
    Depends(
        require_access(SERVICE, Role.REQUESTER, Role.TECHNICIAN, Role.SUPERVISOR, access="write")
    ),
]
# The helpdesk: technicians and supervisors.
StaffReads = Annotated[
    Principal, Depends(require_access(SERVICE, Role.TECHNICIAN, Role.SUPERVISOR, access="read"))
]
StaffWrites = Annotated[
    Principal,
    Depends(require_access(SERVICE, Role.TECHNICIAN, Role.SUPERVISOR, access="write")),
]
SupervisorWrites = Annotated[
    Principal, Depends(require_access(SERVICE, Role.SUPERVISOR, access="write"))
]


@dataclass(frozen=True)
class Viewer:
    """Which tickets a caller sees."""

    subject: str
    email: str | None  # lower-cased
    staff: bool  # technician, supervisor, admin or API key
    sites: frozenset[str] | None  # upper-cased; None: every site (staff only)
    name: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Viewer:
        staff = bool(principal.scopes) or principal.has_any_role(Role.TECHNICIAN, Role.SUPERVISOR)
        sites = (
            frozenset(code.upper() for code in principal.sites)
            if principal.sites is not None
            else None
        )
        return cls(
            subject=principal.subject,
            email=principal.email.lower() if principal.email else None,
            staff=staff,
            # A requester without a `sites` claim covers no site: theirs only.
            sites=sites if staff or sites is not None else frozenset(),
            name=principal.name,
        )

    def covers(self, site_code: str) -> bool:
        return self.sites is None or site_code.upper() in self.sites

    def is_named_in(self, opened_by: str, *emails: str | None) -> bool:
        """The caller opened it, or is its requester or affected user by e-mail."""
        if opened_by == self.subject:
            return True
        return self.email is not None and any(
            email is not None and email.lower() == self.email for email in emails
        )
