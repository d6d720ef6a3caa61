"""Vietnamese alphabetical order: a ă â b c d đ e ê g … o ô ơ … u ư v x y, then tones.

Letters compare first (each of ă, â, đ, ê, ô, ơ, ư is a letter of its own, after its base);
only words equal in letters compare by tone, in dictionary order: none, huyền, hỏi, ngã, sắc,
nặng; then lower case before upper case. Both tone-mark placements (Ủy, Uỷ) sort alike.
"""

from __future__ import annotations

import unicodedata

ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
LETTER_MARKS = frozenset({"\u0306", "\u0302", "\u031b"})  # breve, circumflex, horn
TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_RANK = {letter: 200 + index for index, letter in enumerate(ALPHABET)}  # after space, digits


def _rank(char: str) -> int:
    return _RANK.get(char, ord(char) if ord(char) < 200 else 1000 + ord(char))


def _letters(text: str) -> tuple[list[tuple[int, str]], list[int], list[int]]:
    letters: list[tuple[int, str]] = []
    tones: list[int] = []
    cases: list[int] = []
    word_tone = 0
    for char in unicodedata.normalize("NFD", text):
        if char in TONES:
            word_tone = TONES[char]
            continue
        if char in LETTER_MARKS and letters:
            rank, base = letters[-1]
            combined = unicodedata.normalize("NFC", base + char)
            letters[-1] = (_RANK.get(combined, rank), combined)
            continue
        lower = char.lower()
        if not lower.isalnum():  # a word ends: its tone counts once, wherever the mark sat
            tones.append(word_tone)
            word_tone = 0
        letters.append((_rank(lower), lower))
        cases.append(0 if char == char.lower() else 1)
    tones.append(word_tone)
    return letters, tones, cases


def sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """A key that sorts Vietnamese text in dictionary order."""
    letters, tones, cases = _letters(text.strip())
    return tuple(rank for rank, _ in letters), tuple(tones), tuple(cases)
