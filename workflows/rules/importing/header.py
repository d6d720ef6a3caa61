"""The parts of an administrative document around its tasks: header, body, recipients, signature.

A document in the form of Nghị định 30/2020 opens with the issuing body, the number
("Số: 11/CT-UBND"), the national motto, the place and date, the kind ("CHỈ THỊ") and the
subject ("Về việc ..."; "V/v ..." in a công văn); it closes with the recipients ("Nơi nhận:")
and the signature block. A decision may carry the plan it issues after its signature: that
plan is a body of its own. A text copied from a web page has none of these; its title is the
last title-like line before the body's first sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from workflows.rules.importing.outline import marker
from workflows.rules.importing.text import fold_in_place

KINDS = {
    "chi thi": "chi_thi",
    "ke hoach": "ke_hoach",
    "thong bao": "thong_bao_ket_luan",
    "thong bao ket luan": "thong_bao_ket_luan",
    "quyet dinh": "quyet_dinh",
    "cong van": "cong_van",
}
CODES = {"ct": "chi_thi", "kh": "ke_hoach", "tb": "thong_bao_ket_luan", "qd": "quyet_dinh"}
NUMBER = re.compile(r"^so\s*[:.]?\s*(?P<n>\d{1,6}\s*[/-]\s*[^\s,;]{2,40})")
PLACE_DATE = re.compile(
    r"[a-z][^\d,;:]{1,40},\s*ngay\s+(?P<d>\d{1,2})\s+thang\s+(?P<m>\d{1,2})\s+nam\s+(?P<y>\d{4})"
)
ACRONYMS = frozenset({"ubnd", "hdnd", "mttq", "kh&cn", "khcn"})
MOTTO = re.compile(r"^(?:cong hoa xa hoi chu nghia|doc lap\s*-|dang cong san viet nam)")
DECORATION = re.compile(r"^[\W_]*$")
BODY_CUES = re.compile(
    r"^(?:thuc hien|can cu|de |nham |ngay \d|sau khi|trong thoi gian|hien nay|tiep theo|"
    r"qua |theo |vua qua|nam \d{4}|kinh gui)"
)
RECIPIENTS = re.compile(r"^noi nhan\b")
SIGNATURE = re.compile(
    r"^(?:kt\.?|tm\.?|tl\.?|q\.|ky thay|thua lenh)\s|^\(?da ky\)?"
    r"|^(?:pho )?(?:giam doc|chu tich|chanh van phong|truong phong|chanh thanh tra|bi thu)(?: so)?$"
)
ANNEX = re.compile(r"^\(?\s*ban hanh kem theo\b")
TITLE_START = re.compile(r"^(?:ve viec|v/v|ve |v\.v)")


@dataclass(frozen=True)
class Header:
    """What the document's header states, and where its bodies (lists of lines) lie."""

    number: str | None
    kind: str | None
    issuer: str | None
    issued_on: date | None
    title: str | None
    bodies: tuple[tuple[int, int], ...]  # [start, end) line ranges holding tasks


def read_header(lines: list[str]) -> Header:
    """Find the header's fields and the bodies of a document given as paragraphs."""
    folded = [fold_in_place(line) for line in lines]
    kind_at = _kind_line(lines, folded, 0)
    number = _first(NUMBER, lines, folded, kind_at)
    issued_on = _issue_date(folded, kind_at)
    if kind_at is None and number is None and issued_on is None:
        return _informal(lines, folded)
    title, start = _title(lines, folded, kind_at, number)
    kind = _kind(folded, kind_at, number, title)
    issuer = _issuer(lines, folded, kind_at if kind_at is not None else start)
    return Header(number, kind, issuer, issued_on, title, tuple(_bodies(lines, folded, start)))


def _kind_line(lines: list[str], folded: list[str], begin: int) -> int | None:
    for index in range(begin, min(len(lines), begin + 30)):
        key = folded[index].strip(" .:")
        if key in KINDS and lines[index].isupper():
            return index
    return None


def _first(
    pattern: re.Pattern[str], lines: list[str], folded: list[str], limit: int | None
) -> str | None:
    """The first match of a header pattern in the header zone, cut from the line as written."""
    for index in range(min(len(lines), (limit or 12) + 1)):
        match = pattern.search(folded[index])
        if match and not _is_blank_number(match["n"]):
            return re.sub(r"\s*([/-])\s*", r"\1", lines[index][match.start("n") : match.end("n")])
    return None


def _is_blank_number(value: str) -> bool:
    return not any(ch.isdigit() for ch in value.split("/")[0])


def _issue_date(folded: list[str], limit: int | None) -> date | None:
    for line in folded[: (limit or 12) + 2]:
        match = PLACE_DATE.search(line)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def _title(
    lines: list[str], folded: list[str], kind_at: int | None, number: str | None
) -> tuple[str | None, int]:
    """The subject line(s) and the index of the first line after them."""
    begin = kind_at + 1 if kind_at is not None else _subject_line(folded)
    if begin is None:
        return None, _after_header(folded)
    parts: list[str] = []
    index = begin
    while index < len(lines) and len(parts) < 3:
        key = folded[index]
        if DECORATION.match(key) or (parts and not _continues_title(lines[index], key)):
            break
        if marker(lines[index]):  # the body's first item: this document states no subject
            break
        if MOTTO.match(key) or NUMBER.search(key) or PLACE_DATE.search(key):
            index += 1
            continue
        parts.append(lines[index])
        index += 1
    while index < len(lines) and DECORATION.match(folded[index]):
        index += 1
    return (" ".join(parts) or None), _skip_addressees(lines, folded, index)


