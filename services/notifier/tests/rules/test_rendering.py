from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from notifier.events import published
from notifier.rules import garage
from notifier.rules.models import Rule
from notifier.rules.rendering import long_date, long_datetime, money, render, template_names
from notifier.rules.service import RULES, SAMPLES, rules_for
from notifier.settings import NotifierSettings


def plain(text: str) -> str:
    """Babel uses (narrow) no-break spaces, as French typography wants."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.template)
def test_every_shipped_rule_renders_its_sample(rule: Rule) -> None:
    rendered = render(rule.template, SAMPLES[rule.event_type])
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.strip() and rendered.html.lstrip().startswith("<!DOCTYPE html>")
    assert "Guichet — message envoyé automatiquement" in rendered.text


def test_every_template_pair_is_used_by_a_rule_and_every_sample_fits_its_contract() -> None:
    assert set(template_names()) == {rule.template for rule in RULES}
    # The garage's through this service's consumer models, ours through the published ones.
    models = {model.event_type: model for model in (*garage.CONSUMED, *published.models())}
    for rule in RULES:
        models[rule.event_type].model_validate(SAMPLES[rule.event_type])
    assert {model.event_type for model in garage.CONSUMED} <= set(SAMPLES)


def test_labels_come_from_the_event() -> None:
    submitted = render("garage_request_submitted", SAMPLES["garage.request.submitted.v1"])
    assert "Prestation : Freins" in submitted.text and "Urgence : Moyenne" in submitted.text
    assert "<li>Prestation : Freins</li>" in submitted.html
    missed = render("garage_deadline_missed", SAMPLES["garage.deadline.missed.v1"])
    assert missed.subject == "[DEM-2026-0021] Délai dépassé : envoi du devis"
    without_label = dict(SAMPLES["garage.deadline.missed.v1"])
    del without_label["deadline_label"]
    with pytest.raises(UndefinedError, match="deadline_label"):
        render("garage_deadline_missed", without_label)


def test_strict_undefined_catches_a_missing_variable() -> None:
    sample = dict(SAMPLES["garage.quote.issued.v1"])
    del sample["total_incl_tax"]
    with pytest.raises(UndefinedError, match="total_incl_tax"):
        render("garage_quote_issued", sample)


def test_html_is_autoescaped_and_text_is_not() -> None:
    sample = {**SAMPLES["garage.quote.refused.v1"], "reason": "<script>x</script> & co"}
    rendered = render("garage_quote_refused_client", sample)
    assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in rendered.html
    assert "<script>" not in rendered.html
    assert "<script>x</script> & co" in rendered.text


def test_french_money_and_dates() -> None:
    assert plain(money("1234.56")) == "1 234,56 €"
    assert plain(money("0.5")) == "0,50 €"
    assert long_date("2026-11-23") == "lundi 23 novembre 2026"
    assert long_datetime("2026-11-23T08:30:00Z") == "lundi 23 novembre 2026 à 09:30"  # Paris
    quote = render("garage_quote_issued", SAMPLES["garage.quote.issued.v1"])
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
