"""The agents' transport, below HTTP: inflating within a limit, whatever the input."""

from __future__ import annotations

import gzip
import zlib

import pytest

from imaging.inventory.router import BadBody, PayloadTooLarge, _inflate

ZLIB, GZIP = zlib.MAX_WBITS, 16 + zlib.MAX_WBITS


def test_zlib_and_gzip_are_inflated() -> None:
    data = b'{"deviceid": "pc"}' * 100

    assert _inflate(zlib.compress(data), ZLIB, len(data)) == data
    assert _inflate(gzip.compress(data), GZIP, len(data)) == data


def test_a_bomb_stops_at_the_limit() -> None:
    bomb = zlib.compress(b"\0" * 50_000_000, 9)  # 50 MB in about 50 kB

    with pytest.raises(PayloadTooLarge, match="inflated body over 1000000 bytes"):
        _inflate(bomb, ZLIB, 1_000_000)


def test_garbage_and_truncated_bodies_are_refused() -> None:
    whole = zlib.compress(b"x" * 1000)

    with pytest.raises(BadBody, match="cannot be inflated"):
        _inflate(b"not compressed", ZLIB, 10_000)
    with pytest.raises(BadBody, match="truncated"):
        _inflate(whole[: len(whole) // 2], ZLIB, 10_000)
    with pytest.raises(BadBody, match="cannot be inflated"):
        _inflate(gzip.compress(b"x"), ZLIB, 10_000)  # gzip sent as zlib
