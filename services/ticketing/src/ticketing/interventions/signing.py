"""Signatures, both kinds: the user's, drawn on the technician's tablet and sent as a PNG
data URL (checked, then re-encoded so that nothing but its pixels is kept), and ours, the
HMAC that makes a link work without a login (the sheet's PDF for the notifier, a
technician's agenda feed).

A signature image is refused (422, or 413 when too large, naming `signature`) unless it is
exactly a PNG: the data URL's media type, the file's magic number, well-formed chunks with
their CRCs from IHDR to IEND and nothing after it, dimensions within bounds read from IHDR
before any pixel is decoded (a decompression bomb declares huge ones), image data that
inflates to exactly the size IHDR promises (inflated no further), then a full decode by
Pillow. What is stored is a fresh PNG made from the decoded pixels: no text chunk, no
colour profile, no trailing bytes, nothing a crafted file could carry through."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import struct
import warnings
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from uuid import UUID

from PIL import Image

from guichet_common.http import InvalidInput, ProblemError
from ticketing.interventions.models import Intervention
from ticketing.settings import TicketingSettings

SIGNATURE = "signature"  # the field errors name
SHEET_PURPOSE = "intervention-sheet"
AGENDA_PURPOSE = "agenda"
API = "/api/ticketing"
DATA_URL_PREFIX = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class SignatureTooLarge(ProblemError):
    status, slug, title = 413, "signature-too-large", "Signature image too large"

    def __init__(self, max_bytes: int) -> None:
        detail = f"signature: the image is larger than {max_bytes} bytes"
        super().__init__(
            detail,
            max_bytes=max_bytes,
            field=SIGNATURE,
            errors=[{"field": SIGNATURE, "message": detail}],
        )


def _refused(reason: str) -> InvalidInput:
    return InvalidInput(f"signature: {reason}", field=SIGNATURE)


@dataclass(frozen=True)
class SignatureImage:
    """A signature re-encoded: a PNG of our own making, and its size in pixels."""

    png: bytes
    width: int
    height: int

    def data_url(self) -> str:
        return DATA_URL_PREFIX + base64.b64encode(self.png).decode()


def decode_data_url(value: str, max_bytes: int) -> bytes:
    """The bytes of a `data:image/png;base64,…` URL, at most `max_bytes` of them (413
    otherwise, found before decoding anything larger)."""
    if value[: len(DATA_URL_PREFIX)].lower() != DATA_URL_PREFIX:
        raise _refused("must be a PNG data URL (data:image/png;base64,…)")
    payload = value[len(DATA_URL_PREFIX) :]
    # Base64 takes 4 characters for 3 bytes: a longer text cannot fit, whatever it holds.
    if len(payload) > 4 * (max_bytes // 3 + 1):
        raise SignatureTooLarge(max_bytes)
    try:
        raw = base64.b64decode(payload, validate=True)
    except binascii.Error as exc:
        raise _refused("its data is not valid base64") from exc
    if len(raw) > max_bytes:
        raise SignatureTooLarge(max_bytes)
    return raw


@dataclass(frozen=True)
class _Png:
    """What the chunks of a PNG say: its header's fields and its image data (the IDATs)."""

    width: int
    height: int
    bit_depth: int
    color_type: int
    interlaced: bool
    data: bytes


# Channels per pixel and the bit depths allowed, by colour type (PNG spec, 11.2.2).
_COLOR_TYPES: dict[int, tuple[int, tuple[int, ...]]] = {
    0: (1, (1, 2, 4, 8, 16)),
    2: (3, (8, 16)),
    3: (1, (1, 2, 4, 8)),
    4: (2, (8, 16)),
    6: (4, (8, 16)),
}
# Adam7's passes: first column and row, then steps between them.
_ADAM7 = (
    *((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4)),
    *((0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)),
)


def _read_png(raw: bytes) -> _Png:
    """The magic number, then chunks whose lengths and CRCs hold, IHDR first (with values
    the spec allows) and IEND last, nothing after IEND; 422 otherwise."""
    if not raw.startswith(PNG_MAGIC):
        raise _refused("not a PNG image")
    position, header, data = len(PNG_MAGIC), b"", bytearray()
    while True:
        if position + 12 > len(raw):
            raise _refused("the PNG is truncated")
        (length,) = struct.unpack_from(">I", raw, position)
        kind = raw[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(raw):
            raise _refused("the PNG is truncated")
        content = raw[position + 8 : end - 4]
        (crc,) = struct.unpack_from(">I", raw, end - 4)
        if zlib.crc32(kind + content) != crc:
            raise _refused("the PNG is corrupt (a chunk's CRC does not match)")
        if not header:
            if kind != b"IHDR" or length != 13:
                raise _refused("the PNG does not start with its header")
            header = content
        elif kind == b"IDAT":
            data += content
        position = end
        if kind == b"IEND":
            break
    if position != len(raw):
        raise _refused("bytes follow the end of the PNG")
    width, height, depth, color, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", header
    )
    depths = _COLOR_TYPES.get(color, (0, ()))[1]
    if depth not in depths or compression or filtering or interlace > 1:
        raise _refused("the PNG's header is not valid")
    return _Png(width, height, depth, color, interlace == 1, bytes(data))


def png_dimensions(raw: bytes) -> tuple[int, int]:
    """(width, height) of a well-formed PNG (`_read_png`), before any pixel is decoded."""
    png = _read_png(raw)
    return png.width, png.height


