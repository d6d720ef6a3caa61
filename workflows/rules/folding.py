"""Search folding for Vietnamese: diacritics off, đ → d, lower case, one space between words.

A directive's search column holds each word folded ("luong"), and when it has marks also
without its tone ("lương") and as written in a canonical form ("lừơng"; "ủy" for both "Ủy" and
"Uỷ"). A query word without marks matches the folded words; one with letter marks but no tone
("đo", "lư") the toneless ones, so "đo" finds "đo", "đó" and "đoàn" but not "đồng" or "độ"; one
with a tone only the words written with that tone. The
number, title and issuer come first, then " ~ ", then the body, tasks and units, so a match
in the head can be ranked first.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")
_JOINED = re.compile(r"[^\W_]+(?:&[^\W_]+)+")  # "KH&CN": also found as written, as one word
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
_VOWELS = frozenset("aeiouy")
HEAD_END = " ~ "  # between the head (number, title, issuer) and the rest


def fold(text: str) -> str:
    """Fold text so 'Chi cục TĐC', 'chi cuc tdc' and 'Uỷ'/'Ủy' compare equal."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare).strip().lower()


def _tokens(text: str) -> list[str]:
    # split the composed text: in NFD the marks themselves would count as punctuation
    return [t for t in _NOT_WORD.split(unicodedata.normalize("NFC", text).lower()) if t]


def _joined(text: str) -> list[str]:
    found = _JOINED.finditer(unicodedata.normalize("NFC", text).lower())
    return [m.group().replace("&", "") for m in found]


def written(word: str) -> str:
    """A word as written, lower case, its tone on the first vowel: 'Uỷ' and 'Ủy' are alike."""
    chars = list(unicodedata.normalize("NFD", word.lower()))
    tone = next((c for c in chars if c in _TONES), "")
    bare = [c for c in chars if c not in _TONES]
    first = next((i for i, c in enumerate(bare) if c in _VOWELS), None)
    if tone and first is not None:
        after = first + 1
        while after < len(bare) and unicodedata.combining(bare[after]):
            after += 1
        bare.insert(after, tone)
    return unicodedata.normalize("NFC", "".join(bare))


def toneless(word: str) -> str:
    """A word lower case with its letter marks (ă, đ, ư…) but no tone: 'lường' is 'lương'."""
    chars = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in chars if c not in _TONES))


def _term(token: str) -> str:
    folded, bare, marked = fold(token), toneless(token), written(token)
    if marked == folded:
        return folded
    return bare if marked == bare else marked


def search_terms(text: str) -> list[str]:
    """What each word of a query must start: folded; without tone; or as written with tone.

    "KH&CN" is one word of the query, found only where the text writes it so."""
    whole = _JOINED.sub(lambda m: m.group().replace("&", ""), unicodedata.normalize("NFC", text))
    return [_term(token) for token in _tokens(whole)]


def search_words(text: str) -> list[str]:
    """The folded words of a text, punctuation dropped: "KH&CN" is "kh", "cn"."""
    return [fold(token) for token in _tokens(text)]


def _forms(text: str) -> str:
    forms: list[str] = []
    for token in _tokens(text) + _joined(text):
        forms.append(" ".join(dict.fromkeys((fold(token), toneless(token), written(token)))))
    return "".join(f" {form}" for form in forms)


def search_document(head: str, rest: str = "") -> str:
    """A directive's search column: every word after a space (word starts), head first."""
    return f"{_forms(head)}{HEAD_END}{_forms(rest).lstrip()} "


def directive_search_text(
    number: str, title: str, issuer: str, body: str, tasks: list[str], units: list[str]
) -> str:
    """What search finds a directive by: number, title and issuer first, then the rest."""
    return search_document(f"{number} {title} {issuer}", " ".join((body, *tasks, *units)))


def matches(word: str, terms: list[str]) -> bool:
    """Whether a word of a text starts with one of the query's terms (as search matches it)."""
    word = word.replace("&", "")
    forms = (fold(word), toneless(word), written(word))
    return any(form.startswith(term) for form in forms for term in terms)


def marked_spans(text: str, query: str) -> list[tuple[str, bool]]:
    """The text cut into pieces, each saying whether it is a word the query matched."""
    terms = search_terms(query)
    if not terms:
        return [(text, False)]
    spans: list[tuple[str, bool]] = []
    at = 0
    for found in re.finditer(r"[^\W_]+(?:&[^\W_]+)*", unicodedata.normalize("NFC", text)):
        if matches(found.group(), terms):
            spans.append((found.string[at : found.start()], False))
            spans.append((found.group(), True))
            at = found.end()
    spans.append((unicodedata.normalize("NFC", text)[at:], False))
    return [span for span in spans if span[0]]
