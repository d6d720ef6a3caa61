"""Deadlines in Vietnamese phrases: a date, a time, a month, a quarter, Tết, a period, or none.

Each phrase is found in the folded text (`fold_in_place`) and cut from the original as written.
A date needs a word that makes it a deadline ("trước ngày 25/10", "chậm nhất", "hoàn thành
trong tháng 10 năm 2017", "thời hạn: ..."), so the dates of cited documents ("Quyết định
số 968/QĐ-SKHCN ngày 02/12/2019") are not taken for one; in `lenient` mode (a deadline field,
a spreadsheet cell) a bare date is enough. A date without a year is in the year of the anchor
(the issue date), or the next when it has already passed by then. Several deadlines in one
task: the earliest counts and every phrase is kept. "hằng tháng" / "định kỳ hằng quý" make a
periodic report (until the date the text gives, or the end of the anchor's year);
"thường xuyên" is an ongoing task without a deadline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cache
from itertools import islice

import holidays

from workflows.rules.calendar import WorkCalendar
from workflows.rules.importing.text import fold_in_place

_DATE = (
    r"(?<!\d)(?P<d>\d{1,2})\s*(?:[/.-]|thang)\s*(?P<m>\d{1,2})"
    r"(?:\s*(?:[/.-]|,?\s*nam)\s*(?P<y>\d{4}|\d{2}))?(?![\d/])"
)
_TIME = r"(?P<h>\d{1,2})\s*(?:gio|h|g|:)\s*(?P<mi>\d{2})?(?:\s*phut)?"
_CUE = (
    r"(?:truoc|cham\s+nhat(?:\s+la)?(?:\s+(?:vao|truoc))?|han\s+(?:chot|cuoi|hoan\s+thanh)"
    r"|han|hoan\s+thanh(?:\s+(?:truoc|trong|vao|xong))?|xong\s+(?:truoc|trong)"
    r"|thoi\s+(?:han|gian)(?:\s+(?:hoan\s+thanh|thuc\s+hien|nop))?|den(?:\s+het)?|trong"
    r"|ket\s+thuc|tien\s+do)"
)
_GAP = rf"[\s:,]*(?:{_TIME}[\s,]*)?(?:(?:ngay|hom)\s+)?"
CUED_DATE = re.compile(rf"\b{_CUE}{_GAP}{_DATE}")
BARE_DATE = re.compile(rf"^\s*(?:{_TIME}[\s,]*)?(?:ngay\s+)?{_DATE}\s*$")
DATE_THEN_TIME = re.compile(rf"^\s*(?:ngay\s+)?{_DATE}[\s,]*(?:luc\s+)?{_TIME}\s*$")
MONTH = re.compile(
    r"\b(?P<cue>trong|truoc|cuoi|het|hoan\s+thanh\s+trong|hoan\s+thanh\s+truoc)\s+thang\s+"
    r"(?P<m>\d{1,2})(?:\s*(?:/|nam)\s*(?P<y>\d{4}))?(?![\d/])"
)
QUARTER = re.compile(
    r"\b(?P<cue>trong|truoc|cuoi|hoan\s+thanh(?:\s+trong|\s+truoc)?)\s+quy\s+"
    r"(?P<q>iv|iii|ii|i|[1-4])\b(?:\s*(?:/|nam)\s*(?P<y>\d{4}))?"
)
_CAN = r"(?:giap|at|binh|dinh|mau|ky|canh|tan|nham|quy)"
_CHI = r"(?:ty|suu|dan|mao|thin|ngo|mui|than|dau|tuat|hoi)"
TET = re.compile(
    rf"\btruoc\s+(?:dip\s+)?tet(?:\s+nguyen\s+dan)?(?:\s+{_CAN}\s+{_CHI})?"
    r"(?:\s+(?:nam\s+)?(?P<y>\d{4}))?\b"
)
RELATIVE = re.compile(
    r"\btrong\s+(?:vong\s+|thoi\s+han\s+)?(?P<n>\d{1,3})\s+ngay(?P<w>\s+lam\s+viec)?"
    r"(?!\s+lam\s+viec)(?!\s+(?:sau|ke\s+tu)\s+khi)"  # from an event, not from the issue
)
YEAR = re.compile(
    r"\b(?P<cue>trong|cuoi|truoc\s+het|hoan\s+thanh\s+trong|den\s+het)\s+nam\s+(?P<y>\d{4})\b"
)
END_OF_YEAR = re.compile(r"\b(?:truoc|den|vao)?\s*cuoi\s+nam\b(?!\s+\d)")
_REPORT_DAY = r"truoc\s+ngay\s+\d{1,2}(?![\d/])"
PERIODIC = re.compile(
    rf"\b(?:{_REPORT_DAY}\s+)?(?:dinh\s+ky\s+)?hang\s+(?P<p>thang|quy)\b(?:\s*,?\s*{_REPORT_DAY})?"
)
UNTIL = re.compile(r"\bden\s+(?:het\s+)?nam\s+(?P<y>\d{4})\b")
ONGOING = re.compile(r"\bthuong\s+xuyen\b|\blien\s+tuc\b")
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
MAX_FOUND = 200  # phrases read in one task: more is not a deadline any more, only text


@dataclass(frozen=True)
class DeadlineContext:
    """What a phrase is read against: the anchor day (the issue date, or today) and the
    working calendar."""

    anchor: date
    calendar: WorkCalendar = WorkCalendar()


@dataclass(frozen=True)
class Deadline:
    """The deadline a text gives: a day (and time), a periodic report, or an ongoing task."""

    due_on: date | None = None
    due_time: time | None = None
    phrase: str | None = None  # every deadline phrase of the text, as written
    reporting: str = "once"
    reporting_until: date | None = None
    ongoing: bool = False


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    day: date | None = None
    at: time | None = None
    period: str | None = None
    ongoing: bool = False


def find_deadline(text: str, context: DeadlineContext, *, lenient: bool = False) -> Deadline:
    """Return the deadline of a task's text (or of a deadline field, when lenient)."""
    folded = fold_in_place(text)
    found = _non_overlapping(islice(_matches(folded, context, lenient), MAX_FOUND))
    if not found:
        return Deadline()
    phrase = "; ".join(text[f.start : f.end].strip(" ,;:") for f in found)
    days = sorted((f.day, f.at or time.max) for f in found if f.day is not None)
    period = next((f.period for f in found if f.period), None)
    if period is not None:
        until = _until(folded, context, days[-1][0] if days else None)
        return Deadline(None, None, phrase, period, until)
    if days:
        day, at = days[0]
        return Deadline(day, None if at == time.max else at, phrase)
    return Deadline(phrase=phrase, ongoing=True)


