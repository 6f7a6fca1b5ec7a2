"""`/templates`: the rule templates, preview with sample data, test send."""

from __future__ import annotations

from fastapi import APIRouter

from guichet_common.events import utcnow
from guichet_common.http import SessionDep
from notifier.http import SettingsDep, StaffDep, TemplateEditorDep
from notifier.rules import service
from notifier.rules.schemas import (
    PreviewOut,
    PreviewRequest,
    TemplateInfo,
    TestSendOut,
    TestSendRequest,
)

router = APIRouter(prefix="/templates", tags=["templates"])


@router.get("", response_model=list[TemplateInfo])
async def list_templates(_principal: StaffDep) -> list[TemplateInfo]:
    """Each template with the event types and audiences of the rules that use it."""
    return [
        TemplateInfo(
            name=name,
            event_types=[r.event_type for r in rules],
            audiences=[r.audience.describe() for r in rules],
        )
        for name, rules in service.templates()
    ]


@router.post("/{name}/preview", response_model=PreviewOut)
async def preview_template(
    _principal: TemplateEditorDep, name: str, body: PreviewRequest | None = None
) -> PreviewOut:
    """Renders the template with `data`, or with the rule's sample payload."""
    rendered = service.preview(name, body.data if body else None)
    return PreviewOut(subject=rendered.subject, text=rendered.text, html=rendered.html)


@router.post("/{name}/test-send", response_model=TestSendOut, status_code=202)
async def test_send_template(
    session: SessionDep,
    _principal: TemplateEditorDep,
    settings: SettingsDep,
    name: str,
    body: TestSendRequest,
) -> TestSendOut:
    """Queues one real email to `to` through the sender (timeline subject `TEST-<name>`)."""
    delivery_id, rendered = await service.send_test(
        session, name, str(body.to), body.data, settings, utcnow()
    )
    return TestSendOut(delivery_id=delivery_id, subject=rendered.subject)
