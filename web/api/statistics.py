"""Statistics and the report file: the counting grid as JSON, the report as Excel."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from web import context
from web.api.auth import caller_id
from web.api.blueprint import answers, bp
from web.api.schemas import _day, _text
from workflows import (
    BASES,
    GROUPINGS,
    Grid,
    StatsQuery,
    period_between,
    period_of,
    report_data,
    report_workbook,
    statistics,
)

TAGS = ["statistics"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StatisticsQuerySchema(Schema):
    """What to count: grouping, period (default: this month), as-of day, basis, units."""

    by = fields.String(load_default="unit", validate=validate.OneOf(GROUPINGS))
    from_ = _day(data_key="from")  # default: the first day of this month
    to = _day()  # default: the last day of this month
    as_of = _day()  # count what stood at the end of this day (default: the period's end)
    date_basis = fields.String(load_default="due", validate=validate.OneOf(BASES))
    unit = fields.List(_text(32), load_default=list, validate=validate.Length(max=50))
    original = fields.Boolean(
        load_default=False, metadata={"description": "against the first deadlines"}
    )


class FiguresSchema(Schema):
    """The grid of one row (or the total) and its rates (0 to 1, null when undefined)."""

    completed_on_time = fields.Integer()
    completed_late = fields.Integer()
    open_in_term = fields.Integer()
    open_overdue = fields.Integer()
    no_deadline = fields.Integer()
    completion_rate = fields.Float(allow_none=True)
    on_time_rate = fields.Float(allow_none=True)


class StatRowSchema(FiguresSchema):
    key = fields.String()
    name = fields.String()


class StatisticsSchema(Schema):
    rows = fields.List(fields.Nested(StatRowSchema))
    total = fields.Nested(FiguresSchema)


def _rate(rate: Fraction | None) -> float | None:
    return None if rate is None else float(rate)


def figures(grid: Grid) -> dict[str, Any]:
    """A grid as the API answers it."""
    return {
        "completed_on_time": grid.completed_on_time,
        "completed_late": grid.completed_late,
        "open_in_term": grid.open_in_term,
        "open_overdue": grid.open_overdue,
        "no_deadline": grid.no_deadline,
        "completion_rate": _rate(grid.completion_rate),
        "on_time_rate": _rate(grid.on_time_rate),
    }


def query_of(args: dict[str, Any]) -> StatsQuery:
    """The statistics query of the API's arguments (InvalidInput for a bad range)."""
    start, end = args.get("from_"), args.get("to")
    if start is None or end is None:
        month = period_of("month", datetime.now(UTC).astimezone(context.db().settings.tz).date())
        start, end = start or month.start, end or month.end
    period = period_between(start, end)
    as_of: date | None = args.get("as_of")
    return StatsQuery(
        period,
        by=args["by"],
        basis=args["date_basis"],
        as_of=as_of,
        unit_codes=tuple(args["unit"]),
        original=args["original"],
    )


@bp.route("/statistics", methods=["GET"], tags=TAGS)
@bp.arguments(StatisticsQuerySchema, location="query", error_status_code=400)
@bp.response(200, StatisticsSchema)
@answers(400, 422)
def get_statistics(args: dict[str, Any]) -> dict[str, Any]:
    """Count completed on time / late, open within term / overdue and without deadline, per
    unit, task, directive, issuer or leader in charge, for a period at an as-of day."""
    result = statistics(context.db(), caller_id(), query_of(args))
    return {
        "rows": [{"key": r.key, "name": r.name, **figures(r.grid)} for r in result.rows],
        "total": figures(result.total),
    }


@bp.route("/reports/tasks.xlsx", methods=["GET"], tags=TAGS)
@bp.arguments(StatisticsQuerySchema, location="query", error_status_code=400)
@bp.response(200, description="The report as an Excel workbook", content_type=XLSX)
@answers(400, 422)
def get_report(args: dict[str, Any]) -> Response:
    """The report on the carrying out of tasks for the period and units, as Excel."""
    data = report_data(context.db(), caller_id(), query_of(args))
    response = Response(report_workbook(data, context.db().settings.tz), mimetype=XLSX)
    response.headers["Content-Disposition"] = 'attachment; filename="bao-cao-nhiem-vu.xlsx"'
    return response
