"""What imaging's routers depend on: its settings and who calls.

Technicians and supervisors read and change the park; sites, naming policies and the
software references are a supervisor's; agents (the GLPI agent, the masterisation script)
report inventories with an API key scoped `imaging:agent`. A token or key limited to some
sites (`sites` claim, key sites) touches those sites only: `check_site`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from guichet_common.auth import Principal, require_access
from guichet_common.http import Forbidden
from guichet_common.identity import Role
from guichet_common.runtime import settings_dependency
from imaging.settings import SERVICE, ImagingSettings

SettingsDep = Annotated[ImagingSettings, Depends(settings_dependency(ImagingSettings))]
ParkReads = Annotated[
    Principal,
    Depends(require_access(SERVICE, Role.TECHNICIAN, Role.SUPERVISOR, access="read")),
]
ParkWrites = Annotated[
    Principal,
    Depends(require_access(SERVICE, Role.TECHNICIAN, Role.SUPERVISOR, access="write")),
]
SupervisorWrites = Annotated[
    Principal, Depends(require_access(SERVICE, Role.SUPERVISOR, access="write"))
]


def check_site(principal: Principal, site_code: str) -> None:
    """403 unless the caller covers `site_code` (callers without a site list cover all)."""
    if principal.sites is not None and site_code.upper() not in {
        s.upper() for s in principal.sites
    }:
        raise Forbidden(f"this caller does not cover site {site_code}")
