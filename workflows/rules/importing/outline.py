"""Splitting a body into tasks along the document's own structure.

Items are numbered (I., II.; 1., 2.; 1.1.; a), b); Điều 1.) or dashed (-, +, •). Each kind of
marker met inside another opens a deeper level, in the order the document uses them; a number
must follow the one before it (or start a list at 1), else the line is ordinary text. A line
without a marker continues the item above it; the preamble before the first item is not a task.

Which items are tasks: the leaves, except sections that state purposes, grounds or results
("Mục đích, yêu cầu", "Căn cứ", "Kết quả") and boilerplate ("chịu trách nhiệm thi hành",
"có hiệu lực"). An item whose children are tasks groups them and is not a task of its own (its
units and deadline go down to children that name none); dashes under a complete sentence are
its details and stay in it. A section heading (in capitals, or a usual title such as "Tổ chức
thực hiện") gives its paragraphs as tasks. A body without items is read paragraph by
paragraph: each sentence that gives work to someone ("Giao X chủ trì, phối hợp với Y ...",
"Đề nghị Thanh tra Sở ...") is a task.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from workflows.rules.importing.text import fold_in_place

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9}
_ROMAN.update({"X": 10, "XI": 11, "XII": 12, "XIII": 13, "XIV": 14, "XV": 15})
_LETTERS = "abcdđeghiklmnopqrstuvxy"
MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("roman", re.compile(r"^(?P<n>X{0,1}(?:IX|IV|V?I{1,3}|V|X))\s*[.)]\s*(?=\S)")),
    ("article", re.compile(r"^Điều\s+(?P<n>\d{1,3})\s*[.:]\s*")),
    ("decimal", re.compile(r"^(?P<n>\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+(?=\D)")),
    ("arabic", re.compile(r"^(?P<n>\d{1,4})\s*[.)]\s*(?=[^\d\s])")),
    ("letter", re.compile(r"^(?P<n>[a-zđ])\s*[.)]\s+")),
    ("dash", re.compile(r"^[-–—−]+\s*(?=\S)")),
    ("bullet", re.compile(r"^[•·●▪◦■□*►✓]\s*(?=\S)")),
    ("plus", re.compile(r"^\+\s*(?=\S)")),
)
SEQUENCED = frozenset({"roman", "arabic", "letter", "article"})
DETAILS = frozenset({"dash", "bullet", "plus"})
EXCLUDED = re.compile(
    r"^(?:muc dich|yeu cau\b(?!\s+(?:cac|phong|van phong|thanh tra|chi cuc|trung tam))|can cu|"
    r"co so|tinh hinh|ket qua|danh gia|thuc trang|quan diem|muc tieu|pham vi|doi tuong|"
    r"dac diem|y nghia|boi canh)"
)
BOILERPLATE = re.compile(
    r"chiu trach nhiem thi hanh|co hieu luc|ban hanh kem theo|thay the quyet dinh|bai bo"
)
_DOCUMENT = r"(?:chi thi|quyet dinh|ke hoach|thong bao|cong van|van ban)"
CLOSING = re.compile(
    rf"^(?:tren day la|trong qua trinh (?:trien khai )?thuc hien|{_DOCUMENT} nay|"
    r"nhan duoc (?:cong van|van ban)|de nghi cac .{0,80}nghiem tuc|"
    r"yeu cau .{0,120}(?:nghiem tuc|khan truong|trien khai) thuc hien)"
    rf"|thong bao de .{{0,80}}biet|nghiem tuc (?:trien khai )?thuc hien {_DOCUMENT} nay"
)
# Section headings written in sentence case ("III. Tổ chức thực hiện"): their paragraphs are tasks.
HEADINGS = re.compile(
    r"^(?:to chuc thuc hien|nhiem vu(?: cu the| trong tam| chu yeu| va giai phap)?|"
    r"(?:cac )?nhiem vu,? giai phap(?: chu yeu| cu the)?|giai phap thuc hien|"
    r"phan cong (?:nhiem vu|thuc hien)|trach nhiem (?:thuc hien|cua cac (?:phong|don vi)))"
    r"\s*[:.]?$"
)
ASSIGNING = re.compile(r"\bgiao\b|\bchu tri\b|\bco trach nhiem\b|\bde nghi\b|\byeu cau\b")


@dataclass
class Item:
    """A numbered or dashed item, its own text, its continuations and its sub-items."""

    kind: str
    value: int
    lines: list[str]  # the item's line (marker cut) and the paragraphs continuing it
    source: list[str]  # the same lines as written, marker included
    parent: Item | None = None
    children: list[Item] = field(default_factory=list)

    @property
    def own_text(self) -> str:
        """The item's first line, without its marker."""
        return self.lines[0]


@dataclass(frozen=True)
class Piece:
    """A task as the body gives it: its text, its source lines, the groups it sits under."""

    text: str
    source: str
    groups: tuple[str, ...]  # texts of the enclosing items, nearest first


def marker(line: str) -> tuple[str, int, str] | None:
    """Return (kind, value, text without the marker) of a line that opens an item."""
    for kind, pattern in MARKERS:
        match = pattern.match(line)
        if match:
            return kind, _value(kind, match.groupdict().get("n") or ""), line[match.end() :]
    return None


def _value(kind: str, label: str) -> int:
    if kind == "roman":
        return _ROMAN.get(label, 0)
    if kind in ("arabic", "article"):
        return int(label)
    if kind == "letter":
        return _LETTERS.find(label) + 1
    if kind == "decimal":
        return int(label.rsplit(".", 1)[-1]) + 100 * label.count(".")
    return 0