def _subject_line(folded: list[str]) -> int | None:
    return next((i for i, f in enumerate(folded[:15]) if TITLE_START.match(f)), None)


def _continues_title(line: str, key: str) -> bool:
    return not (BODY_CUES.match(key) or line.endswith((".", ":")) or len(line.split()) > 40)


def _after_header(folded: list[str]) -> int:
    for index, key in enumerate(folded[:20]):
        if PLACE_DATE.search(key):
            return index + 1
    return 0


def _skip_addressees(lines: list[str], folded: list[str], index: int) -> int:
    """Skip 'Kính gửi:' and the dash lines of addressees under it."""
    while index < len(lines) and (MOTTO.match(folded[index]) or PLACE_DATE.search(folded[index])):
        index += 1
    if index < len(lines) and folded[index].startswith("kinh gui"):
        index += 1
        while index < len(lines) and lines[index].startswith(("-", "–", "+", "•")):
            index += 1
    return index


def _kind(folded: list[str], kind_at: int | None, number: str | None, title: str | None) -> str:
    if kind_at is not None:
        kind = KINDS[folded[kind_at].strip(" .:")]
        if kind == "thong_bao_ket_luan" and title and "ket luan" not in fold_in_place(title):
            return "khac"
        return kind
    if number:
        for part in re.split(r"[/-]", fold_in_place(number))[1:]:
            if part in CODES:
                return CODES[part]
    return "cong_van"


def _issuer(lines: list[str], folded: list[str], limit: int) -> str | None:
    """The lowest body of the issuer block (upper-case lines at the top), with its province."""
    block = [
        lines[i]
        for i in range(min(limit, 12))
        if lines[i].isupper()
        and not MOTTO.match(folded[i])
        and not DECORATION.match(folded[i])
        and not NUMBER.search(folded[i])
        and folded[i].strip(" .:") not in KINDS
    ]
    if not block:
        return None
    if len(block) > 1 and fold_in_place(block[-1]).startswith(("tinh ", "thanh pho ", "huyen ")):
        block = [*block[:-2], f"{block[-2]} {block[-1]}"]
    issuer = institution_case(block[-1])
    place = re.search(r"\b(?:TỈNH|THÀNH PHỐ)\s+(.+)$", block[0]) if len(block) > 1 else None
    if place and "tỉnh" not in issuer and "thành phố" not in issuer:
        issuer += " tỉnh " + _proper(place.group(1))
    return issuer


def institution_case(upper: str) -> str:
    """Write an upper-case body's name as Vietnamese does: 'Sở Khoa học và Công nghệ'."""
    words = upper.lower().split()
    out: list[str] = []
    capital_next = True
    for index, word in enumerate(words):
        folded = fold_in_place(word)
        if folded in ("tinh", "huyen", "xa") and index > 0:
            out.append(word)
            out.append(_proper(" ".join(words[index + 1 :])))
            break
        if folded in ACRONYMS or "&" in word:
            out.append(word.upper())
        else:
            out.append(word.capitalize() if capital_next else word)
        capital_next = folded in ("va", "-", "&") or (index == 0 and folded != "uy")
    return " ".join(out)


def _proper(name: str) -> str:
    return " ".join(part.capitalize() for part in name.lower().split())


def _informal(lines: list[str], folded: list[str]) -> Header:
    """A text without a formal header (a web page): title before the first body sentence."""
    first_body = next((i for i, f in enumerate(folded) if BODY_CUES.match(f)), 0)
    candidates = [
        i for i in range(first_body) if 5 <= len(lines[i].split()) <= 40 and lines[i][-1] != "."
    ]
    title = lines[candidates[-1]] if candidates else None
    issuer = _stated_issuer(lines, folded)
    return Header(None, None, issuer, None, title, tuple(_bodies(lines, folded, first_body)))


def _stated_issuer(lines: list[str], folded: list[str]) -> str | None:
    for line, key in zip(lines[:40], folded[:40], strict=False):
        match = re.search(r"\b((?:so|uy ban nhan dan|ubnd) [^,.;:]{3,80}?) (?:da )?ban hanh", key)
        if match:
            return line[match.start(1) : match.end(1)]
    return None


def _bodies(lines: list[str], folded: list[str], start: int) -> list[tuple[int, int]]:
    """The ranges holding tasks: the body up to its recipients or signature, then any annex."""
    bodies = []
    while start < len(lines):
        end = _body_end(lines, folded, start)
        bodies.append((start, end))
        annex = _annex_start(lines, folded, end)
        if annex is None:
            break
        start = annex
    return bodies


def _body_end(lines: list[str], folded: list[str], start: int) -> int:
    for index in range(start, len(lines)):
        key = folded[index]
        signed = (lines[index].isupper() or key.startswith("(")) and SIGNATURE.match(key.strip())
        if RECIPIENTS.match(key) or signed:
            return index
    end = len(lines)
    while end > start and _is_name(lines[end - 1]):
        end -= 1
    return end


def _is_name(line: str) -> bool:
    parts = line.split()
    return 2 <= len(parts) <= 5 and all(p[0].isupper() and p.isalpha() for p in parts)


def _annex_start(lines: list[str], folded: list[str], end: int) -> int | None:
    kind_at = _kind_line(lines, folded, end)
    if kind_at is None:
        return None
    index = kind_at + 1
    while index < len(lines) and index <= kind_at + 4:
        if ANNEX.match(folded[index]):
            return index + 1
        index += 1
    return None
