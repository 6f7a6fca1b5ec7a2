"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from guichet_common.auth import Principal, Role, require_roles
from notifier.settings import NotifierSettings


def service_settings(request: Request) -> NotifierSettings:
    return cast(NotifierSettings, request.app.state.definition.settings)


SettingsDep = Annotated[NotifierSettings, Depends(service_settings)]
AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
# Who may read timelines, preview templates and send a test: people who answer clients.
StaffDep = Annotated[
    Principal,
    Depends(require_roles(Role.SUPERVISOR, Role.GARAGE_TEACHER, Role.TECHNICIAN)),
]
TemplateEditorDep = Annotated[
    Principal, Depends(require_roles(Role.SUPERVISOR, Role.GARAGE_TEACHER))
]
