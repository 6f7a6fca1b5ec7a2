"""What a file is, read from its first bytes (magic numbers), never from the name or the
type the client declared: a program renamed `.png` stays a program.

Only what a browser shows without running anything is accepted: PNG, JPEG, GIF, WebP and
PDF. SVG (an XML document that can carry script), HTML, archives and programs are not."""

from __future__ import annotations

# The signature each accepted type starts with.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
# The extension a file of each type gets when it comes without a usable name.
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
ACCEPTED = tuple(EXTENSIONS)


def sniff(content: bytes) -> str | None:
    """The media type of `content` if it is one accepted, None otherwise."""
    for signature, media_type in _SIGNATURES:
        if content.startswith(signature):
            return media_type
    # RIFF container: `RIFF`, the chunk's size (4 bytes), then the form type.
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None
