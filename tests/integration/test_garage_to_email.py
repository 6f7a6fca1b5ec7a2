"""Across services on the embedded default: a public garage request becomes, through the
outbox, the in-process bus and the notifier's inbox and sender, a French acknowledgement
in `<data dir>/mail/`, visible in the notifier's timeline for that request; its quote
reaches the client with the PDF attached, fetched from the port `guichet up` serves."""

from __future__ import annotations

import email
import email.policy
import time
from pathlib import Path

import httpx
import pytest

from .running import Guichet, cli_token

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


def wait_for_mails(mail_dir: Path, count: int) -> list[email.message.EmailMessage]:
    deadline = time.monotonic() + 60
    while len(mails := sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []) < count:
        assert time.monotonic() < deadline, f"{len(mails)} e-mail(s) written, not {count}"
        time.sleep(0.3)
    messages = []
    for path in mails:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        messages.append(message)
    return sorted(messages, key=lambda m: m["Date"].datetime)


def test_a_garage_request_is_acknowledged_by_email(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    guichet = Guichet(data_dir)  # on a free port, GUICHET_PUBLIC_BASE_URL unset
    try:
        created = httpx.post(f"{guichet.base}/api/garage/requests", json=REQUEST, timeout=30)
        assert created.status_code == 201, created.text
        number = created.json()["number"]
        assert created.json()["tracking_url"].startswith(f"{guichet.base}/garage/suivi/")

        [message] = wait_for_mails(data_dir / "mail", 1)
        assert message["To"] == "lea.martin@example.fr"
        assert number in message["Subject"]
        assert message["Auto-Submitted"] == "auto-generated"
        assert number in message["References"]
        text = message.get_body(preferencelist=("plain",))
        assert text is not None and number in text.get_content()

        token = cli_token(data_dir, "garage_teacher", "prof")
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

        teacher = {"Authorization": f"Bearer {cli_token(data_dir, 'garage_teacher', 'prof')}"}
        [quote] = httpx.get(
            f"{guichet.base}/api/garage/requests/{number}/quotes", headers=teacher, timeout=30
        ).json()
        quote_url = f"{guichet.base}/api/garage/quotes/{quote['id']}"
        etag = httpx.get(quote_url, headers=teacher, timeout=30).headers["etag"]
        issued = httpx.post(f"{quote_url}/issue", headers={**teacher, "If-Match": etag}, timeout=60)
        assert issued.status_code == 200, issued.text
        assert issued.json()["decision_url"].startswith(f"{guichet.base}/garage/devis/")
        _, quote_mail = wait_for_mails(data_dir / "mail", 2)
        [pdf] = list(quote_mail.iter_attachments())
        assert pdf.get_content_type() == "application/pdf"
        assert pdf.get_content().startswith(b"%PDF")
    finally:
        assert guichet.stop() == 0
