"""What the renewal report returns: hosts due for renewal, with their age."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from imaging.hosts.models import Host, HostStatus
from imaging.hosts.schemas import STATUS_LABELS
from imaging.naming.models import HostKind
from imaging.naming.schemas import KIND_LABELS


def age_of(purchase_date: date, today: date) -> tuple[int, int]:
    """Whole years and months since the purchase: 2019-03-15 → 2026-11-29 is (7, 8)."""
    months = (today.year - purchase_date.year) * 12 + today.month - purchase_date.month
    if today.day < purchase_date.day:
        months -= 1
    years, rest = divmod(max(months, 0), 12)
    return years, rest


class RenewalItem(BaseModel):
    site_code: str
    site_name: str
    asset_tag: str
    hostname: str
    make: str | None
    model: str | None
    kind: HostKind
    kind_label: str
    status: HostStatus
    status_label: str
    purchase_date: date
    warranty_end: date | None
    age_years: int = Field(description="Whole years since the purchase, today in the zone")
    age_months: int = Field(description="Months beyond the whole years (0-11)")

    @classmethod
    def of(cls, host: Host, today: date) -> RenewalItem:
        assert host.purchase_date is not None  # the report selects dated hosts only
        years, months = age_of(host.purchase_date, today)
        return cls(
            site_code=host.site.code,
            site_name=host.site.name,
            asset_tag=host.asset_tag,
            hostname=host.hostname,
            make=host.make,
            model=host.model,
            kind=host.kind,
            kind_label=KIND_LABELS[host.kind],
            status=host.status,
            status_label=STATUS_LABELS[host.status],
            purchase_date=host.purchase_date,
            warranty_end=host.warranty_end,
            age_years=years,
            age_months=months,
        )
