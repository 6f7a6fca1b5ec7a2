"""Ticketing's e-mails: who gets which, what they say (in French, for a school secretary),
and nothing for a requester reached by phone only."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from guichet_common.db import SessionFactory
from guichet_common.inbox import InboxHandler
from notifier.db import plumbing
from notifier.rules import ticketing
from notifier.rules.models import PayloadAddress
from notifier.rules.rendering import RenderedEmail, render
from notifier.rules.service import RULES, SAMPLES, rules_for
from notifier.settings import NotifierSettings
from notifier.subscriptions import build_subscriptions

from ..conftest import envelope, ingest
from ..conftest import stored_deliveries as deliveries

PARIS = ZoneInfo("Europe/Paris")
CREATED = "ticketing.ticket.created.v1"
ASSIGNED = "ticketing.ticket.assigned.v1"
SOLVED = "ticketing.ticket.solved.v1"
CLOSED = "ticketing.ticket.closed.v1"
REQUESTER = "claire.martin@ac-orleans-tours.fr"
TECHNICIAN = "theo.technicien@loiret.fr"


def rendered(event_type: str, **changes: Any) -> RenderedEmail:
    [rule] = rules_for(event_type)
    return render(rule.template, {**SAMPLES[event_type], **changes}, PARIS)


def every_part(email: RenderedEmail) -> str:
    return "\n".join((email.subject, email.text, email.html))


# --- the rules -------------------------------------------------------------------------------


def test_ticketing_rules_and_samples_are_registered() -> None:
    assert set(ticketing.RULES) <= set(RULES)
    for model in ticketing.CONSUMED:
        model.model_validate(SAMPLES[model.event_type])
    assert {rule.event_type for rule in ticketing.RULES} == {
        model.event_type for model in ticketing.CONSUMED
    }
    [subscription] = build_subscriptions(NotifierSettings())
    for model in ticketing.CONSUMED:
        assert subscription.handlers[model.event_type][0] is model


@pytest.mark.parametrize(
    ("event_type", "template", "recipient"),
    [
        (CREATED, "ticketing_ticket_created", REQUESTER),
        (ASSIGNED, "ticketing_ticket_assigned", TECHNICIAN),
        (SOLVED, "ticketing_ticket_solved", REQUESTER),
        (CLOSED, "ticketing_ticket_closed", REQUESTER),
    ],
)
def test_each_event_goes_to_its_person(event_type: str, template: str, recipient: str) -> None:
    [rule] = rules_for(event_type)
    assert rule.template == template
    # The solved and closed samples name a technician too: only the requester is told.
    assert rule.audience.resolve(SAMPLES[event_type], NotifierSettings()) == [recipient]


@pytest.mark.parametrize(
    "event_type",
    [
        "ticketing.ticket.planned.v1",
        "ticketing.ticket.pended.v1",
        "ticketing.ticket.resumed.v1",
        "ticketing.ticket.reopened.v1",
        "ticketing.ticket.cancelled.v1",
        "ticketing.ticket.followup_added.v1",
    ],
)
def test_other_ticket_events_send_no_email(event_type: str) -> None:
    assert rules_for(event_type) == []


def test_a_missing_address_resolves_to_nobody() -> None:
    settings = NotifierSettings()
    requester = PayloadAddress("requester_email")
    assert requester.resolve({**SAMPLES[CREATED], "requester_email": None}, settings) == []
    assert requester.resolve({**SAMPLES[CREATED], "requester_email": ""}, settings) == []
    assignee = PayloadAddress("assignee_email")
    assert assignee.resolve({**SAMPLES[ASSIGNED], "assignee_email": None}, settings) == []


def test_the_consumer_models_refuse_a_payload_without_what_the_emails_print() -> None:
    without = {k: v for k, v in SAMPLES[SOLVED].items() if k != "solution"}
    with pytest.raises(ValidationError, match="solution"):
        ticketing.TicketSolvedV1.model_validate(without)
    # Null is a value: a requester reached by phone only.
    ticketing.TicketCreatedV1.model_validate({**SAMPLES[CREATED], "requester_email": None})


# --- what they say ---------------------------------------------------------------------------


def test_the_requester_is_told_their_ticket_is_recorded() -> None:
    email = rendered(CREATED)
    assert email.subject == "Votre demande INC-2026-000123 a bien été enregistrée"
    for text in (
        "Bonjour Mme Claire Martin,",
        "le lundi 23 novembre 2026 à 09:30",
        "Sa référence est INC-2026-000123",
        "Objet : Le vidéoprojecteur de la salle B204 ne s'allume plus",
        "Établissement : Collège Jean Zay, salle B204",
        "Catégorie : Vidéoprojecteur et TBI",
        "Statut : Nouveau",
        "ne vous demandera jamais votre mot de passe",
    ):
        assert text in email.text, text
    assert "<strong>INC-2026-000123</strong>" in email.html
    assert "<li>Statut : Nouveau</li>" in email.html
    without_room = rendered(CREATED, room_code=None, asset_tag=None)
    assert "Établissement : Collège Jean Zay\n" in without_room.text
    assert "salle" not in without_room.text.split("Établissement")[1].split("\n")[0]
    assert "étiquette" not in without_room.text and "étiquette" not in without_room.html


def test_the_technician_is_told_what_is_assigned_to_them() -> None:
    email = rendered(ASSIGNED)
    assert email.subject == (
        "[INC-2026-000123] Ticket attribué : Le vidéoprojecteur de la salle B204 ne s'allume plus"
    )
    for text in (
        "Bonjour Théo Technicien,",
        "Le ticket INC-2026-000123 vous a été attribué par Sophie Superviseure.",
        "Établissement : Collège Jean Zay, salle B204",
        "Matériel (étiquette) : 45001234",
        "Priorité : Moyenne",
        "Statut : En cours (attribué)",
        "Groupe : Proximité Orléans nord",
        "Demandeur : Mme Claire Martin, claire.martin@ac-orleans-tours.fr, 02 38 00 00 00",
    ):
        assert text in email.text, text
    assert "<li>Priorité : Moyenne</li>" in email.html
    by_phone = rendered(ASSIGNED, requester_email=None, group_name=None, actor_name=None)
    assert "Demandeur : Mme Claire Martin, 02 38 00 00 00" in by_phone.text
    assert "Groupe" not in by_phone.text
    assert "vous a été attribué.\n" in by_phone.text


def test_the_requester_is_told_the_solution() -> None:
    email = rendered(SOLVED)
    assert email.subject == "Votre demande INC-2026-000123 a été résolue"
    for text in (
        "Votre demande INC-2026-000123 « Le vidéoprojecteur de la salle B204 ne s'allume plus »"
        " (Collège Jean Zay) a été résolue le mardi 24 novembre 2026 à 15:10 par Théo Technicien.",
        "Statut : Résolu",
        "Résultat : Matériel remplacé",
        "La lampe était usée : elle a été remplacée.\nLe vidéoprojecteur fonctionne.",
        "refusez la solution",
    ):
        assert text in email.text, text
    assert "white-space:pre-line" in email.html
    hostile = rendered(SOLVED, solution="<b>fait</b> & testé")
    assert "&lt;b&gt;fait&lt;/b&gt; &amp; testé" in hostile.html
    assert "<b>fait</b>" not in hostile.html
    assert "<b>fait</b> & testé" in hostile.text


def test_the_requester_is_told_it_is_closed() -> None:
    email = rendered(CLOSED)
    assert email.subject == "Votre demande INC-2026-000123 est close"
    for text in (
        "est close depuis le mercredi 25 novembre 2026 à 08:05",
        "Statut : Clos",
        "(Collège Jean Zay)",
    ):
        assert text in email.text, text


@pytest.mark.parametrize("event_type", [CREATED, ASSIGNED, SOLVED, CLOSED])
def test_every_ticketing_email_is_french_and_names_the_ticket(event_type: str) -> None:
    email = rendered(event_type)
    assert "INC-2026-000123" in email.subject
    for part in (email.text, email.html):
        assert "INC-2026-000123" in part
        assert "Collège Jean Zay" in part
        assert "Bonjour" in part
        assert "Guichet — message envoyé automatiquement" in part
    assert email.html.lstrip().startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert "{{" not in every_part(email) and "{%" not in every_part(email)


# --- ingestion -------------------------------------------------------------------------------


@pytest.mark.integration
async def test_the_requester_and_the_assignee_get_their_emails(
    session_factory: SessionFactory, settings: NotifierSettings
) -> None:
    for event_type in (CREATED, ASSIGNED, SOLVED, CLOSED):
        await ingest(
            session_factory,
            settings,
            envelope(event_type, SAMPLES[event_type], subject="INC-2026-000123"),
        )
    assert [(d.template, d.recipient) for d in await deliveries(session_factory)] == [
        ("ticketing_ticket_created", REQUESTER),
        ("ticketing_ticket_assigned", TECHNICIAN),
        ("ticketing_ticket_solved", REQUESTER),
        ("ticketing_ticket_closed", REQUESTER),
    ]


@pytest.mark.integration
async def test_a_requester_reached_by_phone_only_gets_nothing(
    session_factory: SessionFactory, settings: NotifierSettings
) -> None:
    [subscription] = build_subscriptions(settings)
    handler = InboxHandler("notifier.events", subscription, session_factory, plumbing)
    for event_type in (CREATED, SOLVED, CLOSED):
        phone_only = {**SAMPLES[event_type], "requester_email": None}
        # Through the consumer, as the worker takes it: accepted, and no delivery made.
        await handler(envelope(event_type, phone_only, subject="INC-2026-000124"))
    unassigned = {**SAMPLES[ASSIGNED], "assignee_email": None, "assignee_name": None}
    await handler(envelope(ASSIGNED, unassigned, subject="INC-2026-000124"))
    assert await deliveries(session_factory) == []
    # The same events with an address do make deliveries (the test above is not vacuous).
    await handler(envelope(CREATED, SAMPLES[CREATED], subject="INC-2026-000124"))
    assert [d.recipient for d in await deliveries(session_factory)] == [REQUESTER]
