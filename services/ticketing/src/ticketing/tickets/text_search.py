"""The French full-text document of a ticket: words with their accents folded (`é` → `e`),
so `reseau` finds `réseau` and the other way round, stemmed by PostgreSQL's `french`
configuration. The same folding applies to the documents and to the queries."""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR

_FRENCH: ColumnElement[Any] = literal_column("'french'::regconfig")


def fold(text: str) -> str:
    """Lower case without diacritics: `Vidéoprojecteur HS` → `videoprojecteur hs`."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def document(*texts: str | None) -> ColumnElement[Any]:
    """The tsvector of `texts` (None skipped)."""
    return func.to_tsvector(_FRENCH, fold("\n".join(t for t in texts if t)), type_=TSVECTOR)


def query(words: str) -> ColumnElement[Any]:
    """What people type in a search box (`"mot de passe" pronote -ent`), as a tsquery."""
    return func.websearch_to_tsquery(_FRENCH, fold(words), type_=TSQUERY)