def _non_overlapping(found: Iterable[_Found]) -> list[_Found]:
    kept: list[_Found] = []
    for item in found:
        if all(item.end <= other.start or item.start >= other.end for other in kept):
            kept.append(item)
    return sorted(kept, key=lambda f: f.start)


def _matches(folded: str, context: DeadlineContext, lenient: bool) -> Iterator[_Found]:
    if lenient:
        for pattern in (BARE_DATE, DATE_THEN_TIME):
            match = pattern.match(folded)
            if match and (found := _dated(match, context)):
                yield found
    for pattern, read in _READERS:
        for match in pattern.finditer(folded):
            found = read(match, context)
            if found is not None:
                yield found


def _dated(match: re.Match[str], context: DeadlineContext) -> _Found | None:
    day = _day(match["d"], match["m"], match["y"], context.anchor)
    if day is None:
        return None
    return _Found(match.start(), match.end(), day, _time(match["h"], match["mi"]))


def _day(d: str, m: str, y: str | None, anchor: date) -> date | None:
    year = int(y) + (2000 if y and len(y) == 2 else 0) if y else anchor.year
    try:
        day = date(year, int(m), int(d))
    except ValueError:
        return None
    if y is None and day < anchor:
        day = _same_day_next_year(day)
    return day if abs(day.year - anchor.year) <= 20 else None


def _same_day_next_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return date(day.year + 1, 3, 1)


def _time(h: str | None, mi: str | None) -> time | None:
    if h is None or int(h) > 23 or (mi is not None and int(mi) > 59):
        return None
    return time(int(h), int(mi or 0))


