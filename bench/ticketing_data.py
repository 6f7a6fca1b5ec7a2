"""The tickets `bench/ticketing.py` measures against, bulk-loaded (not through the API): one
set-based `INSERT … SELECT` over `generate_series` draws them across the 58 sites of the
park over three years, about 30 % still open (new, assigned, planned, pending: mostly recent,
a backlog decaying with age) and the rest solved, closed or cancelled, with French titles and
descriptions from a vocabulary of incidents collèges report, so each word is about as
selective as in a real base. The `search` column is `to_tsvector('french', …)` of the text
as the service indexes it (`text_search.indexed_text`, applied to the vocabulary in Python). The
ticket table's secondary indexes are dropped for the load and built again from their own
definitions; then every ticket's SLA clocks and periods are loaded (`ticketing_sla.py`), and
the tables are vacuumed and analysed, as autovacuum would have. The sites open 36 hours a
week, with a lunch break (`OPENING_HOURS`)."""

from __future__ import annotations

import json
import time
from typing import Any

import asyncpg

SITES = 58
YEARS = 3

# --- the vocabulary ------------------------------------------------------------------------

# (title, category code): what collèges report, each under the category it is filed in.
TITLES = (
    ("L'imprimante du secrétariat ne répond plus", "printing"),
    ("Bourrage papier sur le copieur de la salle des professeurs", "printing"),
    ("Imprimante hors ligne en salle de technologie", "printing"),
    ("Toner vide sur l'imprimante du CDI", "printing"),
    ("Impossible d'imprimer depuis Pronote", "printing"),
    ("Le copieur affiche une erreur de fusion", "printing"),
    ("Mot de passe Pronote oublié", "account"),
    ("Compte ENT bloqué après trois essais", "account"),
    ("Mot de passe de la messagerie académique expiré", "account"),
    ("Un élève ne peut plus ouvrir sa session", "account"),
    ("Création des comptes des nouveaux arrivants", "account"),
    ("Le vidéoprojecteur s'éteint tout seul", "projector"),
    ("Pas d'image sur le vidéoprojecteur de la salle 12", "projector"),
    ("Lampe du vidéoprojecteur à changer", "projector"),
    ("Vidéoprojecteur : image jaune et floue", "projector"),
    ("Wi-Fi très lent au CDI", "wifi"),
    ("Plus de Wi-Fi dans le bâtiment B", "wifi"),
    ("Les tablettes ne se connectent pas au Wi-Fi", "wifi"),
    ("Pas d'accès Internet en salle informatique", "internet"),
    ("Site pédagogique bloqué par le filtrage", "internet"),
    ("Internet coupé dans tout le collège", "internet"),
    ("Prise réseau morte en salle de sciences", "network"),
    ("Le switch de la baie du rez-de-chaussée clignote", "network"),
    ("Poste très lent au démarrage", "workstation"),
    ("Écran noir au démarrage du poste", "workstation"),
    ("Le poste redémarre en boucle", "workstation"),
    ("La session ne s'ouvre pas sur le poste du professeur", "workstation"),
    ("Le poste de la salle B204 ne démarre plus", "workstation"),
    ("Clavier défectueux, plusieurs touches ne répondent plus", "peripheral"),
    ("La souris ne fonctionne plus", "peripheral"),
    ("L'écran clignote et s'éteint", "peripheral"),
    ("Clé USB non reconnue sur les postes élèves", "peripheral"),
    ("Casque audio sans son en salle de langues", "peripheral"),
    ("Tableau numérique interactif : le stylet ne répond plus", "hardware"),
    ("Tableau numérique décalé, calibrage à refaire", "hardware"),
    ("LibreOffice ne se lance plus", "software"),
    ("Mise à jour de Firefox bloquée", "software"),
    ("GeoGebra absent des postes de mathématiques", "software"),
    ("Installer Scratch sur les postes de la salle de technologie", "software_install"),
    ("Installer Audacity pour le cours de musique", "software_install"),
    ("Le téléphone du standard ne sonne plus", "telephony"),
    ("Renouvellement du poste de la loge", "workstation_replacement"),
    ("Prêt d'un ordinateur portable pour une sortie", "other"),
)
OPENINGS = (
    "Signalé ce matin par la vie scolaire.",
    "Le professeur ne peut pas faire cours.",
    "Le problème est apparu après les vacances.",
    "Plusieurs élèves sont concernés.",
    "Constaté par la gestionnaire à l'ouverture.",
    "Déjà arrivé la semaine dernière.",
    "Appel du principal adjoint.",
)
DETAILS = (
    "Le poste a déjà été redémarré, sans succès.",
    "Un message d'erreur indique un accès refusé.",
    "Cela arrive une fois sur deux, surtout le lundi.",
    "Le câble a été vérifié et semble bien branché.",
    "Le voyant orange clignote en continu.",
    "La session de l'élève reste bloquée sur l'écran d'accueil.",
    "Le mot de passe a été changé hier sur l'ENT.",
    "L'imprimante affiche « bourrage » alors qu'il n'y a pas de papier coincé.",
    "Le vidéoprojecteur a été changé l'an dernier.",
    "Le Wi-Fi fonctionne dans la salle d'à côté.",
)
CLOSINGS = (
    "Merci de passer avant jeudi, contrôle commun prévu.",
    "Urgent : examen blanc demain.",
    "Pas d'urgence, une solution de secours existe.",
    "Disponible tous les matins sauf le mercredi.",
    "",
)
FIRST_NAMES = (
    "Claire", "Nicolas", "Sophie", "Julien", "Isabelle", "Thomas", "Nathalie", "Pierre",
    "Céline", "Mathieu", "Hélène", "François", "Émilie", "Sébastien", "Aurélie", "Loïc",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Faure",
)  # fmt: skip
ROOMS = ("B204", "CDI", "S101", "S12", "TECHNO", "ADMIN", "VIE-SCO", "SDP", "LABO-SVT", "C102")
TECHNICIANS = [(f"tech{n:02d}", f"Technicien {n:02d}") for n in range(1, 21)]
# Every collège's hours, as imaging's events carry them: 08:00-12:00 and 13:30-17:30, no
# afternoon on Wednesday; 36 open hours a week (what the SLA counts).
_DAY = [{"start": "08:00:00", "end": "12:00:00"}, {"start": "13:30:00", "end": "17:30:00"}]
OPENING_HOURS = [
    {"weekday": weekday, "ranges": _DAY[:1] if weekday == 2 else _DAY} for weekday in range(5)
]
OPEN_HOURS_PER_WEEK = 36
GROUPS = [(f"proximite_{n}", f"Proximité secteur {n}") for n in range(1, 7)]


