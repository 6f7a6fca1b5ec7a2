"""`guichet demo`, the helpdesk's part: support groups, technicians and a few hundred
believable tickets over the demo park, open and closed, across the categories.

Tickets are created with an `Idempotency-Key` derived from their number in the demo, so a
second run finds them instead of creating them again, and their lifecycle is played only on
a ticket still `new`."""

from __future__ import annotations

import random
import time
import unicodedata
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

TICKETS = 300

GROUPS = (
    ("n1", "Support de proximité", "support.n1@example.fr"),
    ("postes", "Postes de travail et impression", "support.postes@example.fr"),
    ("reseau", "Réseau et téléphonie", "support.reseau@example.fr"),
)
TECHNICIANS = (
    ("t.moreau", "Thomas Moreau", "n1"),
    ("l.girard", "Laura Girard", "n1"),
    ("s.petit", "Samir Petit", "postes"),
    ("a.roux", "Aurélie Roux", "reseau"),
)
PEOPLE = (
    "Mme Claire Martin",
    "M. Paul Lefèvre",
    "Mme Inès Haddad",
    "M. Hugo Bernard",
    "Mme Chloé Fontaine",
    "M. Nicolas Perrin",
    "Mme Amandine Leroy",
    "M. Yanis Benoît",
)


@dataclass(frozen=True)
class Kind:
    category: str
    group: str
    titles: tuple[str, ...]
    description: str
    fields: dict[str, Any]
    type: str = "incident"


KINDS = (
    Kind(
        "workstation",
        "postes",
        ("Le poste ne démarre plus", "Poste très lent au démarrage", "Écran bleu au démarrage"),
        "Depuis ce matin le poste de la salle {room} {symptom}. Les élèves ne peuvent pas "
        "travailler.",
        {},
    ),
    Kind(
        "printing",
        "postes",
        ("Bourrage papier sur le copieur", "L'imprimante n'imprime plus", "Copieur hors ligne"),
        "Le copieur de la salle {room} {symptom}. Message d'erreur sur l'écran du copieur.",
        {},
    ),
    Kind(
        "projector",
        "n1",
        ("Le vidéoprojecteur ne s'allume plus", "Pas d'image sur le TBI"),
        "En salle {room}, le vidéoprojecteur {symptom}. Le cours de 10 h est concerné.",
        {},
    ),
    Kind(
        "wifi",
        "reseau",
        ("Wi-Fi très lent au CDI", "Les portables ne captent plus le Wi-Fi"),
        "Les portables de la classe mobile {symptom} en salle {room}.",
        {},
    ),
    Kind(
        "account",
        "n1",
        ("Identifiants Pronote refusés", "Impossible d'ouvrir une session", "Compte ENT bloqué"),
        "L'utilisateur indique que ses identifiants {symptom}. Le mot de passe n'a pas été "
        "demandé.",
        {"class_or_sector": "4e B", "failing_services": ["Pronote", "ENT"]},
    ),
    Kind(
        "software_install",
        "postes",
        ("Installer GeoGebra en salle 103", "Installation de Scratch sur la classe mobile"),
        "Demande d'installation pour la rentrée, salle {room}.",
        {"software_name": "GeoGebra Classic"},
        type="request",
    ),
    Kind(
        "telephony",
        "reseau",
        ("Pas de tonalité au secrétariat", "Le standard ne bascule plus sur la messagerie"),
        "Le poste téléphonique {symptom} depuis hier.",
        {},
    ),
)
SYMPTOMS = (
    "ne répond plus",
    "affiche un message d'erreur",
    "s'éteint tout seul",
    "fonctionne par intermittence",
)
SOLUTIONS = (
    ("fixed", "Câble réseau remplacé, poste redémarré et vérifié avec l'utilisateur."),
    ("replaced", "Lampe du vidéoprojecteur remplacée."),
    ("user_guidance", "Procédure de réinitialisation expliquée à l'utilisateur."),
    ("workaround", "Impression redirigée vers le copieur du CDI en attendant la pièce."),
)


class Counter(Protocol):
    def _count(self, what: str, created: bool) -> None: ...

    def _check(self, response: httpx.Response, what: str) -> httpx.Response: ...


