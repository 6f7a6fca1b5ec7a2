"""`/api/imaging/naming-policies`: saved only when every name they give is valid, resolved
from the most specific, the default one always there."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import POLICIES, Fleet

pytestmark = pytest.mark.integration

DEFAULT_TEMPLATE = "{prefix}-{net}{kind}-{nnn}"


async def _default_policy(fleet: Fleet) -> dict[str, Any]:
    listed = await fleet.get(f"{POLICIES}?defaults=true&limit=200")
    assert listed.status_code == 200, listed.text
    [default] = [p for p in listed.json()["items"] if p["is_default"]]
    return default  # type: ignore[no-any-return]


async def test_the_default_policy_is_seeded_and_names_every_site(fleet: Fleet) -> None:
    default = await _default_policy(fleet)
    assert (default["site_code"], default["kind"]) == (None, None)
    assert default["template"] == DEFAULT_TEMPLATE
    assert (default["max_length"], default["capacity"]) == (15, 999)

    site = await fleet.site()
    desktop = await fleet.host(site)
    laptop = await fleet.host(site, kind="laptop", network="admin")
    prefix = site["hostname_prefix"]
    assert desktop["hostname"] == f"{prefix}-PPC-001"
    assert laptop["hostname"] == f"{prefix}-APO-001"


async def test_the_default_policy_cannot_be_deleted(fleet: Fleet, kit: Any) -> None:
    default = await _default_policy(fleet)
    path = f"{POLICIES}/{default['id']}"
    etag = await fleet.refused_without_the_etag("DELETE", path, None)
    refused = await fleet.write("DELETE", path, etag)
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "urn:guichet:problem:in-use"
    assert "cannot be deleted" in refused.json()["detail"]
    assert (await fleet.get(path)).status_code == 200
    assert (
        await kit.scalar(
            "SELECT count(*) FROM imaging.naming_policy WHERE site_id IS NULL AND host_kind IS NULL"
        )
        == 1
    )


async def test_the_most_specific_policy_names_the_host(fleet: Fleet) -> None:
    """(site, kind), then (site, any kind), then (default, kind), then (default, any)."""
    site, other = await fleet.site(), await fleet.site()
    prefix, other_prefix = site["hostname_prefix"], other["hostname_prefix"]
    await fleet.policy("{prefix}S{nn}", site=site)
    await fleet.policy("{prefix}L{nn}", site=site, kind="laptop")
    default_for_devices = await fleet.policy("{prefix}R{nn}", kind="network_device")
    try:
        assert (await fleet.host(site, kind="laptop"))["hostname"] == f"{prefix}L01"
        assert (await fleet.host(site, kind="desktop"))["hostname"] == f"{prefix}S01"
        assert (await fleet.host(site, kind="network_device"))["hostname"] == f"{prefix}S02"
        assert (await fleet.host(other, kind="network_device"))["hostname"] == (
            f"{other_prefix}R01"
        )
        assert (await fleet.host(other, kind="laptop"))["hostname"] == f"{other_prefix}-PPO-001"
    finally:  # the default policies are every test's: leave them as they were
        path = f"{POLICIES}/{default_for_devices['id']}"
        deleted = await fleet.write("DELETE", path, await fleet.kit.etag(path))
        assert deleted.status_code == 204, deleted.text
    assert (await fleet.host(other, kind="network_device"))["hostname"] == (
        f"{other_prefix}-PRES-001"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{prefix}-{room}-{nn}", "can reach 30 characters"),
        ("{prefix}-{net}{kind}-{nnnn}", "can reach 16 characters"),
        ("{prefix}-{net}{kind}", "needs a sequence"),
        ("{prefix}{nnn}", "digits only"),
        ("{prefix}-{foo}{nn}", "unknown placeholder {foo}"),
        ("{prefix}_{nn}", "letters, digits and hyphens only outside placeholders"),
        ("PC{nn}\x00", "must not contain a NUL character"),
        # 60 characters as typed, 61 in upper case (`ß` is `SS`): more than the column holds.
        ("{asset:1}" * 6 + "ß{net}", "at most 60 characters once in upper case"),
    ],
)
async def test_a_template_that_could_give_an_invalid_name_is_a_422_on_template(
    fleet: Fleet, kit: Any, template: str, message: str
) -> None:
    site = await fleet.site()
    refused = await fleet.post_policy(template, site=site)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert [e["field"] for e in body["errors"]] == ["template"]
    assert message in body["errors"][0]["message"]
    assert "template" in body["detail"]
    count = await kit.scalar(
        "SELECT count(*) FROM imaging.naming_policy p JOIN imaging.site s ON s.id = p.site_id "
        "WHERE s.code = :code",
        code=site["code"],
    )
    assert count == 0


async def test_one_policy_per_site_and_kind(fleet: Fleet) -> None:
    site = await fleet.site()
    first = await fleet.policy("{prefix}-{nnn}", site=site, kind="tablet")
    assert (first["site_code"], first["kind"], first["kind_label"]) == (
        site["code"],
        "tablet",
        "Tablette",
    )
    twin = await fleet.post_policy("{prefix}T{nn}", site=site, kind="tablet")
    assert twin.status_code == 409, twin.text
    assert twin.json()["type"] == "urn:guichet:problem:already-exists"
    assert twin.json()["policy_id"] == first["id"]
    # Another kind, or any kind, of the same site is another policy.
    assert (await fleet.post_policy("{prefix}T{nn}", site=site)).status_code == 201
    # The default (no site, any kind) exists already: NULLs are not distinct here.
    again = await fleet.post_policy("{prefix}D{nn}")
    assert again.status_code == 409, again.text


async def test_an_unknown_site_is_a_422_on_site_code(fleet: Fleet) -> None:
    refused = await fleet.post_policy("{prefix}-{nnn}", site={"code": "NOWHERE-99"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [{"field": "site_code", "message": "no site NOWHERE-99"}]


async def test_a_new_template_names_new_hosts_only(fleet: Fleet) -> None:
    site = await fleet.site()
    prefix = site["hostname_prefix"]
    policy = await fleet.policy("{prefix}A{nn}", site=site)
    before = await fleet.host(site)
    assert before["hostname"] == f"{prefix}A01"

    path = f"{POLICIES}/{policy['id']}"
    body = {"template": "{prefix}b{nnn}"}
    etag = await fleet.refused_without_the_etag("PATCH", path, None, json=body)
    changed = await fleet.write("PATCH", path, etag, json=body)
    assert changed.status_code == 200, changed.text
    assert changed.json()["template"] == "{prefix}B{nnn}"
    assert changed.headers["ETag"] != etag
    too_long = await fleet.write(
        "PATCH", path, changed.headers["ETag"], json={"template": "{prefix}{room}{nn}"}
    )
    assert too_long.status_code == 422, too_long.text
    assert too_long.json()["errors"][0]["field"] == "template"

    assert (await fleet.host(site))["hostname"] == f"{prefix}B001"
    again = await fleet.get(f"/api/imaging/hosts/{before['asset_tag']}")
    assert again.json()["hostname"] == f"{prefix}A01"

    etag = await fleet.refused_without_the_etag("DELETE", path, None)
    assert (await fleet.write("DELETE", path, etag)).status_code == 204
    assert (await fleet.get(path)).status_code == 404
    assert (await fleet.host(site))["hostname"] == f"{prefix}-PPC-001"


async def test_policies_are_a_supervisors(fleet: Fleet, kit: Any) -> None:
    site, other = await fleet.site(), await fleet.site()
    body = {"site_code": site["code"], "kind": None, "template": "{prefix}-{nnn}"}
    as_technician = await kit.client.post(POLICIES, json=body, headers=kit.technician)
    assert as_technician.status_code == 403, as_technician.text
    assert (await kit.client.get(POLICIES, headers=kit.technician)).status_code == 200

    limited = kit.token("supervisor", sites=[site["code"]])
    mine = await kit.client.post(POLICIES, json=body, headers=limited)
    assert mine.status_code == 201, mine.text
    theirs = await kit.client.post(
        POLICIES, json={**body, "site_code": other["code"]}, headers=limited
    )
    assert theirs.status_code == 403, theirs.text
    default = await kit.client.post(
        POLICIES, json={**body, "site_code": None, "kind": "copier"}, headers=limited
    )
    assert default.status_code == 403, default.text
    assert "default naming policies" in default.json()["detail"]


async def test_the_list_filters_by_site_and_pages(fleet: Fleet) -> None:
    site = await fleet.site()
    made = [
        await fleet.policy("{prefix}-{nnn}", site=site, kind=kind)
        for kind in ("desktop", "laptop", "tablet")
    ]
    pages: list[str] = []
    cursor = None
    while True:
        query = f"{POLICIES}?site_code={site['code'].lower()}&limit=2"
        listed = await fleet.get(query + (f"&cursor={cursor}" if cursor else ""))
        assert listed.status_code == 200, listed.text
        pages.extend(p["id"] for p in listed.json()["items"])
        cursor = listed.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == [p["id"] for p in made]
    laptops = await fleet.get(f"{POLICIES}?site_code={site['code']}&kind=laptop")
    assert [p["id"] for p in laptops.json()["items"]] == [made[1]["id"]]
