"""Search folding for Vietnamese: diacritics off, đ → d, lower case, one space between words."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Fold text so 'Chi cục TĐC', 'chi cuc tdc' and 'Uỷ'/'Ủy' compare equal."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare).strip().lower()


def search_words(text: str) -> list[str]:
    """The folded words of a text, punctuation dropped: "KH&CN" is "kh", "cn"."""
    return [word for word in _NOT_WORD.sub(" ", fold(text)).split() if word]


def search_document(text: str) -> str:
    """What a directive's search column holds: its words, each after a space (word starts)."""
    return "".join(f" {word}" for word in search_words(text)) + " "
