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


SELLER_ENV = {
    "GARAGE_SELLER_NAME": "Lycée des métiers Jean Moulin — garage pédagogique",
    "GARAGE_SELLER_ADDRESS": "12 rue des Ateliers, 45000 Orléans",
    "GARAGE_SELLER_SIRET": "194 500 012 00019",
    "GARAGE_SELLER_VAT_NUMBER": "FR 40 194500012",
}


def test_a_garage_request_is_acknowledged_by_email(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    # On a free port, GUICHET_PUBLIC_BASE_URL unset; the garage's identity set (no quote
    # is issued without it).
    guichet = Guichet(data_dir, extra_env=SELLER_ENV)
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

        # Accepted, done: the pickup notice carries the invoice.
        decided = httpx.post(
            issued.json()["decision_url"],
            data={"decision": "accept", "name": "Léa Martin", "agreement": "yes"},
            timeout=30,
        )
        assert decided.status_code == 200, decided.text
        for action in ({"action": "start"}, {"action": "finish", "mileage_km": 84_512}):
            etag = httpx.get(
                f"{guichet.base}/api/garage/requests/{number}", headers=teacher, timeout=30
            ).headers["etag"]
            moved = httpx.post(
                f"{guichet.base}/api/garage/requests/{number}/transitions",
                json=action,
                headers={**teacher, "If-Match": etag},
                timeout=60,
            )
            assert moved.status_code == 200, moved.text
        invoice = httpx.get(
            f"{guichet.base}/api/garage/requests/{number}/invoice", headers=teacher, timeout=30
        ).json()
        *_, pickup_mail = wait_for_mails(data_dir / "mail", 4)
        assert invoice["number"] in pickup_mail["Subject"] or invoice["number"] in str(
            pickup_mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        )
        [invoice_pdf] = list(pickup_mail.iter_attachments())
        assert invoice_pdf.get_filename() == f"{invoice['number']}.pdf"
        stored = httpx.get(
            f"{guichet.base}/api/garage/requests/{number}/invoice.pdf", headers=teacher, timeout=30
        )
        assert invoice_pdf.get_content() == stored.content
    finally:
        assert guichet.stop() == 0
