"""The user signs the sheet: a PNG data URL only, bounded, re-encoded before anything is
kept; the signed sheet rendered once and served byte for byte with its SHA-256."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image
from pypdf import PdfReader

from guichet_common.testing.html import check_strict_html

from ..conftest import Kit, fields_named
from .conftest import (
    Visit,
    bomb,
    data_url,
    jpeg,
    noisy_png,
    on_site,
    png,
    refused,
    remote_body,
    sign,
)

pytestmark = pytest.mark.integration

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


async def test_a_signature_needs_the_interventions_etag(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    path = f"{visit.interventions}/{created['id']}/signature"
    body = {"signer_name": "M. Paul Durand", "signature": data_url(png())}
    response = await kit.client.post(path, json=body, headers=kit.technician)
    refused(response, 428, "precondition-required")
    response = await kit.client.post(path, json=body, headers={**kit.technician, "If-Match": '"7"'})
    problem = refused(response, 412, "precondition-failed")
    assert problem["etag"] == '"1"'
    read = await kit.client.get(f"{visit.interventions}/{created['id']}", headers=kit.technician)
    assert read.json()["signed"] is False  # nothing changed


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(data_url(jpeg(), "image/jpeg"), id="a JPEG data URL"),
        pytest.param(data_url(jpeg()), id="JPEG bytes called a PNG"),
        pytest.param(data_url(SVG, "image/svg+xml"), id="an SVG"),
        pytest.param(data_url(png() + b"<script>"), id="a PNG with trailing junk"),
        pytest.param(data_url(png()[:-20]), id="a truncated PNG"),
        pytest.param(data_url(bomb()), id="a decompression bomb"),
        pytest.param(data_url(png(2001, 50)), id="too wide"),
        pytest.param(data_url(png(200, 1001)), id="too high"),
        pytest.param("data:image/png;base64,not base64!", id="not base64"),
        pytest.param("https://example.org/signature.png", id="a URL"),
    ],
)
async def test_anything_but_a_png_data_url_is_refused(
    kit: Kit, visit: Visit, signature: str
) -> None:
    created = await on_site(kit, visit)
    response = await sign(kit, visit, created["id"], signature)
    refused(response, 422, "validation-error")
    assert fields_named(response) == ["signature"]
    assert (
        await kit.scalar(
            "SELECT count(*) FROM ticketing.intervention_signature WHERE intervention_id = :id",
            id=created["id"],
        )
    ) == 0


async def test_an_oversized_signature_is_413(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    large = noisy_png(300, 300)  # 360 000 bytes of pixels that do not compress
    assert len(large) > kit.settings.intervention_signature_max_bytes
    response = await sign(kit, visit, created["id"], data_url(large))
    problem = refused(response, 413, "signature-too-large")
    assert fields_named(response) == ["signature"]
    assert problem["max_bytes"] == 200 * 1024


async def test_the_signed_sheet_is_rendered_once_and_served_byte_for_byte(
    kit: Kit, visit: Visit
) -> None:
    created = await on_site(kit, visit)
    response = await sign(kit, visit, created["id"], data_url(png(comment="secret")))
    assert response.status_code == 200, response.text
    signed = response.json()
    assert response.headers["ETag"] == '"2"'
    assert signed["signed"] is True and signed["signer_name"] == "M. Paul Durand"
    assert signed["signed_at"] is not None
    sheet = f"{visit.interventions}/{created['id']}/sheet?format=pdf"
    first = await kit.client.get(sheet, headers=kit.technician)
    second = await kit.client.get(sheet, headers=kit.supervisor)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content  # the stored bytes, every time
    digest = hashlib.sha256(first.content).hexdigest()
    assert signed["sheet_sha256"] == digest
    assert first.headers["ETag"] == f'"{digest}"'
    stored = await kit.scalar(
        "SELECT sheet_pdf FROM ticketing.intervention_signature WHERE intervention_id = :id",
        id=created["id"],
    )
    assert bytes(stored) == first.content
    pages = PdfReader(io.BytesIO(first.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Signé par M. Paul Durand le" in text
    # The ticket changing afterwards changes nothing of the signed sheet.
    path = f"/api/ticketing/tickets/{visit.reference}"
    changed = await kit.client.patch(
        path,
        json={"title": "Autre objet"},
        headers={**kit.technician, "If-Match": await kit.etag(path)},
    )
    assert changed.status_code == 200, changed.text
    third = await kit.client.get(sheet, headers=kit.technician)
    assert third.content == first.content
    page = await kit.client.get(sheet.replace("pdf", "html"), headers=kit.technician)
    check_strict_html(page.text)
    assert "Signé par M. Paul Durand" in page.text
    assert 'src="data:image/png;base64,' in page.text


async def test_the_signature_is_re_encoded_before_it_is_kept(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    sent = png(comment="TabletteSignature 3.1, device 0042")  # ASCII: a tEXt chunk
    assert b"tEXt" in sent
    response = await sign(kit, visit, created["id"], data_url(sent))
    assert response.status_code == 200, response.text
    kept = bytes(
        await kit.scalar(
            "SELECT image_png FROM ticketing.intervention_signature WHERE intervention_id = :id",
            id=created["id"],
        )
    )
    assert kept != sent
    assert b"tEXt" not in kept and b"iTXt" not in kept and b"TabletteSignature" not in kept
    with Image.open(io.BytesIO(kept)) as image, Image.open(io.BytesIO(sent)) as original:
        assert image.format == "PNG" and image.size == (300, 120)
        assert image.info == {}
        assert image.convert("RGBA").tobytes() == original.convert("RGBA").tobytes()


async def test_a_sheet_is_signed_once(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    assert (await sign(kit, visit, created["id"], data_url(png()))).status_code == 200
    again = await sign(kit, visit, created["id"], data_url(png()), signer_name="Quelqu'un")
    problem = refused(again, 409, "already-signed")
    assert problem["sheet_sha256"]
    events = [e for e in await kit.events(visit.reference) if e["type"].endswith("signed.v1")]
    [event] = events
    assert event["data"]["signer_name"] == "M. Paul Durand"
    assert event["data"]["sheet_sha256"] == problem["sheet_sha256"]
    history = await kit.client.get(
        f"/api/ticketing/tickets/{visit.reference}/history", headers=kit.supervisor
    )
    assert history.json()["items"][-1]["action"] == "intervention_signed"


async def test_a_remote_intervention_has_nothing_to_sign(kit: Kit, visit: Visit) -> None:
    response = await kit.client.post(
        visit.interventions, json=remote_body(visit), headers=kit.technician
    )
    assert response.status_code == 201, response.text
    refused(await sign(kit, visit, response.json()["id"], data_url(png())), 409, "not-on-site")


async def test_only_the_helpdesk_holds_the_tablet(kit: Kit, visit: Visit) -> None:
    created = await on_site(kit, visit)
    path = f"{visit.interventions}/{created['id']}"
    local = kit.requester(sub="local", email="local@ac-orleans-tours.fr", sites=[visit.site_code])
    response = await kit.client.post(
        f"{path}/signature",
        json={"signer_name": "M. Paul Durand", "signature": data_url(png())},
        headers={**local, "If-Match": '"1"'},
    )
    refused(response, 403, "forbidden")
