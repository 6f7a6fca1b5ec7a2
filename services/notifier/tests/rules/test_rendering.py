from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError
from pydantic import ValidationError

from notifier.events import published
from notifier.rules import garage, ticketing
from notifier.rules.models import Rule
from notifier.rules.rendering import long_date, long_datetime, money, render, template_names
from notifier.rules.service import RULES, SAMPLES, rules_for
from notifier.settings import NotifierSettings

PARIS = ZoneInfo("Europe/Paris")


def plain(text: str) -> str:
    """Babel uses (narrow) no-break spaces, as French typography wants."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.template)
def test_every_shipped_rule_renders_its_sample(rule: Rule) -> None:
    rendered = render(rule.template, SAMPLES[rule.event_type], PARIS)
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.strip() and rendered.html.lstrip().startswith("<!DOCTYPE html>")
    assert "Guichet — message envoyé automatiquement" in rendered.text


def test_every_template_pair_is_used_by_a_rule_and_every_sample_fits_its_contract() -> None:
    assert set(template_names()) == {rule.template for rule in RULES}
    # The garage's through this service's consumer models, ours through the published ones.
    models = {
        model.event_type: model
        for model in (*garage.CONSUMED, *ticketing.CONSUMED, *published.models())
    }
    for rule in RULES:
        models[rule.event_type].model_validate(SAMPLES[rule.event_type])
    assert {model.event_type for model in (*garage.CONSUMED, *ticketing.CONSUMED)} <= set(SAMPLES)


def test_labels_come_from_the_event() -> None:
    submitted = render("garage_request_submitted", SAMPLES["garage.request.submitted.v1"], PARIS)
    assert "Prestation : Freins" in submitted.text and "Urgence : Moyenne" in submitted.text
    assert "<li>Prestation : Freins</li>" in submitted.html
    missed = render("garage_deadline_missed", SAMPLES["garage.deadline.missed.v1"], PARIS)
    assert missed.subject == "[DEM-2026-0021] Délai dépassé : envoi du devis"
    without_label = dict(SAMPLES["garage.deadline.missed.v1"])
    del without_label["deadline_label"]
    with pytest.raises(UndefinedError, match="deadline_label"):
        render("garage_deadline_missed", without_label, PARIS)


def test_strict_undefined_catches_a_missing_variable() -> None:
    sample = dict(SAMPLES["garage.quote.issued.v1"])
    del sample["total_incl_tax"]
    with pytest.raises(UndefinedError, match="total_incl_tax"):
        render("garage_quote_issued", sample, PARIS)


def test_html_is_autoescaped_and_text_is_not() -> None:
    sample = {**SAMPLES["garage.quote.refused.v1"], "reason": "<script>x</script> & co"}
    rendered = render("garage_quote_refused_client", sample, PARIS)
    assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in rendered.html
    assert "<script>" not in rendered.html
    assert "<script>x</script> & co" in rendered.text


def test_french_money_and_dates() -> None:
    assert plain(money("1234.56")) == "1 234,56 €"
    assert plain(money("0.5")) == "0,50 €"
    assert long_date("2026-11-23", PARIS) == "lundi 23 novembre 2026"
    assert long_datetime("2026-11-23T08:30:00Z", PARIS) == "lundi 23 novembre 2026 à 09:30"
    summer = "2027-07-01T06:30:00Z"
    assert long_datetime(summer, PARIS) == "jeudi 1 juillet 2027 à 08:30"
    assert long_datetime(summer, ZoneInfo("America/Cayenne")) == "jeudi 1 juillet 2027 à 03:30"
    quote = render("garage_quote_issued", SAMPLES["garage.quote.issued.v1"], PARIS)
    assert "Total TTC : 1 234,56 €" in plain(quote.text)
    assert "mercredi 23 décembre 2026" in quote.text


def test_rules_route_to_client_and_teachers() -> None:
    settings = NotifierSettings(garage_teachers=("a@lycee.example", "b@lycee.example"))
    accepted = rules_for("garage.quote.accepted.v1")
    audiences = {
        r.template: r.audience.resolve(SAMPLES["garage.quote.accepted.v1"], settings)
        for r in accepted
    }
    assert audiences == {
        "garage_quote_accepted_client": ["camille.martin@example.org"],
        "garage_quote_accepted_teachers": ["a@lycee.example", "b@lycee.example"],
    }
    assert rules_for("garage.request.status_changed.v1") == []


def test_teachers_are_told_of_each_new_request_in_paris_time() -> None:
    [client, teachers] = rules_for("garage.request.submitted.v1")
    assert (client.template, teachers.template) == (
        "garage_request_submitted",
        "garage_request_submitted_teachers",
    )
    assert teachers.audience == garage.TEACHERS
    sample = {
        **SAMPLES["garage.request.submitted.v1"],
        "submitted_at": "2026-07-01T16:05:00Z",  # summer time: 18:05 in Paris
        "description": "Bruit <aigu> au freinage & vibrations.",
    }
    rendered = render("garage_request_submitted_teachers", sample, PARIS)
    assert rendered.subject == "[DEM-2026-0021] Nouvelle demande : Freins (Moyenne)"
    for text in (
        "le mercredi 1 juillet 2026 à 18:05",
        "Demande : DEM-2026-0021",
        "Client : Camille Martin (camille.martin@example.org)",
        "Véhicule : Renault Clio (AB-123-CD)",
        "Prestation : Freins",
        "Urgence : Moyenne",
        "Bruit <aigu> au freinage & vibrations.",
    ):
        assert text in rendered.text, text
    assert "Bruit &lt;aigu&gt; au freinage &amp; vibrations." in rendered.html
    assert "<li>Urgence : Moyenne</li>" in rendered.html


def test_teachers_are_told_of_a_quote_left_unanswered() -> None:
    [rule] = rules_for("garage.quote.expired.v1")
    assert (rule.template, rule.audience) == ("garage_quote_expired_teachers", garage.TEACHERS)
    quote = render("garage_quote_expired_teachers", SAMPLES["garage.quote.expired.v1"], PARIS)
    assert quote.subject == "[DEM-2026-0021] Devis DEV-2026-0017 expiré sans réponse"
    assert (
        "Le devis DEV-2026-0017 (version 2) de la demande DEM-2026-0021 a expiré sans réponse"
        in quote.text
    )
    assert "il était valable jusqu'au mercredi 23 décembre 2026" in quote.text
    assert "Camille Martin" in quote.text and "camille.martin@example.org" in quote.text
    assert "avenant" not in quote.text
    supplement = render(
        "garage_quote_expired_teachers",
        {**SAMPLES["garage.quote.expired.v1"], "is_supplement": True},
        PARIS,
    )
    assert supplement.subject == "[DEM-2026-0021] Avenant DEV-2026-0017 expiré sans réponse"
    assert "L'avenant DEV-2026-0017" in supplement.text
    assert "Les travaux de cet avenant ne peuvent pas être réalisés" in supplement.text
    assert "Aucun travail ne peut commencer" not in supplement.text
    missing = dict(SAMPLES["garage.quote.expired.v1"])
    del missing["is_supplement"]
    with pytest.raises(ValidationError, match="is_supplement"):
        garage.GarageQuoteExpiredV1.model_validate(missing)


def test_the_pickup_notice_carries_the_invoice() -> None:
    [rule] = rules_for("garage.request.ready_for_pickup.v1")
    assert rule.attach_pdf_from == "invoice_pdf_url" and rule.audience == garage.CLIENT
    sample = SAMPLES["garage.request.ready_for_pickup.v1"]
    rendered = render("garage_request_ready_for_pickup", sample, PARIS)
    assert "Votre facture FAC-2026-0042, d'un montant de 130,80 € TTC, est jointe en PDF" in plain(
        rendered.text
    )
    assert sample["invoice_pdf_url"] in rendered.text
    assert "<strong>FAC-2026-0042</strong>" in rendered.html
    assert "<strong>130,80 € TTC</strong>" in plain(rendered.html)
    left_out = render(
        "garage_request_ready_for_pickup", {**sample, "attachment_left_out": True}, PARIS
    )
    assert "n'a pas pu être jointe" in left_out.text and "est jointe" not in left_out.text
    assert sample["invoice_pdf_url"] in left_out.text
    for field in ("invoice_number", "invoice_total_incl_tax", "invoice_pdf_url"):
        without = {k: v for k, v in sample.items() if k != field}
        with pytest.raises(ValidationError, match=field):
            garage.GarageRequestReadyForPickupV1.model_validate(without)
