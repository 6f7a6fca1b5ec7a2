"""`GET /api/ticketing/tickets?q=…`: French words of the title, the description and the
public followups, accents ignored both ways, stemmed, as a search box takes them."""

from __future__ import annotations

import pytest

from ..conftest import TICKETS, Kit
from .conftest import edit, references

pytestmark = pytest.mark.integration


async def test_accents_are_ignored_both_ways(kit: Kit) -> None:
    site = await kit.site()
    network = await kit.create_ticket(
        site, title="Réseau coupé au CDI", description="Plus aucune prise ne répond."
    )
    projector = await kit.create_ticket(
        site, title="Le videoprojecteur de la salle 12 s'eteint", description="Tout seul."
    )
    await kit.create_ticket(site, title="Clavier cassé", description="Touche A arrachée.")

    assert await references(kit, site_code=site, q="reseau") == [network["reference"]]
    assert await references(kit, site_code=site, q="RÉSEAU") == [network["reference"]]
    assert await references(kit, site_code=site, q="vidéoprojecteur") == [projector["reference"]]
    assert await references(kit, site_code=site, q="éteint") == [projector["reference"]]
    # In the description too.
    assert await references(kit, site_code=site, q="repond") == [network["reference"]]


async def test_a_hyphenated_word_is_found_with_or_without_its_hyphen(kit: Kit) -> None:
    site = await kit.site()
    wifi = await kit.create_ticket(site, title="Wi-Fi coupé au CDI", description="Aucun réseau.")
    mail = await kit.create_ticket(site, title="Messagerie", description="Les e-mails partent pas.")
    assert await references(kit, site_code=site, q="wifi") == [wifi["reference"]]
    assert await references(kit, site_code=site, q="wi-fi") == [wifi["reference"]]
    assert await references(kit, site_code=site, q="Fi") == [wifi["reference"]]
    assert await references(kit, site_code=site, q="emails") == [mail["reference"]]


async def test_words_are_stemmed_in_french(kit: Kit) -> None:
    site = await kit.site()
    printer = await kit.create_ticket(
        site, title="L'imprimante du secrétariat bourre", description="Bourrage papier bac 2."
    )
    sessions = await kit.create_ticket(
        site, title="Sessions bloquées", description="Les élèves ne se connectent plus."
    )

    assert await references(kit, site_code=site, q="imprimantes") == [printer["reference"]]
    assert await references(kit, site_code=site, q="session") == [sessions["reference"]]
    assert await references(kit, site_code=site, q="session bloquee") == [sessions["reference"]]
    assert await references(kit, site_code=site, q="élève") == [sessions["reference"]]


async def test_a_search_box_syntax_phrases_and_exclusions(kit: Kit) -> None:
    site = await kit.site()
    pronote = await kit.create_ticket(
        site, title="Mot de passe Pronote oublié", description="Un professeur de SVT."
    )
    ent = await kit.create_ticket(
        site, title="Mot de passe ENT perdu", description="Le mot de passe de Pronote marche."
    )

    assert set(await references(kit, site_code=site, q="pronote")) == {
        pronote["reference"],
        ent["reference"],
    }
    assert await references(kit, site_code=site, q="pronote -ent") == [pronote["reference"]]
    assert await references(kit, site_code=site, q='"passe pronote"') == [pronote["reference"]]
    # Words that carry no meaning in French find nothing; blanks filter nothing.
    assert await references(kit, site_code=site, q="le de la") == []
    assert len(await references(kit, site_code=site, q="   ")) == 2


async def test_results_are_newest_first_and_other_filters_apply(kit: Kit) -> None:
    site = await kit.site()
    older = await kit.create_ticket(site, title="Wi-Fi lent en salle 3", description="Lent.")
    newer = await kit.create_ticket(site, title="Wi-Fi coupé au foyer", description="Coupé.")
    closed = await kit.create_ticket(site, title="Wi-Fi absent", description="Réparé depuis.")
    await edit(kit, closed["reference"], status="closed")

    everything = await references(kit, site_code=site, q="Wi-Fi")
    assert everything == [closed["reference"], newer["reference"], older["reference"]]
    assert await references(kit, site_code=site, q="wi-fi", status_group="notold") == [
        newer["reference"],
        older["reference"],
    ]


async def test_public_followups_are_searched_private_ones_are_not(kit: Kit) -> None:
    site = await kit.site()
    ticket = await kit.create_ticket(
        site, title="Poste lent", description="Démarrage très long le matin."
    )
    path = f"{TICKETS}/{ticket['reference']}/followups"
    assert await references(kit, site_code=site, q="antivirus") == []

    public = await kit.client.post(
        path,
        json={"content": "L'antivirus scannait tout le disque au démarrage."},
        headers=kit.technician,
    )
    assert public.status_code == 201, public.text
    private = await kit.client.post(
        path,
        json={"content": "Voir avec le fournisseur du tableau numérique.", "public": False},
        headers=kit.technician,
    )
    assert private.status_code == 201, private.text

    assert await references(kit, site_code=site, q="antivirus") == [ticket["reference"]]
    assert await references(kit, site_code=site, q="disques scannés") == [ticket["reference"]]
    assert await references(kit, site_code=site, q="fournisseur") == []
    # The ticket's own words still match.
    assert await references(kit, site_code=site, q="demarrage lent") == [ticket["reference"]]