def site_code(number: int) -> str:
    return f"CLG{number:02d}"


# --- the bulk load -------------------------------------------------------------------------

LOAD_SQL = """
WITH draws AS (
    SELECT n,
           least(now(), date_trunc('day', now() - random() * interval '%(days)s days')
                 + interval '7 hours' + random() * interval '11 hours') AS created_at,
           1 + floor(random() * cardinality($1::text[]))::int AS t,
           1 + floor(random() * cardinality($4::text[]))::int AS o,
           1 + floor(random() * cardinality($6::text[]))::int AS d,
           1 + floor(random() * cardinality($8::text[]))::int AS c,
           1 + floor(%(sites)s * power(random(), 1.3))::int AS s,
           1 + floor(random() * cardinality($12::text[]))::int AS f,
           1 + floor(random() * cardinality($13::text[]))::int AS l,
           1 + floor(random() * cardinality($14::text[]))::int AS r,
           1 + floor(random() * cardinality($15::text[]))::int AS tech,
           1 + floor(random() * cardinality($17::text[]))::int AS grp,
           1 + floor(random() * 5)::int AS urgency,
           1 + floor(random() * 5)::int AS impact,
           random() AS open_draw, random() AS state_draw, random() AS who_draw
    FROM generate_series(1, $19::int) AS n
), shaped AS (
    SELECT draws.*,
           CASE
             -- The backlog: a ticket is still open with a chance falling with its age.
             WHEN open_draw < 0.95 * exp(-extract(epoch FROM now() - created_at) / 86400 / 365)
             THEN CASE WHEN state_draw < 0.35 THEN 'new' WHEN state_draw < 0.70 THEN 'assigned'
                       WHEN state_draw < 0.80 THEN 'planned' ELSE 'pending' END
             ELSE CASE WHEN state_draw < 0.15 THEN 'solved' WHEN state_draw < 0.95 THEN 'closed'
                       ELSE 'cancelled' END
           END AS status,
           extract(year FROM created_at AT TIME ZONE 'Europe/Paris')::int AS year
    FROM draws
)
INSERT INTO ticketing.ticket (
    id, reference, type, status, title, description, category_code, category_label,
    urgency, impact, priority, site_code, site_name, room_code, channel, opened_by,
    requester_name, requester_email, requester_phone, assignee, assignee_name, group_code,
    group_name, pending_reason, search, created_at, updated_at, solved_at, closed_at)
SELECT gen_random_uuid(),
       'INC-' || year || '-' || lpad(row_number() OVER (PARTITION BY year ORDER BY created_at,
                                                         n)::text, 6, '0'),
       CASE WHEN ($3::text[])[t] IN ('software_install', 'other', 'workstation_replacement')
            THEN 'request' ELSE 'incident' END,
       status,
       ($1::text[])[t],
       ($4::text[])[o] || ' ' || ($6::text[])[d] || ' ' || ($8::text[])[c],
       ($3::text[])[t], ($20::text[])[t],
       urgency, impact, greatest(1, least(5, (urgency + impact + 1) / 2)),
       ($10::text[])[s], ($11::text[])[s], ($14::text[])[r],
       CASE WHEN who_draw < 0.7 THEN 'phone' ELSE 'portal' END,
       CASE WHEN who_draw < 0.7 THEN ($15::text[])[tech] ELSE 'req-' || (n %% 5000) END,
       ($12::text[])[f] || ' ' || ($13::text[])[l],
       lower(($12::text[])[f] || '.' || ($13::text[])[l]) || (n %% 97) || '@ac-orleans-tours.fr',
       CASE WHEN who_draw < 0.3 THEN '02 38 ' || lpad((n %% 1000000)::text, 6, '0') END,
       CASE WHEN status <> 'new' THEN ($15::text[])[tech] END,
       CASE WHEN status <> 'new' THEN ($16::text[])[tech] END,
       CASE WHEN status <> 'new' THEN ($17::text[])[grp] END,
       CASE WHEN status <> 'new' THEN ($18::text[])[grp] END,
       CASE WHEN status = 'pending' THEN 'user' END,
       to_tsvector('french', ($2::text[])[t] || E'\\n' || ($5::text[])[o] || ' '
                             || ($7::text[])[d] || ' ' || ($9::text[])[c]),
       created_at,
       created_at + interval '2 hours',
       CASE WHEN status IN ('solved', 'closed') THEN created_at + interval '1 day' END,
       CASE WHEN status IN ('closed', 'cancelled') THEN created_at + interval '8 days' END
FROM shaped
"""


