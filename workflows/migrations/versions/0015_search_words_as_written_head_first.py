"""search: words as written too, the head first

A directive's search column now holds each word folded, without its tone and as written, and
its number, title and issuer before " ~ " and the rest (as workflows/rules/folding.py).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 11:40:00.000000
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | None = None
depends_on: str | None = None

TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _fold(word):
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _toneless(word):
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", word) if c not in TONES))


def _written(word):
    chars = list(unicodedata.normalize("NFD", word))
    tone = next((c for c in chars if c in TONES), "")
    bare = [c for c in chars if c not in TONES]
    first = next((i for i, c in enumerate(bare) if c in "aeiouy"), None)
    if tone and first is not None:
        after = first + 1
        while after < len(bare) and unicodedata.combining(bare[after]):
            after += 1
        bare.insert(after, tone)
    return unicodedata.normalize("NFC", "".join(bare))


def _forms(text):
    text = unicodedata.normalize("NFC", text).lower()
    tokens = [t for t in re.split(r"[\W_]+", text) if t]
    tokens += [m.group().replace("&", "") for m in re.finditer(r"[^\W_]+(?:&[^\W_]+)+", text)]
    return "".join(" " + " ".join(dict.fromkeys((_fold(t), _toneless(t), _written(t)))) for t in tokens)


def _document(head, rest):
    """A frozen copy of folding.search_document."""
    return f"{_forms(head)} ~ {_forms(rest).lstrip()} "


def _refold(bind) -> None:
    tasks, units = {}, {}
    for directive_id, content in bind.execute(sa.text("SELECT directive_id, content FROM task ORDER BY id")):
        tasks.setdefault(directive_id, []).append(content)
    for directive_id, name in bind.execute(sa.text("SELECT DISTINCT directive_id, unit_name FROM assignment")):
        units.setdefault(directive_id, []).append(name)
    rows = bind.execute(sa.text("SELECT id, number, title, issuer, body FROM directive")).all()
    for directive_id, number, title, issuer, body in rows:
        rest = " ".join([body or "", *tasks.get(directive_id, []), *units.get(directive_id, [])])
        bind.execute(
            sa.text("UPDATE directive SET search_text = :text WHERE id = :id"),
            {"text": _document(f"{number} {title} {issuer}", rest), "id": directive_id},
        )


def upgrade() -> None:
    """Apply this revision."""
    _refold(op.get_bind())


def downgrade() -> None:
    """Revert this revision: the older matching still finds words in the new column."""
