"""The pure parts of attachments: what the bytes say the file is, the name kept, the
bounded read, the Content-Disposition header."""

from __future__ import annotations

import hashlib

import pytest

from guichet_common.http import InvalidInput
from ticketing.attachments.router import content_disposition
from ticketing.attachments.service import FileTooLarge, clean_filename, receive
from ticketing.attachments.sniffing import sniff

from .samples import ACCEPTED, GIF, REFUSED


@pytest.mark.parametrize("media_type", sorted(ACCEPTED))
def test_each_accepted_type_is_read_from_its_bytes(media_type: str) -> None:
    _name, content = ACCEPTED[media_type]
    assert sniff(content) == media_type


def test_both_gif_versions_are_gifs() -> None:
    assert sniff(b"GIF87a" + GIF[6:]) == "image/gif"


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_anything_else_is_refused(kind: str) -> None:
    assert sniff(REFUSED[kind]) is None


@pytest.mark.parametrize(
    "content",
    [b"", b"\x89PN", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"RIFF", b"%PDF", b"\xff\xd8"],
)
def test_truncated_signatures_and_other_riff_files_are_refused(content: bytes) -> None:
    assert sniff(content) is None


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("capture.png", "capture.png"),
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\claire\\Bureau\\écran bleu.png", "écran bleu.png"),
        ("pass\x00wd\r\n.png", "passwd.png"),
        ("photo\u202egpj.exe", "photogpj.exe"),  # shown as `photoexe.jpg` with the override
        ("  Relevé d'été.pdf  ", "Relevé d'été.pdf"),
        ("Rele\u0301ve\u0301.pdf", "Relévé.pdf"),  # composed (NFC)
        (".htaccess", "htaccess"),
        ("..", "piece-jointe.png"),
        ("dossier/", "piece-jointe.png"),
        ("\x01\x02", "piece-jointe.png"),
        ("", "piece-jointe.png"),
        (None, "piece-jointe.png"),
    ],
)
def test_a_name_keeps_no_directory_nor_control(sent: str | None, kept: str) -> None:
    assert clean_filename(sent, "image/png") == kept


def test_a_long_name_is_cut_to_255_characters_keeping_its_extension() -> None:
    assert clean_filename("é" * 300 + ".pdf", "application/pdf") == "é" * 251 + ".pdf"
    assert clean_filename("x" * 300, "application/pdf") == "x" * 255


def test_content_disposition_keeps_accents_and_gives_old_clients_ascii() -> None:
    assert content_disposition("Relevé d'été.pdf") == (
        'attachment; filename="Releve d\'ete.pdf"; '
        "filename*=UTF-8''Relev%C3%A9%20d%27%C3%A9t%C3%A9.pdf"
    )
    assert content_disposition('a"b\\c€.png') == (
        "attachment; filename=\"a_b_c_.png\"; filename*=UTF-8''a%22b%5Cc%E2%82%AC.png"
    )


class FakeUpload:
    """Hands out `size` bytes, counting how many were asked for."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.handed = 0

    async def read(self, size: int = -1) -> bytes:
        assert size > 0, "an unbounded read"
        given = min(size, self.left)
        self.left -= given
        self.handed += given
        return b"x" * given


async def test_a_read_stops_one_byte_past_the_limit() -> None:
    upload = FakeUpload(10 * 1024 * 1024)
    with pytest.raises(FileTooLarge) as refused:
        await receive(upload, 100_000)
    assert upload.handed == 100_001
    assert refused.value.extra["field"] == "file"


async def test_a_file_of_the_limit_exactly_is_read_whole() -> None:
    upload = FakeUpload(100_000)
    received = await receive(upload, 100_000)
    assert len(received.content) == 100_000
    assert received.sha256 == hashlib.sha256(b"x" * 100_000).hexdigest()


async def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        await receive(FakeUpload(0), 100)
    assert refused.value.extra["field"] == "file"
