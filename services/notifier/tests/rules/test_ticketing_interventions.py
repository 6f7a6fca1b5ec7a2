"""The technician is e-mailed the intervention sheet when a visit is planned for them or
moved: who gets it, what it says (in French), and the sheet's PDF attached from the
signed link the event carries."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from guichet_common.db import SessionFactory
from notifier.rules import ticketing
from notifier.rules.rendering import RenderedEmail, render
from notifier.rules.service import RULES, SAMPLES, rules_for
from notifier.settings import NotifierSettings
from notifier.subscriptions import build_subscriptions

from ..conftest import HttpReceiver, MakeSender, SmtpServer, envelope, ingest
from ..conftest import stored_deliveries as deliveries

PARIS = ZoneInfo("Europe/Paris")
PLANNED = "ticketing.intervention.planned.v1"
TECHNICIAN = "theo.technicien@loiret.fr"


def rendered(**changes: Any) -> RenderedEmail:
    [rule] = rules_for(PLANNED)
    return render(rule.template, {**SAMPLES[PLANNED], **changes}, PARIS)


def test_the_planned_visit_rule_is_registered_with_its_sample() -> None:
    [rule] = rules_for(PLANNED)
    assert rule in RULES and rule in ticketing.RULES
    assert rule.template == "ticketing_intervention_planned"
    assert rule.attach_pdf_from == "sheet_url"
    assert ticketing.InterventionPlannedV1 in ticketing.CONSUMED
    ticketing.InterventionPlannedV1.model_validate(SAMPLES[PLANNED])
    [subscription] = build_subscriptions(NotifierSettings())
    assert subscription.handlers[PLANNED][0] is ticketing.InterventionPlannedV1


def test_it_goes_to_the_technician_only() -> None:
    [rule] = rules_for(PLANNED)
    assert rule.audience.resolve(SAMPLES[PLANNED], NotifierSettings()) == [TECHNICIAN]


@pytest.mark.parametrize(
    "event_type",
    ["ticketing.intervention.signed.v1", "ticketing.intervention.remote_session_recorded.v1"],
)
def test_other_intervention_events_send_no_email(event_type: str) -> None:
    assert rules_for(event_type) == []


def test_the_consumer_model_refuses_a_payload_without_the_sheets_link() -> None:
    without = {k: v for k, v in SAMPLES[PLANNED].items() if k != "sheet_url"}
    with pytest.raises(ValidationError, match="sheet_url"):
        ticketing.InterventionPlannedV1.model_validate(without)


def test_a_planned_visit_email_carries_the_sheet() -> None:
    email = rendered()
    assert email.subject == (
        "[INC-2026-000123] Intervention planifiée le mardi 1 décembre 2026 à 14:00 : "
        "Collège Jean Zay"
    )
    for text in (
        "Bonjour Théo Technicien,",
        "Une intervention vous est confiée le mardi 1 décembre 2026 à 14:00 (jusqu'à 15:00).",
        "La fiche d'intervention est jointe en PDF",
        "N° dossier : INC-2026-000123",
        "Objet : Le vidéoprojecteur de la salle B204 ne s'allume plus",
        "Typologie : Vidéoprojecteur et TBI",
        "Localisation : Collège Jean Zay, salle B204\n",
        "Matériel : Epson EB-685W (GPI 45001234)\n",
        "Besoin matériel : Une lampe ELPLP94",
        "Demandeur : Mme Claire Martin, tél. 02 38 00 00 00\n",
        "Utilisateur : M. Paul Durand, tél. 02 38 11 22 33\n",
        "Description :\nRemplacer la lampe et vérifier l'affichage au tableau.",
    ):
        assert text in email.text, text
    assert "<strong>mardi 1 décembre 2026 à 14:00</strong>" in email.html
    assert "<li>Typologie : Vidéoprojecteur et TBI</li>" in email.html
    assert SAMPLES[PLANNED]["sheet_url"] not in email.text  # attached: no link needed
    assert email.html.lstrip().startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert "{{" not in email.text + email.html


def test_a_moved_visit_says_when_it_was() -> None:
    email = rendered(moved_from="2026-11-30T08:00:00Z")
    assert email.subject.startswith(
        "[INC-2026-000123] Intervention déplacée au mardi 1 décembre 2026 à 14:00"
    )
    assert (
        "L'intervention INC-2026-000123 prévue le lundi 30 novembre 2026 à 09:00 est déplacée "
        "au mardi 1 décembre 2026 à 14:00 (jusqu'à 15:00)."
    ) in email.text
    # Taken from another technician: for this one, it is a new visit.
    handed_over = rendered(moved_from="2026-11-30T08:00:00Z", previous_technician="ines")
    assert "Intervention planifiée le" in handed_over.subject
    assert "vous est confiée" in handed_over.text


def test_without_its_attachment_the_email_gives_the_link() -> None:
    email = rendered(attachment_left_out=True)
    assert "n'a pas pu être jointe" in email.text
    assert SAMPLES[PLANNED]["sheet_url"] in email.text
    assert "lundi 14 décembre 2026" in email.text
    assert "Télécharger la fiche d'intervention" in email.html


def test_what_the_ticket_does_not_say_is_left_out() -> None:
    email = rendered(
        model=None, asset_tag=None, hardware_need=None, affected_name=None, room_code=None
    )
    assert "Localisation : Collège Jean Zay\n" in email.text
    for absent in ("Matériel", "Besoin matériel", "Utilisateur"):
        assert absent not in email.text and absent not in email.html
    hostile = rendered(description="<b>urgent</b> & fragile")
    assert "&lt;b&gt;urgent&lt;/b&gt; &amp; fragile" in hostile.html
    assert "<b>urgent</b> & fragile" in hostile.text


@pytest.mark.integration
async def test_the_technician_gets_the_sheet_attached(
    session_factory: SessionFactory,
    settings: NotifierSettings,
    smtp_server: SmtpServer,
    sender_factory: MakeSender,
    receiver: HttpReceiver,
) -> None:
    link = receiver.url_for("/api/ticketing/intervention-sheets/INC-2026-000123.pdf")
    data = {**SAMPLES[PLANNED], "sheet_url": f"{link}?token=abc.def"}
    await ingest(session_factory, settings, envelope(PLANNED, data, subject="INC-2026-000123"))
    [delivery] = await deliveries(session_factory)
    assert (delivery.template, delivery.recipient) == ("ticketing_intervention_planned", TECHNICIAN)
    receiver.script.append((200, {"content-type": "application/pdf"}, b"%PDF-1.7 sheet"))
    assert await sender_factory(smtp_server.url).run_once() == 1
    [request] = receiver.requests
    assert request.path.startswith("/api/ticketing/intervention-sheets/INC-2026-000123.pdf")
    [message] = smtp_server.handler.messages
    assert message["To"] == TECHNICIAN
    assert message.get_content_type() == "multipart/mixed"
    _, pdf = message.iter_parts()
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "INC-2026-000123.pdf"  # named after the ticket
    assert pdf.get_content() == b"%PDF-1.7 sheet"
