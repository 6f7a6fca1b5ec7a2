"""The pure checks behind a signature and a signed link, without a database."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from guichet_common.http import InvalidInput
from ticketing.interventions import signing
from ticketing.interventions.signing import SignatureTooLarge

from .conftest import bomb, chunk, data_url, jpeg, noisy_png, png

LIMITS = {"max_width": 2000, "max_height": 1000}
SECRET = "a-secret-of-at-least-32-bytes-for-tests"


def test_a_png_data_url_is_decoded() -> None:
    image = png()
    assert signing.decode_data_url(data_url(image), 200 * 1024) == image
    # The media type is case-insensitive (RFC 2397), nothing else is.
    assert signing.decode_data_url(data_url(image, "IMAGE/PNG"), 200 * 1024) == image


@pytest.mark.parametrize(
    "value",
    [
        data_url(jpeg(), "image/jpeg"),
        data_url(png(), "image/svg+xml"),
        "data:image/png,rawbytes",
        "data:image/png;base64,@@@@",
        "data:image/png;base64,iVBORw0KGgo= trailing",
        "iVBORw0KGgo=",
    ],
)
def test_anything_else_is_refused_naming_the_signature(value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        signing.decode_data_url(value, 200 * 1024)
    assert raised.value.extra["field"] == "signature"


def test_the_size_is_checked_before_decoding() -> None:
    with pytest.raises(SignatureTooLarge) as raised:
        signing.decode_data_url("data:image/png;base64," + "A" * 10_000_000, 1024)
    assert raised.value.status == 413 and raised.value.extra["field"] == "signature"
    exactly = noisy_png(20, 20)
    assert signing.decode_data_url(data_url(exactly), len(exactly)) == exactly
    with pytest.raises(SignatureTooLarge):
        signing.decode_data_url(data_url(exactly), len(exactly) - 1)


def test_a_png_is_walked_chunk_by_chunk() -> None:
    assert signing.png_dimensions(png(300, 120)) == (300, 120)
    good = png()
    corrupt = bytearray(good)
    corrupt[40] ^= 0xFF  # inside a chunk: its CRC no longer matches
    no_header = good[:8] + chunk(b"IDAT", b"") + chunk(b"IEND", b"")
    for broken in (jpeg(), good + b"\x00", good[:-1], bytes(corrupt), no_header, good[:8]):
        with pytest.raises(InvalidInput):
            signing.png_dimensions(broken)


def test_a_bomb_is_refused_before_any_pixel_is_decoded() -> None:
    assert signing.png_dimensions(bomb()) == (60_000, 60_000)
    with pytest.raises(InvalidInput, match="60000 x 60000"):
        signing.reencode(bomb(), **LIMITS)


def test_the_image_is_drawn_again_without_its_metadata() -> None:
    sent = png(comment="Tablet 3.1, serial 0042")
    clean = signing.reencode(sent, **LIMITS)
    assert (clean.width, clean.height) == (300, 120)
    assert b"tEXt" not in clean.png and b"Tablet" not in clean.png
    with Image.open(io.BytesIO(clean.png)) as image, Image.open(io.BytesIO(sent)) as original:
        assert image.info == {} and image.mode == "RGBA"
        assert image.tobytes() == original.convert("RGBA").tobytes()
    # Drawn again, the same pixels give the same bytes.
    assert signing.reencode(clean.png, **LIMITS).png == clean.png
    assert clean.data_url().startswith("data:image/png;base64,iVBORw0KGgo")


def grey_png(width: int, height: int, data: bytes, *, interlaced: bool = False) -> bytes:
    """A PNG of 8-bit grey pixels whose image data is `data`, zlib-compressed."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, int(interlaced))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(data))
        + chunk(b"IEND", b"")
    )


def test_image_data_that_does_not_fill_the_image_is_refused() -> None:
    """Pillow would fill a short image with black once WeasyPrint is imported (it sets
    LOAD_TRUNCATED_IMAGES): the data's size is checked against the header first."""
    rows = b"\x00" + b"\x80" * 300  # one row: a filter byte and 300 grey pixels
    assert signing.reencode(grey_png(300, 120, rows * 120), **LIMITS).width == 300
    for wrong in (rows * 119, rows * 120 + b"\x00"):
        with pytest.raises(InvalidInput, match="does not match its size"):
            signing.reencode(grey_png(300, 120, wrong), **LIMITS)
    header = png()[8:33]  # the valid IHDR of a 300 x 120 image
    garbage = b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", b"not zlib") + chunk(b"IEND", b"")
    with pytest.raises(InvalidInput, match="image data is corrupt"):
        signing.reencode(garbage, **LIMITS)


def test_an_interlaced_png_is_sized_pass_by_pass() -> None:
    # Adam7 on 3 x 3: passes 1, 4, 5, 6 and 7 hold 1, 1, 2, 2 x 1 and 3 pixels, one
    # filter byte per row: 2 + 2 + 3 + 4 + 4 bytes.
    interlaced = grey_png(3, 3, b"\x00" * 15, interlaced=True)
    assert signing.reencode(interlaced, **LIMITS).width == 3
    with pytest.raises(InvalidInput):
        signing.reencode(grey_png(3, 3, b"\x00" * 14, interlaced=True), **LIMITS)


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"])
def test_every_kind_of_png_pillow_writes_is_accepted(mode: str) -> None:
    out = io.BytesIO()
    Image.new(mode, (33, 7)).save(out, format="PNG")
    clean = signing.reencode(out.getvalue(), **LIMITS)
    assert (clean.width, clean.height) == (33, 7)


def test_a_signed_link_opens_only_what_it_was_made_for() -> None:
    token = signing.sign_link("theo.technicien", SECRET, "agenda")
    assert signing.verify_link(token, SECRET, "agenda") == "theo.technicien"
    assert signing.verify_link(token, SECRET, "intervention-sheet") is None
    assert signing.verify_link(token, "another-secret", "agenda") is None
    assert signing.verify_link(token[:-1], SECRET, "agenda") is None
    assert signing.verify_link("théo.été", SECRET, "agenda") is None
    assert signing.verify_link(".abc", SECRET, "agenda") is None


def test_an_expiring_link_dies_at_its_time() -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    token = signing.sign_expiring("id-1", now + timedelta(days=14), SECRET, "sheet")
    assert signing.verify_expiring(token, SECRET, "sheet", now) == "id-1"
    assert signing.verify_expiring(token, SECRET, "sheet", now + timedelta(days=14)) == "id-1"
    late = now + timedelta(days=14, seconds=1)
    assert signing.verify_expiring(token, SECRET, "sheet", late) is None
    # A link that never expired (signed without a time) is not an expiring one.
    assert (
        signing.verify_expiring(signing.sign_link("id-1", SECRET, "sheet"), SECRET, "sheet", now)
        is None
    )