def _data_size(png: _Png) -> int:
    """The bytes the image data inflates to: each row's filter byte and pixels, per pass."""
    bits = _COLOR_TYPES[png.color_type][0] * png.bit_depth
    passes = _ADAM7 if png.interlaced else ((0, 0, 1, 1),)
    size = 0
    for x, y, dx, dy in passes:
        columns = (png.width - x + dx - 1) // dx if png.width > x else 0
        rows = (png.height - y + dy - 1) // dy if png.height > y else 0
        if columns and rows:
            size += rows * (1 + (columns * bits + 7) // 8)
    return size


def _check_data(png: _Png) -> None:
    """The image data is one complete zlib stream of exactly the size the header promises,
    inflated no further than that. Checked here, not left to Pillow: WeasyPrint, once
    imported, makes Pillow accept truncated images (`LOAD_TRUNCATED_IMAGES`)."""
    expected = _data_size(png)
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(png.data, expected + 1)
    except zlib.error as exc:
        raise _refused("the PNG's image data is corrupt") from exc
    if len(inflated) != expected or not inflater.eof or inflater.unused_data:
        raise _refused("the PNG's image data does not match its size")


def reencode(raw: bytes, *, max_width: int, max_height: int) -> SignatureImage:
    """The signature PNG checked (`_read_png`, bounds, its data, a full decode) and drawn
    again into a fresh PNG with an alpha channel and no metadata."""
    png = _read_png(raw)
    width, height = png.width, png.height
    if not (0 < width <= max_width and 0 < height <= max_height):
        raise _refused(
            f"the image is {width} x {height} pixels; at most {max_width} x {max_height}"
        )
    _check_data(png)
    try:
        with warnings.catch_warnings():
            # Pillow only warns below its own limit: here any bomb is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
                image.load()
                pixels = image.convert("RGBA").tobytes()
                decoded_size = image.size
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        zlib.error,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise _refused("the PNG cannot be decoded") from exc
    if decoded_size != (width, height):
        raise _refused("the PNG cannot be decoded")
    # Built from the raw pixels: nothing of the sent file's chunks (`info`) comes along.
    fresh = Image.frombytes("RGBA", decoded_size, pixels)
    out = io.BytesIO()
    fresh.save(out, format="PNG")
    return SignatureImage(out.getvalue(), width, height)


# --- links that work without a login ----------------------------------------------------------


def _mac(value: str, secret: str, purpose: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def sign_link(value: str, secret: str, purpose: str) -> str:
    """`<value>.<HMAC>`: `purpose` keeps a token of one kind from opening another."""
    return f"{value}.{_mac(value, secret, purpose)}"


def verify_link(token: str, secret: str, purpose: str) -> str | None:
    """The value inside a token we issued for `purpose`, or None (forged, truncated)."""
    value, _, mac = token.rpartition(".")
    if not value:
        return None
    # Compared as bytes: compare_digest refuses a str with non-ASCII characters.
    return (
        value if hmac.compare_digest(mac.encode(), _mac(value, secret, purpose).encode()) else None
    )


def sign_expiring(value: str, expires_at: datetime, secret: str, purpose: str) -> str:
    """A token for `value` that `verify_expiring` refuses after `expires_at`."""
    return sign_link(f"{value}.{int(expires_at.timestamp())}", secret, purpose)


def verify_expiring(token: str, secret: str, purpose: str, now: datetime) -> str | None:
    """The value of a token we issued, still valid at `now`; None otherwise."""
    signed = verify_link(token, secret, purpose)
    if signed is None:
        return None
    value, _, expires = signed.rpartition(".")
    if not value or not expires.isdigit() or len(expires) > 12:
        return None
    if datetime.fromtimestamp(int(expires), UTC) < now:
        return None
    return value


def agenda_url(settings: TicketingSettings, login: str) -> str:
    """The technician's personal feed: whoever holds the URL reads their agenda."""
    token = sign_link(login, settings.jwt_secret.get_secret_value(), AGENDA_PURPOSE)
    return f"{settings.public_base_url}{API}/agenda.ics?token={quote(token, safe='')}"


def agenda_login(settings: TicketingSettings, token: str) -> str | None:
    """The login an agenda token names, or None."""
    return verify_link(token, settings.jwt_secret.get_secret_value(), AGENDA_PURPOSE)


def sheet_link(
    settings: TicketingSettings, intervention: Intervention, now: datetime
) -> tuple[str, datetime]:
    """A URL that fetches the sheet's PDF without a login until it expires, and when. The
    file is named after the ticket (the notifier names the attachment after the path)."""
    expires_at = now + timedelta(days=settings.intervention_sheet_link_days)
    token = sign_expiring(
        str(intervention.id), expires_at, settings.jwt_secret.get_secret_value(), SHEET_PURPOSE
    )
    path = f"{API}/intervention-sheets/{quote(intervention.reference, safe='')}.pdf"
    return f"{settings.public_base_url}{path}?token={quote(token, safe='')}", expires_at


def sheet_intervention(settings: TicketingSettings, token: str, now: datetime) -> UUID | None:
    """The intervention a sheet link names, while it is valid; None otherwise."""
    value = verify_expiring(token, settings.jwt_secret.get_secret_value(), SHEET_PURPOSE, now)
    try:
        return UUID(value) if value is not None else None
    except ValueError:
        return None