def load_helpdesk(
    loader: Counter, client: httpx.Client, sites: list[tuple[str, str]], rooms: list[str]
) -> None:
    """Groups, technicians and tickets into ticketing (`client` is based on its API)."""
    for code, name, email in GROUPS:
        _create(
            loader,
            client,
            "support groups",
            "/groups",
            {"code": code, "name": name, "email": email},
        )
    for login, name, group in TECHNICIANS:
        _create(
            loader,
            client,
            "technicians",
            "/technicians",
            {
                "login": login,
                "name": name,
                "email": f"{login}@example.fr",
                "group_codes": [group],
            },
        )
    _wait_for_park(loader, client, sites[0][0])
    for number in range(TICKETS):
        # One generator per ticket: the same ticket every run, whatever was played before.
        _ticket(loader, client, random.Random(number), number, sites, rooms)


def _create(
    loader: Counter, client: httpx.Client, what: str, path: str, body: dict[str, Any]
) -> None:
    response = client.post(path, json=body)
    if response.status_code == 409:
        loader._count(what, created=False)
        return
    loader._check(response, f"{what} {path}")
    loader._count(what, created=True)


def _wait_for_park(loader: Counter, client: httpx.Client, site_code: str) -> None:
    """Ticketing learns the sites from imaging's events: wait until it knows them."""
    deadline = time.monotonic() + 120
    while (response := client.get(f"/sites/{site_code}")).status_code == 404:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    loader._check(response, f"ticketing's site {site_code}")


def _ticket(
    loader: Counter,
    client: httpx.Client,
    generator: random.Random,
    number: int,
    sites: list[tuple[str, str]],
    rooms: list[str],
) -> None:
    kind = generator.choice(KINDS)
    site_code, _site_name = generator.choice(sites)
    room = generator.choice(rooms)
    person = generator.choice(PEOPLE)
    login = person.split(" ", 1)[1].lower().replace(" ", ".")
    body = {
        "title": generator.choice(kind.titles),
        "description": kind.description.format(room=room, symptom=generator.choice(SYMPTOMS)),
        "type": kind.type,
        "category": kind.category,
        "category_fields": kind.fields,
        "urgency": generator.randint(1, 5),
        "impact": generator.randint(1, 4),
        "site_code": site_code,
        "room_code": room,
        "channel": generator.choice(("phone", "phone", "email", "portal", "on_site")),
        "requester": {
            "name": person,
            "email": f"{_ascii(login)}@example.fr",
            "phone": f"02 38 {generator.randint(10, 99)} {generator.randint(10, 99)} 00",
        },
    }
    response = client.post(
        "/tickets", json=body, headers={"Idempotency-Key": f"guichet-demo-ticket-{number}"}
    )
    ticket = loader._check(response, f"ticket {number}").json()
    replayed = response.headers.get("Idempotent-Replayed") == "true"
    loader._count("tickets", created=not replayed)
    if replayed:  # the first answer, as it was then: the ticket may have moved on since
        current = client.get(f"/tickets/{ticket['reference']}")
        ticket = loader._check(current, f"ticket {ticket['reference']}").json()
    if ticket["status"] != "new":
        return
    _play_lifecycle(loader, client, generator, ticket, kind)


def _play_lifecycle(
    loader: Counter,
    client: httpx.Client,
    generator: random.Random,
    ticket: dict[str, Any],
    kind: Kind,
) -> None:
    """Most tickets closed, some solved, pending, assigned or still new."""
    fate = generator.random()
    if fate < 0.1:
        return
    technician = generator.choice([t for t in TECHNICIANS if t[2] == kind.group] or TECHNICIANS)
    steps: list[dict[str, Any]] = [
        {"action": "assign", "assignee": technician[0], "group": kind.group}
    ]
    if 0.1 <= fate < 0.2:
        steps.append({"action": "pend", "reason": generator.choice(("user", "supplier", "part"))})
    elif fate >= 0.3:
        code, solution = generator.choice(SOLUTIONS)
        steps.append({"action": "solve", "solution": solution, "resolution_code": code})
        if fate >= 0.4:
            steps.append({"action": "close"})
    reference, etag = ticket["reference"], f'"{ticket["version"]}"'
    for step in steps:
        response = client.post(
            f"/tickets/{reference}/transitions", json=step, headers={"If-Match": etag}
        )
        loader._check(response, f"{step['action']} {reference}")
        etag = response.headers["ETag"]
    loader._count("ticket transitions", created=True)


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