def _month(match: re.Match[str], context: DeadlineContext) -> _Found | None:
    month = int(match["m"])
    if not 1 <= month <= 12:
        return None
    year = int(match["y"]) if match["y"] else context.anchor.year
    if match["cue"] == "truoc":
        last = date(year, month, 1) - timedelta(days=1)
    else:
        last = _month_end(year, month)
    if not match["y"] and last < context.anchor:
        last = _month_end(last.year + 1, last.month)
    return _Found(match.start(), match.end(), last)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _quarter(match: re.Match[str], context: DeadlineContext) -> _Found | None:
    q = ROMAN.get(match["q"]) or int(match["q"])
    year = int(match["y"]) if match["y"] else context.anchor.year
    if match["cue"] == "truoc":
        q -= 1
        if q == 0:
            q, year = 4, year - 1
    last = _month_end(year, q * 3)
    if not match["y"] and last < context.anchor:
        last = _month_end(year + 1, q * 3)
    return _Found(match.start(), match.end(), last)


def _tet(match: re.Match[str], context: DeadlineContext) -> _Found | None:
    calendar = context.calendar
    if match["y"]:
        day = _before_tet(int(match["y"]), calendar)
    else:
        day = _before_tet(context.anchor.year, calendar)
        if day is None or day < context.anchor:
            day = _before_tet(context.anchor.year + 1, calendar)
    return None if day is None else _Found(match.start(), match.end(), day)


@cache
def lunar_new_year(year: int) -> date | None:
    """Return the first day of the lunar year that begins in `year` (Tết Nguyên đán)."""
    country = holidays.country_holidays("VN", years=year, language="en_US")
    return next((day for day, name in country.items() if name == "Lunar New Year"), None)


def _before_tet(year: int, calendar: WorkCalendar) -> date | None:
    """Return the last working day before the days off of Tết begin."""
    first = lunar_new_year(year)
    if first is None:
        return None
    while not calendar.is_working_day(first - timedelta(days=1)):
        first -= timedelta(days=1)
    return calendar.previous_working_day(first)


def _relative(match: re.Match[str], context: DeadlineContext) -> _Found | None:
    n = int(match["n"])
    if not 1 <= n <= 365:
        return None
    calendar, anchor = context.calendar, context.anchor
    day = calendar.add_working_days(anchor, n) if match["w"] else calendar.period_end(anchor, n)
    return _Found(match.start(), match.end(), day)


def _year(match: re.Match[str], context: DeadlineContext) -> _Found | None:
    year = int(match["y"])
    if abs(year - context.anchor.year) > 20:
        return None
    return _Found(match.start(), match.end(), date(year, 12, 31))


def _end_of_year(match: re.Match[str], context: DeadlineContext) -> _Found | None:
    return _Found(match.start(), match.end(), date(context.anchor.year, 12, 31))


def _periodic(match: re.Match[str], context: DeadlineContext) -> _Found | None:
    period = "monthly" if match["p"] == "thang" else "quarterly"
    return _Found(match.start(), match.end(), period=period)


def _ongoing(match: re.Match[str], context: DeadlineContext) -> _Found | None:
    return _Found(match.start(), match.end(), ongoing=True)


def _until(folded: str, context: DeadlineContext, last_day: date | None) -> date:
    """The last day a periodic report covers: a stated year or date, else this year's end."""
    stated = UNTIL.search(folded)
    if stated and abs(int(stated["y"]) - context.anchor.year) <= 20:
        return date(int(stated["y"]), 12, 31)
    if last_day is not None:
        return last_day
    year = context.anchor.year + (1 if context.anchor.month >= 11 else 0)
    return date(year, 12, 31)


_Reader = Callable[[re.Match[str], DeadlineContext], "_Found | None"]
_READERS: tuple[tuple[re.Pattern[str], _Reader], ...] = (
    (CUED_DATE, _dated),
    (TET, _tet),
    (MONTH, _month),
    (QUARTER, _quarter),
    (RELATIVE, _relative),
    (YEAR, _year),
    (END_OF_YEAR, _end_of_year),
    (PERIODIC, _periodic),
    (ONGOING, _ongoing),
)
