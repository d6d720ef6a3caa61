"""Reading what the oversight pages are asked for (period, basis, as-of day, units) from a URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import request
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from web import context
from workflows import (
    BASES,
    PERIOD_KINDS,
    Period,
    StatsQuery,
    TaskFilter,
    custom,
    period_of,
)

PERIOD_LABELS = {
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "half": _l("Half-year"),
    "year": _l("Year"),
    "custom": _l("Custom range"),
}
BASIS_LABELS = {"due": _l("by due date"), "issued": _l("by issue date")}
CATEGORY_LABELS = {
    "completed_on_time": _l("Completed on time"),
    "completed_late": _l("Completed late"),
    "open_in_term": _l("Not completed, within deadline"),
    "open_overdue": _l("Overdue, not completed"),
    "no_deadline": _l("No deadline"),
}
LIST_LABELS = {  # the lists behind the sums and rates as well as the columns
    **CATEGORY_LABELS,
    "completed": _l("Completed"),
    "rated": _l("Completed or overdue (what the rates count)"),
}


MAX_DIRECTIVE_ROWS = 10_000  # the directive list's export


def cut_note(shown: int, total: int) -> str:
    """What a list export says when it holds only the first rows of the list ('' if all)."""
    if total <= shown:
        return ""
    return str(
        _l(
            "Only the first %(shown)s of %(total)s rows; narrow the filters for the rest.",
            shown=format_decimal(shown),
            total=format_decimal(total),
        )
    )


@dataclass(frozen=True)
class Asked:
    """What the URL asked for, and what was wrong with it (shown, never a 500)."""

    query: StatsQuery
    problems: tuple[str, ...] = ()


def day_arg(name: str) -> date | None:
    """A YYYY-MM-DD argument, or None when absent or not a date."""
    value = request.args.get(name, "")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def today() -> date:
    """Today in the department's zone."""
    return datetime.now(context.db().settings.tz).date()


def asked(default_kind: str = "month") -> Asked:
    """The statistics query of this request: defaults for anything missing or wrong."""
    problems: list[str] = []
    kind = request.args.get("period", default_kind)
    if kind not in PERIOD_KINDS:
        kind = default_kind
    period = _period(kind, problems)
    basis = request.args.get("basis", "due")
    units = tuple(code[:32] for code in request.args.getlist("unit") if code)[:50]
    return Asked(
        StatsQuery(
            period,
            by="unit",
            basis=basis if basis in BASES else "due",
            as_of=day_arg("as_of"),
            unit_codes=units,
            original=request.args.get("original") == "1",
        ),
        tuple(problems),
    )


def _period(kind: str, problems: list[str]) -> Period:
    if kind == "custom":
        start, end = day_arg("from"), day_arg("to")
        if start and end:
            try:
                return custom(start, end)
            except ValueError:
                problems.append(str(_l("The range must end after it starts, within ten years.")))
        else:
            problems.append(str(_l("A custom range needs its first and last day.")))
        kind = "month"
    return period_of(kind, day_arg("on") or today())


def task_filter(query: StatsQuery) -> TaskFilter:
    """The list filters of this request on top of the statistics query."""
    category = request.args.get("category")
    level = request.args.get("level", "task")
    role = request.args.get("role")
    directive = request.args.get("directive", "")
    return TaskFilter(
        query,
        level="item" if level == "item" else "task",
        category=category if category in LIST_LABELS else None,
        unit_code=(request.args.get("in_unit") or None),
        role=role if role in ("lead", "coordinating") else None,
        directive_id=int(directive) if directive.isdigit() and len(directive) < 10 else None,
        issuer=(request.args.get("issuer") or None),
        leader=_leader(request.args.get("leader", "")),
    )


def _leader(value: str) -> str | None:
    if value == "none" or (value.isdigit() and len(value) < 10):
        return value
    return None


def query_args(query: StatsQuery, **more: Any) -> dict[str, Any]:
    """The URL arguments that ask for this query again (plus some more)."""
    args: dict[str, Any] = {"period": query.period.kind, "basis": query.basis}
    if query.period.kind == "custom":
        args |= {"from": query.period.start.isoformat(), "to": query.period.end.isoformat()}
    else:
        args["on"] = query.period.start.isoformat()
    if query.as_of:
        args["as_of"] = query.as_of.isoformat()
    if query.unit_codes:
        args["unit"] = list(query.unit_codes)
    if query.original:
        args["original"] = "1"
    return {**args, **{k: v for k, v in more.items() if v is not None}}
