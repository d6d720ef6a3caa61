"""A proposal for the entry form: the directive's header fields and its tasks, from a text.

Nothing here is saved: the clerk sees the proposal in the form, every field editable, with the
source of each task beside it. Bad input is refused with one clear message (InvalidInput on
the `source` field): an empty text, one too long, one not in Vietnamese, one with no task or
with more tasks than a directive may hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time

from workflows.errors import InvalidInput
from workflows.messages import N_
from workflows.rules.calendar import WorkCalendar
from workflows.rules.importing import outline
from workflows.rules.importing.deadlines import Deadline, DeadlineContext, find_deadline
from workflows.rules.importing.header import Header, read_header
from workflows.rules.importing.parties import COORDINATING, LEAD, Party, parties
from workflows.rules.importing.tables import Row, row_parties
from workflows.rules.importing.text import normalize, words
from workflows.rules.importing.units import Matcher, Registry

MAX_CHARS = 300_000
MAX_TASKS = 200
# Syllables of nearly every directive, rare in other languages: a text without diacritics.
_COMMON_SYLLABLES = frozenset(
    {"cac", "va", "cua", "thuc", "hien", "nhiem", "vu", "don", "vi", "phong", "so", "nam"}
    | {"thang", "ngay", "truoc", "trong", "theo", "voi", "chu", "tri", "phoi", "hop", "bao"}
    | {"cao", "ke", "hoach", "kiem", "tra", "cong", "tac", "giao", "de", "nghi", "yeu", "cau"}
    | {"tinh", "huyen", "quan", "ly", "nhung", "duoc", "viec", "khoa", "hoc"}
)
_VIETNAMESE = frozenset("ăđơưĩũĂĐƠƯĨŨ") | frozenset(map(chr, range(0x1EA0, 0x1EFA)))


@dataclass(frozen=True)
class UnitRef:
    """A unit a task names: its code (None when the registry has no such unit), as written."""

    code: str | None
    name: str


@dataclass(frozen=True)
class TaskProposal:
    """A task as proposed: its text and source, units, and deadline with its phrase."""

    no: int
    text: str
    source: str
    lead: tuple[UnitRef, ...]
    coordinating: tuple[UnitRef, ...]
    due_on: date | None = None
    due_time: time | None = None
    due_text: str | None = None
    reporting: str = "once"
    reporting_until: date | None = None


@dataclass(frozen=True)
class Proposal:
    """What a text proposes for the entry form; None where the text does not say."""

    number: str | None
    kind: str | None
    issuer: str | None
    issued_on: date | None
    title: str | None
    tasks: tuple[TaskProposal, ...]
    new_units: tuple[str, ...]
    text: str = ""  # the text read, one paragraph a line (the directive's body)


def propose_text(
    text: str, registry: Registry, today: date, calendar: WorkCalendar | None = None
) -> Proposal:
    """Propose a directive from its text (pasted, or read from a .docx, .pdf or .txt file)."""
    return propose_document(text, (), registry, today, calendar)


def propose_document(
    text: str,
    rows: Sequence[Row],
    registry: Registry,
    today: date,
    calendar: WorkCalendar | None = None,
) -> Proposal:
    """Propose a directive from its text and, when the file had a table of tasks, its rows."""
    clean = normalize(text)
    check_text(clean, bool(rows))
    lines = clean.split("\n") if clean else []
    header = read_header(lines) if lines else Header(None, None, None, None, None, ())
    matcher = Matcher(registry)
    context = DeadlineContext(header.issued_on or today, calendar or WorkCalendar())
    if rows:
        check_count(len(rows))
        drafts = [_from_row(row, matcher, context) for row in rows]
    else:
        drafts = _from_body(lines, header, matcher, context)
    tasks = tuple(_numbered(drafts))
    return Proposal(
        header.number,
        header.kind,
        header.issuer,
        header.issued_on,
        header.title,
        tasks,
        _new_units(tasks),
        clean,
    )


def check_text(text: str, has_rows: bool) -> None:
    """Refuse an empty text, one too long, or one that is not Vietnamese."""
    if not text and not has_rows:
        raise InvalidInput(
            {"source": N_("the text is empty: paste the directive or choose its file")}
        )
    if len(text) > MAX_CHARS:
        raise InvalidInput(
            {
                "source": N_(
                    "the text is too long (%(count)s characters); at most %(limit)s can be read",
                    count=f"{len(text):,}",
                    limit=f"{MAX_CHARS:,}",
                )
            }
        )
    if text and not looks_vietnamese(text):
        raise InvalidInput(
            {
                "source": N_(
                    "this text does not look like Vietnamese: Đôn đốc reads directives "
                    "written in Vietnamese, in Unicode"
                )
            }
        )


def check_count(count: int) -> None:
    """Refuse a document with no task, or with more than a directive may hold."""
    if count == 0:
        raise InvalidInput(
            {"source": N_("no task was found in this text: enter the tasks by hand")}
        )
    if count > MAX_TASKS:
        raise InvalidInput(
            {
                "source": N_(
                    "the document has %(count)s tasks; at most %(limit)s can be entered at "
                    "once: split it into several directives",
                    count=f"{count:,}",
                    limit=MAX_TASKS,
                )
            }
        )


def looks_vietnamese(text: str) -> bool:
    """Tell whether a text is Vietnamese: enough letters only Vietnamese writes (ơ, ư, ạ, ế ...),
    or, typed without diacritics, enough of the syllables every directive uses."""
    sample = text[:50_000]
    letters = sum(ch.isalpha() for ch in sample)
    marked = sum(ch in _VIETNAMESE for ch in sample)
    if marked >= 3 and marked >= 0.02 * letters:
        return True
    syllables = words(sample)
    common = sum(syllable in _COMMON_SYLLABLES for syllable in syllables)
    return len(syllables) >= 20 and common >= 0.2 * len(syllables)


@dataclass(frozen=True)
class _Draft:
    text: str
    source: str
    parties: list[Party]
    deadline: Deadline


def _from_body(
    lines: list[str], header: Header, matcher: Matcher, context: DeadlineContext
) -> list[_Draft]:
    def assigns(paragraph: str) -> bool:
        return any(party.role == LEAD for party in parties(paragraph, matcher))

    found = [p for start, end in header.bodies for p in outline.pieces(lines[start:end], assigns)]
    check_count(len(found))
    inherited = _Inherited(matcher, context)
    return [inherited.draft(piece) for piece in found]


class _Inherited:
    """Units and deadlines of grouping items, read once, handed to tasks that name none."""

    def __init__(self, matcher: Matcher, context: DeadlineContext) -> None:
        self.matcher, self.context = matcher, context
        self.cache: dict[str, tuple[list[Party], Deadline]] = {}

    def read(self, text: str) -> tuple[list[Party], Deadline]:
        if text not in self.cache:
            self.cache[text] = (parties(text, self.matcher), find_deadline(text, self.context))
        return self.cache[text]

    def draft(self, piece: outline.Piece) -> _Draft:
        found, deadline = parties(piece.text, self.matcher), find_deadline(piece.text, self.context)
        for group in piece.groups:
            group_parties, group_deadline = self.read(group)
            if not any(p.role == LEAD for p in found):
                found = _merged(group_parties, found)
            if deadline == Deadline():
                deadline = group_deadline
        return _Draft(piece.text, piece.source, found, deadline)


def _merged(outer: list[Party], inner: list[Party]) -> list[Party]:
    leads = [p for p in outer if p.role == LEAD]
    lead_codes = {p.code for p in leads}
    return leads + [p for p in inner if p.code is None or p.code not in lead_codes]


def _from_row(row: Row, matcher: Matcher, context: DeadlineContext) -> _Draft:
    deadline = find_deadline(row.deadline, context, lenient=True) if row.deadline else Deadline()
    return _Draft(row.text, row.source, row_parties(row, matcher), deadline)


def _numbered(drafts: Iterable[_Draft]) -> Iterable[TaskProposal]:
    for number, draft in enumerate(drafts, start=1):
        yield TaskProposal(
            no=number,
            text=draft.text,
            source=draft.source,
            lead=_refs(draft.parties, LEAD),
            coordinating=_refs(draft.parties, COORDINATING),
            due_on=draft.deadline.due_on,
            due_time=draft.deadline.due_time,
            due_text=draft.deadline.phrase,
            reporting=draft.deadline.reporting,
            reporting_until=draft.deadline.reporting_until,
        )


def _refs(found: Sequence[Party], role: str) -> tuple[UnitRef, ...]:
    return tuple(UnitRef(p.code, p.written) for p in found if p.role == role)


def _new_units(tasks: Sequence[TaskProposal]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for task in tasks:
        for ref in (*task.lead, *task.coordinating):
            if ref.code is None:
                seen.setdefault(ref.name.casefold(), ref.name)
    return tuple(seen.values())
