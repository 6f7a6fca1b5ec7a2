"""`/templates`: the rule templates, preview with sample data, test send."""

from __future__ import annotations

from fastapi import APIRouter, Response

from guichet_common.events import utcnow
from guichet_common.http import PROBLEM, SessionDep, etag_for
from guichet_common.text import Text
from notifier.deps import SettingsDep, StaffReads, StaffWrites
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
async def list_templates(_staff: StaffReads) -> list[TemplateInfo]:
    """Each template with the event types and audiences of the rules that use it."""
    return [TemplateInfo.of(name, rules) for name, rules in service.templates()]


@router.post("/{name}/preview", response_model=PreviewOut, responses={404: PROBLEM, 422: PROBLEM})
async def preview_template(
    name: Text, _staff: StaffReads, settings: SettingsDep, body: PreviewRequest | None = None
) -> PreviewOut:
    """Renders the template with `data`, or with the rule's sample payload."""
    rendered = service.preview(name, body.data if body else None, settings.zone)
    return PreviewOut(subject=rendered.subject, text=rendered.text, html=rendered.html)


@router.post(
    "/{name}/test-send",
    response_model=TestSendOut,
    status_code=202,
    responses={404: PROBLEM, 422: PROBLEM},
)
async def test_send_template(
    name: Text,
    body: TestSendRequest,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _staff: StaffWrites,
) -> TestSendOut:
    """Queues one real email to `to` through the sender (timeline subject `TEST-<name>`)."""
    delivery, rendered = await service.send_test(
        session, name, str(body.to), body.data, settings, utcnow()
    )
    response.headers["ETag"] = etag_for(delivery.version)
    return TestSendOut(delivery_id=delivery.id, subject=rendered.subject)
