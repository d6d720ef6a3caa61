"""The directive list: filters, diacritic-blind search, pagination, per-directive progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import Integer

from engine import utcnow
from workflows.access.permissions import sees_everything
from workflows.db import Database
from workflows.organisation import people
from workflows.rules.collation import sort_key
from workflows.rules.folding import HEAD_END, search_terms
from workflows.tables import Assignment, Directive, User


@dataclass(frozen=True)
class DirectiveFilter:
    """What the list is narrowed to; every field is optional."""

    status: str | None = None
    unit_code: str | None = None
    issuer: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    overdue_only: bool = False
    query: str = ""


@dataclass(frozen=True)
class DirectiveRow:
    """One line of the directive list."""

    id: int
    number: str
    kind: str
    issuer: str
    issued_on: date
    title: str
    status: str
    assignments: int
    accepted: int
    overdue: int


@dataclass(frozen=True)
class DirectivePage:
    """A page of the directive list."""

    rows: tuple[DirectiveRow, ...]
    total: int
    page: int
    per_page: int
    issuers: tuple[str, ...] = field(default_factory=tuple)


CLOSED_STATES = ("accepted", "draft", "cancelled")  # never overdue


def _overdue_count(now: datetime) -> Any:
    return func.count(Assignment.id).filter(
        Assignment.state.not_in(CLOSED_STATES), Assignment.due_at <= now
    )


def _narrow(query: Select[Any], actor: User, flt: DirectiveFilter, now: datetime) -> Select[Any]:
    if not sees_everything(actor):
        mine = select(Assignment.directive_id).where(
            Assignment.unit_id == actor.unit_id, Assignment.state != "draft"
        )
        query = query.where(Directive.id.in_(mine))
    if flt.status:
        query = query.where(Directive.status == flt.status)
    if flt.unit_code:
        by_unit = select(Assignment.directive_id).where(Assignment.unit_code == flt.unit_code)
        query = query.where(Directive.id.in_(by_unit))
    if flt.issuer:
        query = query.where(Directive.issuer == flt.issuer)
    if flt.issued_from:
        query = query.where(Directive.issued_on >= flt.issued_from)
    if flt.issued_to:
        query = query.where(Directive.issued_on <= flt.issued_to)
    if flt.overdue_only:
        late = select(Assignment.directive_id).where(
            Assignment.state.not_in(CLOSED_STATES), Assignment.due_at <= now
        )
        query = query.where(Directive.id.in_(late), Directive.status == "in_progress")
    for term in search_terms(flt.query):  # each word of the query starts a word of the text
        query = query.where(Directive.search_text.contains(f" {term}", autoescape=True))
    return query


class strpos(GenericFunction[int]):  # noqa: N801 (named as the SQL function)
    """Where a string first occurs in another, 1-based, 0 when absent (SQLite: instr)."""

    type = Integer()
    inherit_cache = True


@compiles(strpos, "sqlite")
def _instr(element: strpos, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


def _rank(query: str) -> Any:
    """How many query words the number, title or issuer holds: those directives come first."""
    head_end = strpos(Directive.search_text, HEAD_END)
    hits = [
        case((strpos(Directive.search_text, f" {term}") < head_end, 1), else_=0)
        for term in search_terms(query)
    ]
    return sum(hits[1:], hits[0]) if hits else None


def list_directives(
    db: Database,
    user_id: int,
    flt: DirectiveFilter | None = None,
    page: int = 1,
    per_page: int = 20,
    now: datetime | None = None,
) -> DirectivePage:
    """List the directives the actor may see, best match then newest first, with progress."""
    at, flt = now or utcnow(), flt or DirectiveFilter()
    page, per_page = min(max(page, 1), 100_000), min(max(per_page, 1), 100)
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        ids = _narrow(select(Directive.id), actor, flt, at)
        total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
        rows = session.execute(
            select(
                Directive,
                func.count(Assignment.id),
                func.count(Assignment.id).filter(Assignment.state == "accepted"),
                _overdue_count(at),
            )
            .join(Assignment, Assignment.directive_id == Directive.id, isouter=True)
            .where(Directive.id.in_(_page_of(ids, flt.query, page, per_page)))
            .group_by(Directive.id)
            .order_by(*_order(flt.query))
        ).all()
        return DirectivePage(
            tuple(_row(d, n, done, late) for d, n, done, late in rows),
            total,
            page,
            per_page,
            _issuers(session, ids),
        )


def _page_of(ids: Select[Any], query: str, page: int, per_page: int) -> Select[Any]:
    # order and cut the directives alone, then count assignments for this page's only
    return ids.order_by(*_order(query)).offset((page - 1) * per_page).limit(per_page)


def _order(query: str) -> list[Any]:
    newest = [Directive.issued_on.desc(), Directive.id.desc()]
    rank = _rank(query)
    return newest if rank is None else [rank.desc(), *newest]


def _row(d: Directive, assignments: int, accepted: int, overdue: int) -> DirectiveRow:
    return DirectiveRow(
        d.id,
        d.number,
        d.kind,
        d.issuer,
        d.issued_on,
        d.title,
        d.status,
        assignments,
        accepted,
        overdue if d.status == "in_progress" else 0,
    )


def _issuers(session: Session, visible: Select[Any]) -> tuple[str, ...]:
    query = select(Directive.issuer).where(Directive.id.in_(visible)).distinct()
    return tuple(sorted(session.scalars(query), key=sort_key))  # Vietnamese order, not bytes