async def load(url: str, tickets: int) -> dict[str, Any]:
    """The park's sites, the staff, `tickets` tickets and their SLA clocks
    (`ticketing_sla.load_clocks`), the year's counters; timed."""
    from bench.ticketing_sla import load_clocks, vacuum_clocks
    from guichet_common.db import libpq_dsn
    from ticketing.tickets.text_search import indexed_text

    timings: dict[str, Any] = {}
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("SET work_mem = '256MB'")
        started = time.perf_counter()
        await conn.executemany(
            "INSERT INTO ticketing.park_site (site_id, code, name, kind_label, department, "
            "zone, opening_hours, contacts, active, version) VALUES (gen_random_uuid(), $1, $2, "
            "'Collège', '45', 'B', $3::jsonb, '[]', true, 1)",
            [
                (site_code(n), f"Collège n° {n:02d}", json.dumps(OPENING_HOURS))
                for n in range(1, SITES + 1)
            ],
        )
        await conn.executemany(
            "INSERT INTO ticketing.support_group (code, name) VALUES ($1, $2)", GROUPS
        )
        await conn.executemany(
            "INSERT INTO ticketing.technician (login, name, email) "
            "VALUES ($1::text, $2, $1::text || '@ac-orleans-tours.fr')",
            TECHNICIANS,
        )
        # Built again after the load from their own definitions: one sort each, not a
        # million insertions each.
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'ticketing' AND "
            "tablename = 'ticket' AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        for index in indexes:
            await conn.execute(f'DROP INDEX ticketing."{index["indexname"]}"')
        titles = [title for title, _ in TITLES]
        labels = dict(await conn.fetch("SELECT code, label FROM ticketing.category"))
        arguments: list[Any] = [
            titles,
            [indexed_text(title) for title in titles],
            [category for _, category in TITLES],
            list(OPENINGS),
            [indexed_text(text) for text in OPENINGS],
            list(DETAILS),
            [indexed_text(text) for text in DETAILS],
            list(CLOSINGS),
            [indexed_text(text) for text in CLOSINGS],
            [site_code(n) for n in range(1, SITES + 1)],
            [f"Collège n° {n:02d}" for n in range(1, SITES + 1)],
            list(FIRST_NAMES),
            list(LAST_NAMES),
            list(ROOMS),
            [login for login, _ in TECHNICIANS],
            [name for _, name in TECHNICIANS],
            [code for code, _ in GROUPS],
            [name for _, name in GROUPS],
            tickets,
            [labels[category] for _, category in TITLES],
        ]
        await conn.execute(LOAD_SQL % {"days": 365 * YEARS, "sites": SITES}, *arguments)
        timings["insert_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        for index in indexes:
            await conn.execute(index["indexdef"])
        timings["indexes_seconds"] = round(time.perf_counter() - started, 1)
        timings.update(await load_clocks(conn))
        # Tickets created through the API number on from the loaded ones.
        await conn.execute(
            "INSERT INTO ticketing.reference_counter (kind, year, last_value) "
            "SELECT 'INC', split_part(reference, '-', 2)::int, count(*) "
            "FROM ticketing.ticket GROUP BY 2"
        )
        started = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE) ticketing.ticket")
        sla_size = await vacuum_clocks(conn)
        timings["vacuum_analyze_seconds"] = round(time.perf_counter() - started, 1)
        shape = await conn.fetchrow(
            "SELECT count(*) AS tickets, "
            "round(100.0 * count(*) FILTER (WHERE status IN ('new', 'assigned', 'planned', "
            "'pending')) / count(*), 1) AS open_percent, "
            "pg_size_pretty(pg_total_relation_size('ticketing.ticket')) AS size "
            "FROM ticketing.ticket"
        )
        timings.update(
            tickets=shape["tickets"],
            open_percent=float(shape["open_percent"]),
            size=shape["size"],
            sla_size=sla_size,
        )
    finally:
        await conn.close()
    return timings
