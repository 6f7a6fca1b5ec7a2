"""Across services on the embedded default: a public garage request becomes, through the
outbox, the in-process bus and the notifier's inbox and sender, a French acknowledgement
in `<data dir>/mail/`, visible in the notifier's timeline for that request."""

from __future__ import annotations

import email
import email.policy
import time
from pathlib import Path

import httpx
import pytest

from .test_guichet_up import Guichet, cli_token

pytestmark = pytest.mark.integration

REQUEST = {
    "last_name": "Martin",
    "first_name": "Léa",
    "email": "lea.martin@example.fr",
    "phone": "06 12 34 56 78",
    "plate": "ab-123-cd",
    "make": "Renault",
    "model": "Clio",
    "vin": "VF1RFB00X12345678",
    "mileage_km": 84210,
    "service_type": "oil_change",
    "description": "Vidange et contrôle des niveaux",
    "urgency": "low",
    "consent": True,
}


def test_a_garage_request_is_acknowledged_by_email(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    guichet = Guichet(data_dir)
    try:
        created = httpx.post(f"{guichet.base}/api/garage/requests", json=REQUEST, timeout=30)
        assert created.status_code == 201, created.text
        number = created.json()["number"]

        mail_dir = data_dir / "mail"
        deadline = time.monotonic() + 60
        while not (mails := sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []):
            assert time.monotonic() < deadline, "no acknowledgement written"
            time.sleep(0.3)
        message = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
        assert message["To"] == "lea.martin@example.fr"
        assert number in message["Subject"]
        assert message["Auto-Submitted"] == "auto-generated"
        assert number in message["References"]
        text = message.get_body(preferencelist=("plain",))
        assert text is not None and number in text.get_content()

        token = cli_token(data_dir, "supervisor", "dsi")
        timeline = httpx.get(
            f"{guichet.base}/api/notifier/deliveries",
            params={"subject": number},
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert timeline.status_code == 200, timeline.text
        deliveries = timeline.json()["items"]
        assert [d["state"] for d in deliveries] == ["sent"]
        assert deliveries[0]["channel"] == "email"
    finally:
        assert guichet.stop() == 0
