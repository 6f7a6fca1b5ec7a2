"""`guichet demo`: a small, believable park loaded through the HTTP API, as a client would.

Collèges of the Loiret (zone B) and a lycée in zone C, their rooms, naming policies (PCs
named by their asset number, copiers as the DS2I names them: `KPC-ADMIN-01`), a few
hundred hosts and the GLPI inventories of the administration's PCs; then the helpdesk
(`demo_tickets`): support groups, technicians and a few hundred tickets. Everything is
looked up before it is created, so running it again changes nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from guichet.demo_tickets import load_helpdesk


class DemoError(Exception):
    """The running Guichet refused something the demo sends: said in one sentence."""


@dataclass(frozen=True)
class DemoSite:
    code: str
    name: str
    kind: str
    uai: str
    department: str
    zone: str
    address: str
    prefix: str
    copier_code: str  # the two letters of its copiers' names (KPC-…)
    principal: str


SITES = (
    DemoSite(
        "ORL-JDA",
        "Collège Jeanne d'Arc",
        "college",
        "0450011T",
        "45",
        "B",
        "12 rue Jeanne d'Arc, 45000 Orléans",
        "ORLJDA",
        "JA",
        "Mme Hélène Bouchard",
    ),
    DemoSite(
        "OLV-CR",
        "Collège Charles Rivière",
        "college",
        "0450786K",
        "45",
        "B",
        "3 rue du Général de Gaulle, 45160 Olivet",
        "OLVCR",
        "CR",
        "M. Thierry Lemaire",
    ),
    DemoSite(
        "SAR-MJ",
        "Collège Montjoie",
        "college",
        "0451042N",
        "45",
        "B",
        "Rue de la Montjoie, 45770 Saran",
        "SARMJ",
        "MJ",
        "Mme Nadia Benali",
    ),
    DemoSite(
        "CHY-PC",
        "Collège Pierre de Coubertin",
        "college",
        "0451104F",
        "45",
        "B",
        "Avenue du Parc, 45430 Chécy",
        "CHYPC",
        "PC",
        "M. Julien Moreau",
    ),
    DemoSite(
        "LCSM-JP",
        "Collège Jean Pelletier",
        "college",
        "0450829G",
        "45",
        "B",
        "Rue des Écoles, 45380 La Chapelle-Saint-Mesmin",
        "LCSMJP",
        "JP",
        "Mme Claire Dubois",
    ),
    DemoSite(
        "SJB-SE",
        "Collège Saint-Exupéry",
        "college",
        "0451333E",
        "45",
        "B",
        "Rue de la Mairie, 45800 Saint-Jean-de-Braye",
        "SJBSE",
        "SE",
        "M. Karim Haddad",
    ),
    DemoSite(
        "CSL-JJ",
        "Collège Jean Joudiou",
        "college",
        "0450005L",
        "45",
        "B",
        "Rue du Collège, 45360 Châtillon-sur-Loire",
        "CSLJJ",
        "HB",
        "Mme Sophie Garnier",
    ),
    DemoSite(
        "MTP-JM",
        "Lycée des métiers Jean Moulin",
        "lycee",
        "0341234G",
        "34",
        "C",
        "Avenue de l'Atelier, 34000 Montpellier",
        "MTPJM",
        "JM",
        "M. Laurent Roussel",
    ),
)

ROOMS = (
    ("ADMIN", "Administration", "office"),
    ("CDI", "CDI", "cdi"),
    ("TECHNO", "Salle de technologie", "lab"),
    ("SCIENCES", "Laboratoire de sciences", "lab"),
    *((f"S10{n}", f"Salle 10{n}", "classroom") for n in range(1, 7)),
    ("ULIS", "Classe ULIS", "classroom"),
    ("SRV", "Local serveur", "server_room"),
)
MOBILE = ("CLASSE-MOBILE", "Classe mobile (chariot de portables)")

DESKTOPS = (("Dell", "OptiPlex 3070"), ("Dell", "OptiPlex 7090"), ("HP", "ProDesk 400 G7"))
LAPTOP = ("Lenovo", "ThinkPad L14 Gen 2")
COPIER = ("Kyocera", "TASKalfa 3554ci")
SERVER = ("Dell", "PowerEdge T150")
SOFTWARE = (
    ("Mozilla Firefox (x64 fr)", "128.5.0", "Mozilla"),
    ("LibreOffice 24.8", "24.8.3", "The Document Foundation"),
    ("VLC media player", "3.0.21", "VideoLAN"),
    ("7-Zip 24.08 (x64)", "24.08", "Igor Pavlov"),
    ("GeoGebra Classic", "6.0.861", "International GeoGebra Institute"),
)


@dataclass
class DemoHost:
    site: DemoSite
    room: str | None
    asset_tag: str
    kind: str
    network: str
    make: str
    model: str
    serial: str
    macs: list[str]
    purchase_date: date
    groups: list[str] = field(default_factory=list)
    inventory: bool = False  # the administration's PCs report their GLPI inventory

    def body(self) -> dict[str, Any]:
        return {
            "site_code": self.site.code,
            "room_code": self.room,
            "asset_tag": self.asset_tag,
            "macs": self.macs,
            "serial": self.serial,
            "make": self.make,
            "model": self.model,
            "kind": self.kind,
            "network": self.network,
            "groups": self.groups,
            "purchase_date": self.purchase_date.isoformat(),
            "warranty_end": (self.purchase_date + timedelta(days=5 * 365)).isoformat(),
        }


# Each site's hosts: (room, kind, network, the makes and models to pick from, how many).
PARK: tuple[tuple[str, str, str, tuple[tuple[str, str], ...], int], ...] = (
    ("ADMIN", "desktop", "admin", DESKTOPS, 5),
    ("ADMIN", "copier", "admin", (COPIER,), 1),
    ("CDI", "desktop", "pedagogy", DESKTOPS, 6),
    ("TECHNO", "desktop", "pedagogy", DESKTOPS, 12),
    *((f"S10{n}", "desktop", "pedagogy", DESKTOPS, 1) for n in range(1, 7)),
    ("ULIS", "desktop", "pedagogy", DESKTOPS, 2),
    ("ULIS", "copier", "pedagogy", (COPIER,), 1),
    ("SRV", "server", "admin", (SERVER,), 1),
    ("CDI", "laptop", "pedagogy", (LAPTOP,), 8),  # the mobile classroom's laptops
)


def hosts() -> list[DemoHost]:
    """The same park every time (a seeded generator): serials, MACs and purchase dates
    spread over nine years, so some PCs are due for renewal."""
    generator = random.Random(2026)
    made: list[DemoHost] = []
    for site_index, site in enumerate(SITES, start=1):
        counter = 0
        for room, kind, network, makers, how_many in PARK:
            for _ in range(how_many):
                counter += 1
                serial = "".join(generator.choices("BCDFGHJKLMNPQRSTVWXZ0123456789", k=7))
                mac = f"F8:B1:56:{site_index:02X}:{counter // 256:02X}:{counter % 256:02X}"
                bought = date(2016, 9, 1) + timedelta(days=generator.randrange(0, 9 * 365))
                make, model = generator.choice(makers)
                made.append(
                    DemoHost(
                        site=site,
                        room=room,
                        asset_tag=f"45{site_index:02d}{counter:04d}",
                        kind=kind,
                        network=network,
                        make=make,
                        model=model,
                        serial=serial,
                        macs=[mac],
                        purchase_date=bought,
                        groups=[MOBILE[0]] if kind == "laptop" else [],
                        inventory=room == "ADMIN" and kind == "desktop",
                    )
                )
    return made


def inventory(host: DemoHost, hostname: str) -> dict[str, Any]:
    """What a GLPI agent on the host sends (its JSON inventory format)."""
    memory = 8192 if host.purchase_date.year >= 2020 else 4096
    return {
        "deviceid": f"{hostname}-2026-11-29-08-00-00",
        "itemtype": "Computer",
        "action": "inventory",
        "content": {
            "versionclient": "GLPI-Agent_v1.11",
            "hardware": {"name": hostname, "memory": memory, "workgroup": "ACADEMIE"},
            "bios": {
                "smanufacturer": host.make,
                "smodel": host.model,
                "ssn": host.serial,
                "bversion": "1.19.0",
                "bdate": "2024-03-12",
                "assettag": host.asset_tag,
            },
            "cpus": [
                {
                    "name": "Intel(R) Core(TM) i5-10505",
                    "arch": "x86_64",
                    "core": 6,
                    "thread": 12,
                    "speed": 3200,
                }
            ],
            "memories": [{"capacity": memory, "type": "DDR4", "speed": "2666", "numslots": 1}],
            "storages": [
                {
                    "name": "nvme0n1",
                    "model": "PC SN530 512GB",
                    "serial": f"SN{host.serial}",
                    "disksize": 512110,
                    "type": "disk",
                }
            ],
            "networks": [
                {
                    "description": "Ethernet",
                    "mac": host.macs[0].lower(),
                    "type": "ethernet",
                    "status": "up",
                }
            ],
            "operatingsystem": {
                "name": "Windows",
                "full_name": "Microsoft Windows 11 Éducation",
                "version": "23H2",
                "arch": "64-bit",
            },
            "softwares": [{"name": n, "version": v, "publisher": p} for n, v, p in SOFTWARE],
        },
    }


class Loader:
    """Each thing looked up before it is created; counts what was made and what was there."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.counts: dict[str, list[int]] = {}

    def _count(self, what: str, created: bool) -> None:
        self.counts.setdefault(what, [0, 0])[0 if created else 1] += 1

    def _check(self, response: httpx.Response, what: str) -> httpx.Response:
        if response.status_code >= 400:
            try:
                reason = response.json().get("detail") or response.text
            except ValueError:
                reason = response.text
            raise DemoError(f"{what}: {response.status_code} {reason}")
        return response

    def create(self, what: str, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """POST, an `already-exists` conflict counting as there already."""
        response = self.client.post(path, json=body)
        if response.status_code == 409 and response.json().get("type", "").endswith(
            ":already-exists"
        ):
            self._count(what, created=False)
            return None
        created: dict[str, Any] = self._check(response, f"{what} {path}").json()
        self._count(what, created=True)
        return created

    def summary(self) -> list[str]:
        return [
            f"{what}: {made} created, {there} already there"
            for what, (made, there) in self.counts.items()
        ]


def load(base_url: str, admin_token: str) -> list[str]:
    """The demo park into the Guichet at `base_url`; what was done, a line per kind."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    with (
        httpx.Client(base_url=f"{base_url}/api/imaging", headers=headers, timeout=60) as client,
        httpx.Client(
            base_url=f"{base_url}/api/ticketing", headers=headers, timeout=60
        ) as ticketing,
    ):
        loader = Loader(client)
        _load_imaging(loader)
        load_helpdesk(
            loader,
            ticketing,
            [(site.code, site.name) for site in SITES],
            [code for code, _name, _kind in ROOMS],
        )
        return loader.summary()


def _load_imaging(loader: Loader) -> None:
    client = loader.client
    for site in SITES:
        existing = client.get(f"/sites/{site.code}")
        if existing.status_code == 200:
            loader._count("sites", created=False)
        else:
            loader.create(
                "sites",
                "/sites",
                {
                    "code": site.code,
                    "name": site.name,
                    "kind": site.kind,
                    "uai": site.uai,
                    "department": site.department,
                    "zone": site.zone,
                    "address": site.address,
                    "hostname_prefix": site.prefix,
                    "opening_hours": [
                        {
                            "weekday": day,
                            "ranges": [{"start": "08:00", "end": "12:30"}]
                            + ([] if day == 2 else [{"start": "13:30", "end": "17:30"}]),
                        }
                        for day in range(5)
                    ],
                    "contacts": [
                        {
                            "name": site.principal,
                            "role": "Principal(e)",
                            "email": f"direction.{site.code.lower()}@example.fr",
                        }
                    ],
                },
            )
        for code, name, kind in ROOMS:
            loader.create(
                "rooms", f"/sites/{site.code}/rooms", {"code": code, "name": name, "kind": kind}
            )
        loader.create(
            "groups", f"/sites/{site.code}/groups", {"code": MOBILE[0], "name": MOBILE[1]}
        )
        policies = {
            p["kind"]
            for p in client.get(
                "/naming-policies", params={"site_code": site.code, "limit": 50}
            ).json()["items"]
        }
        wanted = {
            # A PC joining the domain is named by its asset number; copiers as the DS2I does.
            "desktop": "{prefix}-{asset:8}",
            "copier": f"K{site.copier_code}-{{room:5}}-{{nn}}",
        }
        for kind, template in wanted.items():
            if kind in policies:
                loader._count("naming policies", created=False)
            else:
                loader.create(
                    "naming policies",
                    "/naming-policies",
                    {"site_code": site.code, "kind": kind, "template": template},
                )
    agent_key: str | None = None
    for host in hosts():
        created = loader.create("hosts", "/hosts", host.body())
        if not host.inventory:
            continue
        reported = client.get(f"/hosts/{host.asset_tag}/inventories", params={"limit": 1})
        if loader._check(reported, "inventories").json()["items"]:
            loader._count("inventories", created=False)
            continue
        if agent_key is None:
            key = loader._check(
                client.post(
                    "/api-keys", json={"name": "Démo — agent GLPI", "scopes": ["imaging:agent"]}
                ),
                "agent key",
            )
            agent_key = key.json()["api_key"]
        hostname = (
            created["hostname"]
            if created
            else client.get(f"/hosts/{host.asset_tag}").json()["hostname"]
        )
        loader._check(
            client.post(
                "/hosts/inventory",
                json=inventory(host, hostname),
                headers={
                    "Authorization": f"Bearer {agent_key}",
                    "GLPI-Agent-ID": f"00000000-0000-4000-8000-{int(host.asset_tag):012d}",
                },
            ),
            f"inventory of {host.asset_tag}",
        )
        loader._count("inventories", created=True)
