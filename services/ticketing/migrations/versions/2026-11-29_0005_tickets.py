"""Tickets: categories, the priority matrix, staff, tickets with their history, checklist,
followups and attachments; the default category tree and GLPI's default matrix.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("parent_code", sa.String(length=40), nullable=True),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("help_text", sa.String(length=1000), nullable=True),
        sa.Column(
            "fields",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "task_template",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["ticketing.category.code"],
            name=op.f("fk_category_parent_code_category"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_category")),
        schema="ticketing",
    )
    op.create_index(
        op.f("ix_ticketing_category_parent_code"),
        "category",
        ["parent_code"],
        unique=False,
        schema="ticketing",
    )
    op.create_table(
        "priority_matrix",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cells", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_priority_matrix_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_priority_matrix")),
        schema="ticketing",
    )
    op.create_table(
        "reference_counter",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_reference_counter")),
        schema="ticketing",
    )
    op.create_table(
        "support_group",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_support_group")),
        schema="ticketing",
    )
    op.create_table(
        "technician",
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column(
            "group_codes",
            postgresql.ARRAY(sa.String(length=40)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("login", name=op.f("pk_technician")),
        schema="ticketing",
    )
    op.create_table(
        "ticket",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("category_label", sa.String(length=120), nullable=False),
        sa.Column(
            "category_fields",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("urgency", sa.SmallInteger(), nullable=False),
        sa.Column("impact", sa.SmallInteger(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("priority_manual", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("site_code", sa.String(length=20), nullable=False),
        sa.Column("site_name", sa.String(length=200), nullable=False),
        sa.Column("room_code", sa.String(length=20), nullable=True),
        sa.Column("asset_tag", sa.String(length=40), nullable=True),
        sa.Column("asset_known", sa.Boolean(), nullable=True),
        sa.Column("hostname", sa.String(length=15), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("hardware_need", sa.String(length=1000), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("requester_name", sa.String(length=120), nullable=False),
        sa.Column("requester_email", sa.String(length=254), nullable=True),
        sa.Column("requester_phone", sa.String(length=30), nullable=True),
        sa.Column("affected_name", sa.String(length=120), nullable=True),
        sa.Column("affected_email", sa.String(length=254), nullable=True),
        sa.Column("affected_phone", sa.String(length=30), nullable=True),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("assignee_name", sa.String(length=120), nullable=True),
        sa.Column("assignee_email", sa.String(length=254), nullable=True),
        sa.Column("group_code", sa.String(length=40), nullable=True),
        sa.Column("group_name", sa.String(length=120), nullable=True),
        sa.Column("pending_reason", sa.String(length=10), nullable=True),
        sa.Column("planned_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("solution", sa.Text(), nullable=True),
        sa.Column("resolution_code", sa.String(length=20), nullable=True),
        sa.Column("search", postgresql.TSVECTOR(), nullable=False),
        sa.Column(
            "followup_search",
            postgresql.TSVECTOR(),
            server_default=sa.text("''::tsvector"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("solved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("impact BETWEEN 1 AND 5", name=op.f("ck_ticket_impact_range")),
        sa.CheckConstraint("priority BETWEEN 1 AND 6", name=op.f("ck_ticket_priority_range")),
        sa.CheckConstraint(
            "requester_email IS NOT NULL OR requester_phone IS NOT NULL",
            name=op.f("ck_ticket_requester_reachable"),
        ),
        sa.CheckConstraint("urgency BETWEEN 1 AND 5", name=op.f("ck_ticket_urgency_range")),
        sa.ForeignKeyConstraint(
            ["assignee"], ["ticketing.technician.login"], name=op.f("fk_ticket_assignee_technician")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["ticketing.category.code"],
            name=op.f("fk_ticket_category_code_category"),
        ),
        sa.ForeignKeyConstraint(
            ["group_code"],
            ["ticketing.support_group.code"],
            name=op.f("fk_ticket_group_code_support_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
        sa.UniqueConstraint("reference", name=op.f("uq_ticket_reference")),
        schema="ticketing",
    )
    op.create_index(
        "ix_ticket_affected_email",
        "ticket",
        [sa.literal_column("lower(affected_email)")],
        unique=False,
        schema="ticketing",
    )
    op.create_index(
        "ix_ticket_assignee", "ticket", ["assignee", "status"], unique=False, schema="ticketing"
    )
    op.create_index(
        "ix_ticket_created",
        "ticket",
        [sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
        schema="ticketing",
    )
    op.create_index(
        "ix_ticket_opened_by", "ticket", ["opened_by"], unique=False, schema="ticketing"
    )
    op.create_index(
        "ix_ticket_requester_email",
        "ticket",
        [sa.literal_column("lower(requester_email)")],
        unique=False,
        schema="ticketing",
    )
    op.create_index(
        "ix_ticket_search",
        "ticket",
        [sa.literal_column("(search || followup_search)")],
        unique=False,
        schema="ticketing",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_ticket_site_created",
        "ticket",
        ["site_code", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
        schema="ticketing",
    )
    op.create_index(
        "ix_ticket_status_created",
        "ticket",
        ["status", sa.literal_column("created_at DESC")],
        unique=False,
        schema="ticketing",
    )
    op.create_table(
        "followup",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_name", sa.String(length=120), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketing.ticket.id"],
            name=op.f("fk_followup_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup")),
        schema="ticketing",
    )
    op.create_index(
        "ix_followup_ticket",
        "followup",
        ["ticket_id", "created_at", "id"],
        unique=False,
        schema="ticketing",
    )
    op.create_table(
        "ticket_change",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=120), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column(
            "changes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketing.ticket.id"],
            name=op.f("fk_ticket_change_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_change")),
        schema="ticketing",
    )
    op.create_index(
        "ix_ticket_change_ticket",
        "ticket_change",
        ["ticket_id", "id"],
        unique=False,
        schema="ticketing",
    )
    op.create_table(
        "ticket_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("done", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "duration_minutes IS NULL OR duration_minutes >= 0",
            name=op.f("ck_ticket_task_duration"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketing.ticket.id"],
            name=op.f("fk_ticket_task_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_task")),
        schema="ticketing",
    )
    op.create_index(
        "ix_ticket_task_ticket",
        "ticket_task",
        ["ticket_id", "position"],
        unique=False,
        schema="ticketing",
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("followup_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_attachment_not_empty")),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["ticketing.followup.id"],
            name=op.f("fk_attachment_followup_id_followup"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketing.ticket.id"],
            name=op.f("fk_attachment_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        schema="ticketing",
    )
    op.create_index(
        "ix_attachment_ticket",
        "attachment",
        ["ticket_id", "created_at"],
        unique=False,
        schema="ticketing",
    )
    op.create_index(
        op.f("ix_ticketing_attachment_followup_id"),
        "attachment",
        ["followup_id"],
        unique=False,
        schema="ticketing",
    )
    _seed()


def downgrade() -> None:
    op.drop_index(
        op.f("ix_ticketing_attachment_followup_id"), table_name="attachment", schema="ticketing"
    )
    op.drop_index("ix_attachment_ticket", table_name="attachment", schema="ticketing")
    op.drop_table("attachment", schema="ticketing")
    op.drop_index("ix_ticket_task_ticket", table_name="ticket_task", schema="ticketing")
    op.drop_table("ticket_task", schema="ticketing")
    op.drop_index("ix_ticket_change_ticket", table_name="ticket_change", schema="ticketing")
    op.drop_table("ticket_change", schema="ticketing")
    op.drop_index("ix_followup_ticket", table_name="followup", schema="ticketing")
    op.drop_table("followup", schema="ticketing")
    op.drop_index("ix_ticket_status_created", table_name="ticket", schema="ticketing")
    op.drop_index("ix_ticket_site_created", table_name="ticket", schema="ticketing")
    op.drop_index(
        "ix_ticket_search", table_name="ticket", schema="ticketing", postgresql_using="gin"
    )
    op.drop_index("ix_ticket_requester_email", table_name="ticket", schema="ticketing")
    op.drop_index("ix_ticket_opened_by", table_name="ticket", schema="ticketing")
    op.drop_index("ix_ticket_created", table_name="ticket", schema="ticketing")
    op.drop_index("ix_ticket_assignee", table_name="ticket", schema="ticketing")
    op.drop_index("ix_ticket_affected_email", table_name="ticket", schema="ticketing")
    op.drop_table("ticket", schema="ticketing")
    op.drop_table("technician", schema="ticketing")
    op.drop_table("support_group", schema="ticketing")
    op.drop_table("reference_counter", schema="ticketing")
    op.drop_table("priority_matrix", schema="ticketing")
    op.drop_index(
        op.f("ix_ticketing_category_parent_code"), table_name="category", schema="ticketing"
    )
    op.drop_table("category", schema="ticketing")


# GLPI's default matrix: rows are urgency 1-5, columns impact 1-5.
DEFAULT_MATRIX = [
    [1, 1, 2, 2, 2],
    [1, 2, 2, 3, 3],
    [2, 2, 3, 4, 4],
    [2, 3, 4, 4, 5],
    [2, 3, 4, 5, 5],
]

NO_PASSWORD = (
    "Ne communiquez jamais votre mot de passe : ni Guichet ni le service informatique ne "
    "vous le demanderont."
)
# code, parent, label, help text, fields, task template (labels), position
DEFAULT_CATEGORIES: list[
    tuple[str, str | None, str, str | None, list[dict[str, object]], list[str]]
] = [
    ("hardware", None, "Matériel", None, [], []),
    ("workstation", "hardware", "Poste de travail (panne, lenteur)", None, [], []),
    (
        "workstation_replacement",
        "hardware",
        "Remplacement de poste",
        "Le nouveau poste est préparé puis installé à la place de l'ancien.",
        [],
        [
            "Sauvegarder les données et les favoris du navigateur",
            "Récupérer la licence Office avant la réinstallation",
            "Installer le nouveau poste",
            "Transférer les fichiers de l'utilisateur",
            "Joindre le poste au domaine (nommé d'après son numéro d'inventaire)",
            "Installer les pilotes",
            "Installer l'imprimante",
        ],
    ),
    ("peripheral", "hardware", "Périphérique (écran, clavier, souris)", None, [], []),
    ("software", None, "Logiciel", None, [], []),
    (
        "software_install",
        "software",
        "Installation de logiciel",
        None,
        [
            {
                "key": "software_name",
                "label": "Logiciel demandé",
                "kind": "text",
                "required": True,
            }
        ],
        [],
    ),
    ("network", None, "Réseau", None, [], []),
    ("wifi", "network", "Wi-Fi", None, [], []),
    ("internet", "network", "Accès Internet et filtrage", None, [], []),
    (
        "account",
        None,
        "Compte et identifiants",
        NO_PASSWORD,
        [
            {
                "key": "class_or_sector",
                "label": "Classe, discipline ou secteur",
                "kind": "text",
                "required": True,
            },
            {
                "key": "failing_services",
                "label": "Sur quel(s) service(s) les identifiants ne fonctionnent-ils pas ?",
                "kind": "choices",
                "choices": ["ENT", "Pronote", "Messagerie", "Session Windows", "Wi-Fi", "Autre"],
                "required": True,
                "help": NO_PASSWORD,
            },
        ],
        [],
    ),
    ("printing", None, "Impression et copieurs", None, [], []),
    ("projector", None, "Vidéoprojecteur et TBI", None, [], []),
    ("telephony", None, "Téléphonie", None, [], []),
    ("other", None, "Autre", None, [], []),
]


def _seed() -> None:
    matrix = sa.table(
        "priority_matrix",
        sa.column("id", sa.Integer()),
        sa.column("cells", postgresql.JSONB()),
        schema="ticketing",
    )
    op.bulk_insert(matrix, [{"id": 1, "cells": DEFAULT_MATRIX}])
    category = sa.table(
        "category",
        sa.column("code", sa.String()),
        sa.column("parent_code", sa.String()),
        sa.column("label", sa.String()),
        sa.column("help_text", sa.String()),
        sa.column("fields", postgresql.JSONB()),
        sa.column("task_template", postgresql.JSONB()),
        sa.column("position", sa.Integer()),
        schema="ticketing",
    )
    op.bulk_insert(
        category,
        [
            {
                "code": code,
                "parent_code": parent,
                "label": label,
                "help_text": help_text,
                "fields": fields,
                "task_template": [
                    {"position": position, "label": task} for position, task in enumerate(tasks)
                ],
                "position": position,
            }
            for position, (code, parent, label, help_text, fields, tasks) in enumerate(
                DEFAULT_CATEGORIES
            )
        ],
    )
