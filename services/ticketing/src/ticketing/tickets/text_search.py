"""The French full-text document of a ticket: words with their accents folded (`é` → `e`),
so `reseau` finds `réseau` and the other way round, stemmed by PostgreSQL's `french`
configuration. The same folding applies to the documents and to the queries."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR

from ticketing.tickets.models import Ticket

_HYPHENATED = re.compile(r"\w+(?:-\w+)+")
_FRENCH: ColumnElement[Any] = literal_column("'french'::regconfig")


def fold(text: str) -> str:
    """Lower case without diacritics: `Vidéoprojecteur HS` → `videoprojecteur hs`."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def indexed_text(*texts: str | None) -> str:
    """What the document indexes: `texts` (None skipped) folded, then each hyphenated word
    once more without its hyphens. PostgreSQL's parser keeps `wi-fi` and its parts, not
    `wifi`, and people type it both ways (`e-mail`, `vidéo-projecteur` too)."""
    folded = fold("\n".join(t for t in texts if t))
    joined = " ".join(word.replace("-", "") for word in _HYPHENATED.findall(folded))
    return f"{folded}\n{joined}" if joined else folded


def document(*texts: str | None) -> ColumnElement[Any]:
    """The tsvector of `texts` (None skipped)."""
    return func.to_tsvector(_FRENCH, indexed_text(*texts), type_=TSVECTOR)


def query(words: str) -> ColumnElement[Any]:
    """What people type in a search box (`"mot de passe" pronote -ent`), as a tsquery."""
    return func.websearch_to_tsquery(_FRENCH, fold(words), type_=TSQUERY)


def matches(words: str) -> ColumnElement[bool]:
    """Tickets whose title, description or public followups match `words` (the expression
    of the GIN index `ix_ticket_search`)."""
    document = Ticket.search.op("||")(Ticket.followup_search)
    return document.bool_op("@@")(query(words))
