"""Ticketing's SLA e-mails: the assignee warned at 75 % of a clock's target, the
supervisors (`NOTIFIER_TICKETING_SUPERVISORS`) told of every breach, in French."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from guichet_common.db import SessionFactory
from notifier.rules import ticketing
from notifier.rules.rendering import RenderedEmail, render
from notifier.rules.service import SAMPLES, rules_for
from notifier.settings import NotifierSettings
from notifier.subscriptions import build_subscriptions

from ..conftest import envelope, ingest
from ..conftest import stored_deliveries as deliveries

PARIS = ZoneInfo("Europe/Paris")
WARNED = "ticketing.ticket.sla_warned.v1"
BREACHED = "ticketing.ticket.sla_breached.v1"
TECHNICIAN = "theo.technicien@loiret.fr"
SUPERVISORS = ("sophie.superviseure@loiret.fr", "chef.service@loiret.fr")


def rendered(event_type: str, **changes: Any) -> RenderedEmail:
    [rule] = rules_for(event_type)
    return render(rule.template, {**SAMPLES[event_type], **changes}, PARIS)


def test_the_sla_events_are_consumed_and_sampled() -> None:
    assert {WARNED, BREACHED} <= {model.event_type for model in ticketing.CONSUMED}
    for model in (ticketing.TicketSlaWarnedV1, ticketing.TicketSlaBreachedV1):
        model.model_validate(SAMPLES[model.event_type])
    [subscription] = build_subscriptions(NotifierSettings())
    assert subscription.handlers[WARNED][0] is ticketing.TicketSlaWarnedV1
    assert subscription.handlers[BREACHED][0] is ticketing.TicketSlaBreachedV1
    without = {k: v for k, v in SAMPLES[BREACHED].items() if k != "deadline"}
    with pytest.raises(ValidationError, match="deadline"):
        ticketing.TicketSlaBreachedV1.model_validate(without)


def test_the_assignee_is_warned_and_the_supervisors_told_of_a_breach() -> None:
    settings = NotifierSettings(ticketing_supervisors=",".join(SUPERVISORS))
    assert settings.ticketing_supervisors == SUPERVISORS
    [warning] = rules_for(WARNED)
    [breach] = rules_for(BREACHED)
    assert (warning.template, breach.template) == ("ticketing_sla_warned", "ticketing_sla_breached")
    assert warning.audience.resolve(SAMPLES[WARNED], settings) == [TECHNICIAN]
    assert breach.audience.resolve(SAMPLES[BREACHED], settings) == list(SUPERVISORS)
    assert breach.audience.describe() == "configured list ticketing_supervisors"
    # A time-to-own warning comes before anyone is assigned: nobody to tell.
    unassigned = {**SAMPLES[WARNED], "assignee_email": None, "assignee_name": None}
    assert warning.audience.resolve(unassigned, settings) == []
    # No supervisors configured: no e-mail.
    assert breach.audience.resolve(SAMPLES[BREACHED], NotifierSettings()) == []


def test_the_warning_says_how_much_is_spent_and_when_it_falls_due() -> None:
    email = rendered(WARNED)
    assert email.subject == (
        "[INC-2026-000123] Délai de résolution bientôt atteint : "
        "Le vidéoprojecteur de la salle B204 ne s'allume plus"
    )
    for text in (
        "Bonjour Théo Technicien,",
        "a déjà consommé 6 h de son délai de résolution de 8 h ouvrées.",
        # 10:00 UTC in November: 11:00 in Paris.
        "Échéance : mardi 24 novembre 2026 à 11:00.",
        "Établissement : Collège Jean Zay, salle B204",
        "Priorité : Très haute",
        "hors pause déjeuner, week-ends, jours fériés et vacances scolaires",
    ):
        assert text in email.text, text
    assert "<strong>mardi 24 novembre 2026 à 11:00</strong>" in email.html
    short = rendered(
        WARNED,
        clock="tto",
        clock_label="Délai de prise en charge",
        target_minutes=90,
        elapsed_minutes=67,
    )
    assert "consommé 1 h 07 de son délai de prise en charge de 1 h 30 ouvrées" in short.text
    assert "22 min de son" in rendered(WARNED, elapsed_minutes=22, target_minutes=30).text


def test_the_breach_names_who_has_the_ticket() -> None:
    email = rendered(BREACHED)
    assert email.subject == (
        "[INC-2026-000123] Délai de résolution dépassé : "
        "Le vidéoprojecteur de la salle B204 ne s'allume plus"
    )
    for text in (
        "Le délai de résolution du ticket INC-2026-000123",
        "est dépassé : 8 h ouvrées pour la priorité Très haute, "
        "échéance le mardi 24 novembre 2026 à 11:00.",
        "Attribué à : Théo Technicien, theo.technicien@loiret.fr",
        "Groupe : Proximité Orléans nord",
    ):
        assert text in email.text, text
    nobody = rendered(
        BREACHED,
        clock="tto",
        clock_label="Délai de prise en charge",
        assignee_name=None,
        assignee_email=None,
        group_name=None,
    )
    assert "Le délai de prise en charge du ticket" in nobody.text
    assert "Attribué à : personne" in nobody.text and "Groupe" not in nobody.text
    assert "<li>Attribué à : personne</li>" in nobody.html
    hostile = rendered(BREACHED, title="<b>Écran</b> & clavier")
    assert "&lt;b&gt;Écran&lt;/b&gt; &amp; clavier" in hostile.html
    assert "<b>Écran</b>" not in hostile.html


@pytest.mark.parametrize("event_type", [WARNED, BREACHED])
def test_every_sla_email_is_french_and_names_the_ticket(event_type: str) -> None:
    email = rendered(event_type)
    for part in (email.text, email.html):
        assert "INC-2026-000123" in part and "Collège Jean Zay" in part
        assert "Bonjour" in part and "Guichet — message envoyé automatiquement" in part
    assert email.html.lstrip().startswith('<!DOCTYPE html>\n<html lang="fr">')
    every = "\n".join((email.subject, email.text, email.html))
    assert "{{" not in every and "{%" not in every


@pytest.mark.integration
async def test_the_assignee_and_the_supervisors_get_their_emails(
    session_factory: SessionFactory, settings: NotifierSettings
) -> None:
    settings = settings.model_copy(update={"ticketing_supervisors": SUPERVISORS})
    for event_type in (WARNED, BREACHED):
        await ingest(
            session_factory,
            settings,
            envelope(event_type, SAMPLES[event_type], subject="INC-2026-000123"),
        )
    assert [(d.template, d.recipient) for d in await deliveries(session_factory)] == [
        ("ticketing_sla_warned", TECHNICIAN),
        ("ticketing_sla_breached", SUPERVISORS[0]),
        ("ticketing_sla_breached", SUPERVISORS[1]),
    ]
