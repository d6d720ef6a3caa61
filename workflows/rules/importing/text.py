"""The text an import reads: one form for every look-alike, folded without moving a character.

`fold_in_place` folds like search does (no diacritics, đ → d, lower case) but keeps every
character at its place, so a phrase found in the folded text is cut from the original as
written. `tokens` splits a text into words and the punctuation that matters to the rules.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from workflows.rules.text import INVISIBLE

_BLANKS = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TOKEN = re.compile(r"[^\W_]+|[,;:.!?()\n]")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


@dataclass(frozen=True, slots=True)
class Token:
    """A word (folded `key`, the `text` as written) or one punctuation mark, with its place."""

    key: str
    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        """Tell whether the token is a word (letters or digits), not punctuation."""
        return self.key[0].isalnum()

    @property
    def capitalized(self) -> bool:
        """Tell whether the word starts with a capital letter (names of units do)."""
        return self.text[0].isupper()


def normalize(text: str) -> str:
    """Return text in NFC, without invisible characters, one space between words, no blank
    lines; each line (paragraph) stripped."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    lines = (_BLANKS.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


def fold_in_place(text: str) -> str:
    """Fold each character alone: the result has the length of text, character for character."""
    return "".join(ch if ch.isascii() and not ch.isupper() else _fold_char(ch) for ch in text)


def tokens(text: str) -> list[Token]:
    """Split text into word and punctuation tokens (hyphens, slashes and '&' only separate)."""
    folded = fold_in_place(text)
    return [
        Token(m.group(), text[m.start() : m.end()], m.start(), m.end())
        for m in _TOKEN.finditer(folded)
    ]


def sentence_ends(text: str) -> list[int]:
    """Return the offsets where sentences end: '.', '!' or '?' before a space, and line ends."""
    return [m.start() for m in _SENTENCE_END.finditer(text)]


def words(text: str) -> tuple[str, ...]:
    """Return the folded words of text, punctuation dropped."""
    return tuple(t.key for t in tokens(text) if t.is_word)
