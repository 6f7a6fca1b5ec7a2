"""How versions compare (dotted numbers, part by part) and what the agent's document
model takes: machine text without NULs, CONTACT without content, unknown sections kept."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from imaging.inventory.models import AgentMessage, content_sha256, version_key


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("23.01", "24.08"),
        ("9.0", "10.0"),  # numbers, not text: "9" > "1" as text
        ("115.15.0", "128.0"),
        ("128.0", "128.0.1"),
        ("1.18.0", "1.19"),
        ("7.4.1-beta", "7.4.2"),
        ("", "0.1"),
        ("24.08 (x64)", "24.09"),
    ],
)
def test_versions_compare_part_by_part_as_numbers(lower: str, higher: str) -> None:
    assert version_key(lower) < version_key(higher)


@pytest.mark.parametrize(
    ("left", "right"), [("1.19", "1.19.0"), ("24.08", "24.8"), ("128.0", "128"), (None, "")]
)
def test_trailing_zeros_and_leading_zeros_do_not_count(left: str | None, right: str) -> None:
    assert version_key(left) == version_key(right)


def test_nul_characters_are_removed_everywhere_in_the_document() -> None:
    message = AgentMessage.model_validate(
        {
            "deviceid": "pc\x00-01",
            "content": {
                "versionclient": "GLPI-Agent_v1.11\x00",
                "bios": {"smodel": "OptiPlex\x00 7090", "skunumber": "0A5C\x00"},
                "monitors": [{"caption\x00": "DELL\x00"}],
            },
        }
    )

    stored = message.stored()
    assert stored["deviceid"] == "pc-01"
    assert stored["content"]["bios"] == {"smodel": "OptiPlex 7090", "skunumber": "0A5C"}
    assert stored["content"]["monitors"] == [{"caption": "DELL"}]
    assert content_sha256(stored) == content_sha256(
        AgentMessage.model_validate(
            {
                "deviceid": "pc-01",
                "content": {
                    "versionclient": "GLPI-Agent_v1.11",
                    "bios": {"smodel": "OptiPlex 7090", "skunumber": "0A5C"},
                    "monitors": [{"caption": "DELL"}],
                },
            }
        ).stored()
    )


def test_the_hash_ignores_the_order_of_keys_not_the_content() -> None:
    first = AgentMessage.model_validate(
        {"deviceid": "pc-01", "content": {"versionclient": "a", "hardware": {"name": "PC"}}}
    )
    reordered = AgentMessage.model_validate(
        {"content": {"hardware": {"name": "PC"}, "versionclient": "a"}, "deviceid": "pc-01"}
    )
    other_agent = AgentMessage.model_validate(
        {"deviceid": "pc-02", "content": {"versionclient": "a", "hardware": {"name": "PC"}}}
    )

    assert content_sha256(first.stored()) == content_sha256(reordered.stored())
    assert content_sha256(first.stored()) != content_sha256(other_agent.stored())


def test_a_contact_needs_no_content_an_inventory_does() -> None:
    contact = AgentMessage.model_validate(
        {"action": "contact", "deviceid": "pc-01", "installed-tasks": ["inventory"]}
    )

    assert contact.is_contact and contact.installed_tasks == ["inventory"]
    with pytest.raises(ValidationError, match="content is required for an inventory"):
        AgentMessage.model_validate({"deviceid": "pc-01"})


def test_numbers_where_the_format_says_strings_are_taken() -> None:
    message = AgentMessage.model_validate(
        {
            "deviceid": "pc-01",
            "content": {"versionclient": "a", "memories": [{"capacity": "8192", "speed": 2666}]},
        }
    )

    [memory] = message.inventory_content().memories or []
    assert (memory.capacity, memory.speed) == (8192, "2666")


def test_a_document_nested_beyond_reason_is_refused() -> None:
    deep: object = "x"
    for _ in range(40):
        deep = [deep]

    with pytest.raises(ValidationError, match="nested more than 32 levels"):
        AgentMessage.model_validate(
            {"deviceid": "pc-01", "content": {"versionclient": "a", "other": deep}}
        )
