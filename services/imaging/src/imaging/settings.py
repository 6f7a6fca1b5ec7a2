"""Imaging settings: `IMAGING_*` variables override the shared `GUICHET_*` ones."""

from __future__ import annotations

from guichet_common.settings import CommonSettings

# Its schema, API prefix, API-key scopes and routing keys.
SERVICE = "imaging"


class ImagingSettings(CommonSettings):
    service_prefix = "IMAGING_"

    # A retired host's name stays reserved this long: the domain still holds its computer
    # account, which a new PC must not take over by mistake.
    hostname_quarantine_days: int = 90
    # PCs are renewed after this many years (from the purchase date).
    renewal_age_years: int = 7
    # Inventories: the largest body an agent may send (compressed or not), and the largest
    # once inflated (a zlib bomb is refused before it fills the memory).
    inventory_max_bytes: int = 2 * 1024 * 1024
    inventory_max_inflated_bytes: int = 16 * 1024 * 1024
    # Hours a GLPI agent waits before it reports again (the `expiration` of the answers).
    inventory_expiration_hours: int = 24
    # A spreadsheet imported at once: the whole park of a département is well under this.
    import_max_bytes: int = 20 * 1024 * 1024
