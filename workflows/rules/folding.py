"""Search folding for Vietnamese: diacritics off, đ → d, lower case, one space between words."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Fold text so 'Chi cục TĐC', 'chi cuc tdc' and 'Uỷ'/'Ủy' compare equal."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare).strip().lower()
