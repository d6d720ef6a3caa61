"""Tasks given as table rows: a spreadsheet (the entry template) or a Word table of tasks.

The header row names the columns, in Vietnamese or English: number (STT, TT, No), task (Nội
dung, Nhiệm vụ, Công việc, Task), lead units (Chủ trì, Đơn vị chủ trì, Đơn vị thực hiện, Lead),
coordinating units (Phối hợp, Coordinating) and deadline (Thời hạn, Thời gian, Hạn hoàn thành,
Deadline). Rows under it are tasks, except section rows (a Roman number or text in capitals and
no unit). A units cell lists units separated by commas, semicolons, "và" or lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from workflows.rules.importing.parties import COORDINATING, LEAD, Party
from workflows.rules.importing.text import fold_in_place, tokens
from workflows.rules.importing.units import Matcher

COLUMNS: dict[str, re.Pattern[str]] = {
    "no": re.compile(r"^(?:stt|tt|so tt|so thu tu|no\.?|#)$"),
    "task": re.compile(r"(?:noi dung|nhiem vu|cong viec|^task)"),
    "lead": re.compile(r"(?:chu tri|thuc hien|^lead)"),
    "coordinating": re.compile(r"(?:phoi hop|^coordinating)"),
    "deadline": re.compile(r"(?:thoi han|thoi gian|han hoan thanh|tien do|^deadline|^due)"),
}
_SPLIT = re.compile(r"\s*(?:[,;\n]|\bvà\b)\s*")
_ROMAN_ROW = re.compile(r"^[IVX]{1,5}\.?$")


@dataclass(frozen=True)
class Row:
    """One task row: its cells by column, and the row as written."""

    text: str
    lead: str
    coordinating: str
    deadline: str
    source: str


def columns(row: Sequence[str]) -> dict[str, int] | None:
    """Return the column of each field if this row is a header with at least task and lead."""
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        key = fold_in_place(cell).strip(" :*")
        for name, pattern in COLUMNS.items():
            if name not in found and pattern.search(key) and len(key) <= 60:
                found[name] = index
                break
    return found if {"task", "lead"} <= found.keys() else None


def task_rows(table: Sequence[Sequence[str]]) -> list[Row] | None:
    """Return the task rows of a table that has a task header, else None."""
    for position, row in enumerate(table[:10]):
        found = columns(row)
        if found is not None:
            rows = (_row(r, found) for r in table[position + 1 :])
            return [r for r in rows if r is not None]
    return None


def _row(cells: Sequence[str], found: dict[str, int]) -> Row | None:
    def cell(name: str) -> str:
        index = found.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    text, lead, number = cell("task"), cell("lead"), cell("no")
    if not text or _is_section(number, text, lead):
        return None
    source = " | ".join(c.strip() for c in cells if c.strip())
    return Row(text, lead, cell("coordinating"), cell("deadline"), source)


def _is_section(number: str, text: str, lead: str) -> bool:
    return not lead and (bool(_ROMAN_ROW.match(number)) or text.isupper())


def cell_parties(cell: str, role: str, matcher: Matcher) -> list[Party]:
    """The units a cell lists: known ones by the registry, the others as written."""
    toks = tokens(cell)
    known = [m for m in matcher.find(toks, cell) if not m.ignored]
    found = [Party(code, m.written, role) for m in known for code in m.codes]
    spans = [(toks[m.first].start, toks[m.last].end) for m in matcher.find(toks, cell)]
    offset = 0
    for phrase in _SPLIT.split(cell):
        start = cell.find(phrase, offset)
        offset = start + len(phrase)
        if phrase and phrase[0].isupper() and not _overlaps(start, offset, spans):
            found.append(Party(None, phrase.strip(" .:"), role))
    return found


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in spans)


def row_parties(row: Row, matcher: Matcher) -> list[Party]:
    """The lead and coordinating units of a row; a lead is never also a coordinator."""
    leads = cell_parties(row.lead, LEAD, matcher)
    lead_codes = {p.code for p in leads if p.code}
    others = [
        p
        for p in cell_parties(row.coordinating, COORDINATING, matcher)
        if p.code is None or p.code not in lead_codes
    ]
    return leads + others
