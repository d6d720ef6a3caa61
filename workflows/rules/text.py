"""Cleaning what people type before it is compared or stored: one form for each look-alike.

Text is put in Unicode NFC (Vietnamese can be typed precomposed or with combining marks) and
loses invisible characters (zero-width spaces and joiners, bidirectional controls, soft
hyphens, byte-order marks), which would otherwise let "11/CT-UBND" and a copy with a
zero-width space pass as two documents.
"""

from __future__ import annotations

import re
import unicodedata

INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
SPACES_AROUND = re.compile(r"\s*([/-])\s*")
SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Return text in NFC without invisible characters, stripped at both ends."""
    return INVISIBLE.sub("", unicodedata.normalize("NFC", text)).strip()


def clean_number(number: str) -> str:
    """Return a document number in one form: '11 / CT–UBND' is '11/CT-UBND'."""
    text = DASHES.sub("-", clean(number))
    return SPACES.sub(" ", SPACES_AROUND.sub(r"\1", text))


def has_nul(text: str) -> bool:
    """Tell whether text holds a NUL character, which no field may store."""
    return "\x00" in text