def pieces(lines: list[str], assigns: Callable[[str], bool]) -> list[Piece]:
    """Split a body's lines into task pieces (see the module's docstring).

    `assigns` tells whether a paragraph gives work to a unit (for bodies without items).
    """
    roots = _tree(lines, assigns)
    if roots:
        return [piece for root in roots for piece in _tasks(root, (), assigns)]
    return list(_paragraph_tasks(lines, assigns))


def _tree(lines: list[str], assigns: Callable[[str], bool]) -> list[Item]:
    roots: list[Item] = []
    stack: list[Item] = []
    closed = False
    for line in lines:
        opened = marker(line)
        item = _open(opened, line, stack) if opened else None
        if item is None:
            closed = closed or bool(stack and _is_closing(line, assigns))
            if stack and not closed and not _is_noise(line):
                stack[-1].lines.append(line)
                stack[-1].source.append(line)
            continue
        closed = False
        (item.parent.children if item.parent else roots).append(item)
        stack.append(item)
    return roots


def _open(opened: tuple[str, int, str], line: str, stack: list[Item]) -> Item | None:
    """The new item a marked line opens, the stack cut to its parent; None if out of sequence."""
    kind, value, text = opened
    kind_key = f"{kind}{value // 100}" if kind == "decimal" else kind
    level = next((i for i, it in enumerate(stack) if _key(it) == kind_key), None)
    if level is not None:
        sibling = stack[level]
        if kind in SEQUENCED and not (value > sibling.value or value == 1):
            return None
        del stack[level:]
    elif kind in SEQUENCED and value != 1 and stack:
        return None
    parent = stack[-1] if stack else None
    return Item(kind_key, value, [text.strip()], [line], parent)


def _key(item: Item) -> str:
    return item.kind


def _is_closing(line: str, assigns: Callable[[str], bool]) -> bool:
    """A closing paragraph: a known closing formula, or the last line ('./.') giving no work."""
    if CLOSING.search(fold_in_place(line)) and not line.endswith(":"):
        return True
    return line.endswith("./.") and not assigns(line)


def _is_noise(line: str) -> bool:
    """A short line without a sentence's end: a caption, a byline, a link of a web page."""
    return len(line.split()) < 8 and not line.endswith((".", ";", ":", "!", "?", ")"))


def _tasks(item: Item, groups: tuple[str, ...], assigns: Callable[[str], bool]) -> Iterator[Piece]:
    folded = fold_in_place(item.own_text)
    if EXCLUDED.match(folded.strip(" -:")) or BOILERPLATE.search(folded):
        return
    if item.kind == "article" and not ASSIGNING.search(fold_in_place(_text(item))):
        return  # an article of a decision is a task only when it gives work to someone
    if not item.children or _are_details(item):
        if _is_heading(item.own_text):  # a section heading: its paragraphs are the tasks
            for paragraph in item.lines[1:]:
                for clause in clauses(paragraph, assigns):
                    yield Piece(clause, clause, groups)
            return
        yield Piece(_text(item), _source(item), groups)
        return
    for child in item.children:
        yield from _tasks(child, ("\n".join(item.lines), *groups), assigns)


def _is_heading(own: str) -> bool:
    """A section heading: in capitals, or one of the usual section titles."""
    return own.isupper() or bool(HEADINGS.match(fold_in_place(own).strip()))


def _are_details(item: Item) -> bool:
    """Tell whether dashed sub-items detail a complete sentence rather than list tasks."""
    if not all(child.kind in DETAILS for child in item.children):
        return False
    own = item.own_text.rstrip()
    return not (own.endswith(":") or own.isupper() or len(own.split()) <= 10)


def _text(item: Item) -> str:
    parts = list(item.lines)
    for child in item.children:
        parts.append(_text(child))
    return "\n".join(part for part in parts if part)


def _source(item: Item) -> str:
    parts = list(item.source)
    for child in item.children:
        parts.append(_source(child))
    return "\n".join(parts)


def _paragraph_tasks(lines: list[str], assigns: Callable[[str], bool]) -> Iterator[Piece]:
    for line in lines:
        if line.endswith(":") or _is_closing(line, assigns):
            continue
        for sentence in _assignments(line, fold_in_place(line)):
            for clause in clauses(sentence, assigns):
                yield Piece(clause, clause, ())


def clauses(paragraph: str, assigns: Callable[[str], bool]) -> list[str]:
    """The clauses of a paragraph (split at ';') when each gives work to its own units;
    else the paragraph, if it gives work at all."""
    parts = [part.strip() for part in paragraph.split(";") if part.strip()]
    if len(parts) > 1 and all(assigns(part) for part in parts):
        return parts
    return [paragraph] if assigns(paragraph) else []


_ASSIGNMENT_START = re.compile(r"(?:^|(?<=[.]\s))(?:giao|de nghi|yeu cau)\b")


def _assignments(line: str, folded: str) -> list[str]:
    """Split a paragraph at each sentence opening with 'Giao', 'Đề nghị' or 'Yêu cầu' (each
    gives work to its own units); else the whole paragraph."""
    starts = [m.start() for m in re.finditer(_ASSIGNMENT_START, folded)]
    if len(starts) > 1 or (starts and starts[0] > 0):
        bounds = [0, *starts] if starts[0] > 0 else starts
        ends = [*bounds[1:], len(line)]
        return [line[a:b].strip() for a, b in zip(bounds, ends, strict=True)]
    return [line]
