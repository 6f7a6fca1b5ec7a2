"""What the inventory API accepts and returns besides the agent's document (`models`): the
agent's answers, a host's history, the software references and compliance."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from guichet_common.text import Text
from imaging.events import InventoryChange
from imaging.inventory.models import Inventory, InventorySummary, SoftwareReference
from imaging.naming.models import HostKind
from imaging.naming.schemas import KIND_LABELS

# --- the agent's answers -------------------------------------------------------------------


class AgentAnswer(BaseModel):
    """What GLPI agents understand (JSON protocol): `ok` and when to come back."""

    status: Literal["ok"] = "ok"
    expiration: int = Field(description="Hours before the agent reports again")
    # CONTACT only: the server takes inventories in the GLPI format, nothing else.
    tasks: dict[str, dict[str, str]] | None = None
    disabled: list[str] | None = None


class AgentError(BaseModel):
    """An error as GLPI agents log it, with the HTTP status 4xx."""

    status: Literal["error"] = "error"
    message: str


# --- a host's history ------------------------------------------------------------------------


class InventoryOut(BaseModel):
    id: UUID
    received_at: datetime
    agent_id: str = Field(description="The agent's GLPI-Agent-ID")
    device_id: str
    versionclient: str
    partial: bool
    first: bool = Field(description="The host's first inventory: nothing to compare with")
    changes: list[InventoryChange]

    @classmethod
    def of(cls, inventory: Inventory, *, first: bool) -> InventoryOut:
        return cls(
            id=inventory.id,
            received_at=inventory.received_at,
            agent_id=inventory.agent_id,
            device_id=inventory.device_id,
            versionclient=inventory.versionclient,
            partial=inventory.partial,
            first=first,
            changes=[InventoryChange.model_validate(c) for c in inventory.changes],
        )


class LatestInventoryOut(BaseModel):
    asset_tag: str
    id: UUID
    received_at: datetime
    agent_id: str
    versionclient: str
    partial: bool = Field(description="The document holds only the sections the agent sent")
    summary: InventorySummary = Field(description="The host as known after it")
    document: dict[str, Any] = Field(description="The agent's document, as received")

    @classmethod
    def of(cls, asset_tag: str, inventory: Inventory) -> LatestInventoryOut:
        return cls(
            asset_tag=asset_tag,
            id=inventory.id,
            received_at=inventory.received_at,
            agent_id=inventory.agent_id,
            versionclient=inventory.versionclient,
            partial=inventory.partial,
            summary=InventorySummary.model_validate(inventory.summary),
            document=inventory.document,
        )


# --- software references -----------------------------------------------------------------

VERSION_PATTERN = r"^\d{1,9}(\.\d{1,9}){0,9}$"


class SoftwareReferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_pattern: Text = Field(
        min_length=1,
        max_length=200,
        description="The start of the software's name, any case: `Mozilla Firefox`",
    )
    min_version: Text | None = Field(
        default=None,
        pattern=VERSION_PATTERN,
        description="Dotted numbers (`128.0`), compared part by part; null: any version",
    )
    host_kind: HostKind | None = Field(default=None, description="null: every kind")
    site_code: Text | None = Field(default=None, max_length=20, description="null: every site")
    label: Text = Field(min_length=1, max_length=200, description="In French: `Navigateur`")


class SoftwareReferencePatch(BaseModel):
    """Only the fields sent change (`min_version` / `host_kind` null: any). The site of a
    reference does not change: create one for the other site."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_pattern: Text | None = Field(default=None, min_length=1, max_length=200)
    min_version: Text | None = Field(default=None, pattern=VERSION_PATTERN)
    host_kind: HostKind | None = None
    label: Text | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("name_pattern", "label")
    @classmethod
    def _required(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("cannot be null; leave it out to keep it")
        return value


class SoftwareReferenceOut(BaseModel):
    id: UUID
    name_pattern: str
    min_version: str | None
    host_kind: HostKind | None
    host_kind_label: str | None
    site_code: str | None
    label: str
    created_at: datetime

    @classmethod
    def of(cls, reference: SoftwareReference, site_code: str | None) -> SoftwareReferenceOut:
        return cls(
            id=reference.id,
            name_pattern=reference.name_pattern,
            min_version=reference.min_version,
            host_kind=reference.host_kind,
            host_kind_label=KIND_LABELS[reference.host_kind] if reference.host_kind else None,
            site_code=site_code,
            label=reference.label,
            created_at=reference.created_at,
        )


# --- compliance ------------------------------------------------------------------------------


class Finding(BaseModel):
    """A reference a host does not meet."""

    reference_id: UUID
    kind: Literal["missing", "outdated"]
    name_pattern: str
    min_version: str | None
    installed: dict[str, str] = Field(
        description="What matched the pattern, name → version (empty when missing)"
    )
    label: str = Field(description="In French: `Manquant : Navigateur (Mozilla Firefox)`")


class HostCompliance(BaseModel):
    asset_tag: str
    hostname: str
    site_code: str
    inventoried_at: datetime | None = Field(description="null: never inventoried")
    compliant: bool | None = Field(description="null: unknown, never inventoried")
    findings: list[Finding]
