"""Who reads which deliveries: need-to-know across services.

A delivery is about an event of one service (the first segment of its type). A person
reads the deliveries of the services their roles cover, recipients and all; ops read
every service's with recipients masked, to follow delivery health without personal data;
so do API keys (machines watching delivery, not people). Requesters read none.
"""

from __future__ import annotations

from dataclasses import dataclass

from guichet_common.auth import Principal
from guichet_common.identity import Role

# The services whose deliveries a role reads in clear (admins: every service).
ROLE_SERVICES: dict[str, frozenset[str]] = {
    Role.GARAGE_TEACHER: frozenset({"garage"}),
    Role.TECHNICIAN: frozenset({"ticketing", "imaging"}),
    Role.SUPERVISOR: frozenset({"ticketing", "imaging"}),
}


def service_of(event_type: str) -> str:
    """`garage.request.submitted.v1` → `garage`."""
    return event_type.split(".", 1)[0]


@dataclass(frozen=True)
class Reader:
    in_clear: frozenset[str] | None  # services read whole; None: every service
    masked_elsewhere: bool  # every other service read with recipients masked

    @classmethod
    def of(cls, principal: Principal) -> Reader:
        if principal.scopes:  # an API key
            return cls(frozenset(), masked_elsewhere=True)
        if Role.ADMIN in principal.roles:
            return cls(None, masked_elsewhere=False)
        covered = frozenset().union(*(ROLE_SERVICES.get(role, ()) for role in principal.roles))
        return cls(covered, masked_elsewhere=Role.OPS in principal.roles)

    @property
    def services(self) -> frozenset[str] | None:
        """The services whose deliveries are shown at all; None: every service."""
        return None if self.in_clear is None or self.masked_elsewhere else self.in_clear

    def reads(self, event_type: str) -> bool:
        return self.services is None or service_of(event_type) in self.services

    def reads_in_clear(self, event_type: str) -> bool:
        return self.in_clear is None or service_of(event_type) in self.in_clear
