"""One webhook attempt over a shared httpx client: signed, no redirects, 2xx or failure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from notifier.deliveries.models import RESPONSE_LIMIT
from notifier.webhooks.signing import signature_header
from notifier.webhooks.ssrf import Destination

USER_AGENT = "Guichet-Webhooks/1.0"


@dataclass(frozen=True)
class WebhookResponse:
    status_code: int | None  # None: no HTTP answer (connection refused, timeout)
    body: str
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def payload_body(event_type: str, event_time: datetime, data: dict[str, Any]) -> str:
    """The JSON text sent and signed: the same for every retry and replay of an event."""
    return json.dumps(
        {"type": event_type, "timestamp": event_time.isoformat(), "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - now).total_seconds())


async def post_webhook(
    client: httpx.AsyncClient,
    destination: Destination,
    *,
    message_id: str,
    timestamp: datetime,
    body: str,
    secrets_in_use: list[str],
) -> WebhookResponse:
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(secrets_in_use, message_id, timestamp, body),
    }
    try:
        with destination.pinned():
            async with client.stream(
                "POST", destination.url, content=body.encode(), headers=headers
            ) as response:
                # Read no more than the log keeps: a receiver cannot make us hold a huge
                # body.
                received = bytearray()
                async for chunk in response.aiter_bytes():
                    received += chunk
                    if len(received) >= RESPONSE_LIMIT:
                        break
    except httpx.HTTPError as exc:
        return WebhookResponse(None, f"{type(exc).__name__}: {exc}"[:RESPONSE_LIMIT])
    retry_after = None
    if response.status_code in (429, 503):
        retry_after = retry_after_seconds(response.headers.get("retry-after"), timestamp)
    text = bytes(received[:RESPONSE_LIMIT]).decode("utf-8", errors="replace")
    return WebhookResponse(response.status_code, text, retry_after)
