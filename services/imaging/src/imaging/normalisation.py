"""What technicians type and machines send, made canonical: MAC addresses, UAI codes,
ASCII-folded upper-case names."""

from __future__ import annotations

import re
import string
import unicodedata

_MAC_HEX = re.compile(r"[0-9A-Fa-f]{12}")
_MAC_SEPARATORS = str.maketrans("", "", ":-. ")
# UAI (Unité Administrative Immatriculée): 7 characters (département, number) and a
# check letter: the 7 characters read as a number (2A/2B as 20), modulo 23, as a letter of
# the alphabet without I, O and Q.
_UAI = re.compile(r"^(\d{2}|2A|2B|97\d?)(\d{4,5})([A-HJ-NPR-Z])$")
_UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def normalise_mac(raw: str) -> str:
    """`00-1A-2B-3C-4D-5E`, `001a.2b3c.4d5e` → `00:1A:2B:3C:4D:5E`. ValueError otherwise."""
    compact = raw.strip().translate(_MAC_SEPARATORS)
    if not _MAC_HEX.fullmatch(compact):
        raise ValueError(f"invalid MAC address {raw!r}: 12 hexadecimal digits")
    if compact == "0" * 12 or compact.upper() == "F" * 12:
        raise ValueError(f"invalid MAC address {raw!r}: not a device's address")
    upper = compact.upper()
    return ":".join(upper[i : i + 2] for i in range(0, 12, 2))


def normalise_uai(raw: str) -> str:
    """A UAI such as `0450782F`, its check letter verified. ValueError otherwise."""
    value = raw.strip().upper()
    if len(value) != 8 or not _UAI.match(value):
        raise ValueError(f"invalid UAI {raw!r}: 7 characters and a check letter (0450782F)")
    digits = value[:7].replace("2A", "20").replace("2B", "20")
    if _UAI_LETTERS[int(digits) % 23] != value[7]:
        raise ValueError(f"invalid UAI {raw!r}: wrong check letter")
    return value


def ascii_upper(raw: str) -> str:
    """`Chécy` → `CHECY`, `La Chapelle-St-Mesmin` → `LA CHAPELLE-ST-MESMIN`: accents
    removed, upper case, other characters kept for the caller to judge."""
    decomposed = unicodedata.normalize("NFKD", raw)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


NETBIOS_CHARACTERS = frozenset(string.ascii_uppercase + string.digits + "-")
