"""`dondoc import FILE [--json] [--org ORG.json]`: print the proposal read from a directive."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from web.config import load_config
from workflows import (
    Database,
    DomainError,
    Proposal,
    ProposalSource,
    Upload,
    proposal_json,
    propose_from,
    propose_from_database,
    registry_from_org,
)

MAX_BYTES = 64 * 1024 * 1024  # the domain refuses anything over its own limit with a message


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the proposal as JSON.")
@click.option(
    "--org",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the units from this file (shaped like org.json) instead of the database.",
)
def import_command(path: Path, as_json: bool, org: Path | None) -> None:
    """Propose the tasks, units and deadlines of a directive (.docx, .pdf, .xlsx or .txt)."""
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    source = ProposalSource(upload=Upload(path.name, data))
    try:
        proposal = _propose(source, org)
    except DomainError as exc:
        raise click.ClickException(_explained(exc)) from exc
    if as_json:
        click.echo(json.dumps(proposal_json(proposal), ensure_ascii=False, indent=2))
    else:
        click.echo(readable(proposal))


def _propose(source: ProposalSource, org: Path | None) -> Proposal:
    if org is not None:
        try:
            units = json.loads(org.read_text(encoding="utf-8"))
            registry = registry_from_org(units)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise click.ClickException(f"{org}: not an organisation file ({exc})") from exc
        return propose_from(source, registry, date.today())
    config = load_config()
    db = Database(config.database_url, config.domain_settings())
    try:
        return propose_from_database(db, source)
    finally:
        db.dispose()


def _explained(exc: DomainError) -> str:
    fields = getattr(exc, "field_messages", None)
    if fields:
        return "; ".join(str(message) for message in fields.values())
    return str(exc)


def readable(proposal: Proposal) -> str:
    """The proposal as lines a person reads in a terminal."""
    lines = [
        f"Số, ký hiệu: {proposal.number or '—'}",
        f"Loại: {proposal.kind or '—'}",
        f"Cơ quan ban hành: {proposal.issuer or '—'}",
        f"Ngày ban hành: {proposal.issued_on.isoformat() if proposal.issued_on else '—'}",
        f"Trích yếu: {proposal.title or '—'}",
        f"Nhiệm vụ: {len(proposal.tasks)}",
    ]
    for task in proposal.tasks:
        first = " ".join(task.text.split())
        lines.append(f"{task.no}. {first[:150]}{'…' if len(first) > 150 else ''}")
        lines.append("   Chủ trì: " + (", ".join(_unit(r.code, r.name) for r in task.lead) or "—"))
        if task.coordinating:
            named = ", ".join(_unit(r.code, r.name) for r in task.coordinating)
            lines.append("   Phối hợp: " + named)
        periodic = "định kỳ" if task.reporting != "once" else "—"
        due = task.due_on.isoformat() if task.due_on else periodic
        lines.append(f"   Hạn: {due}" + (f" ({task.due_text})" if task.due_text else ""))
    if proposal.new_units:
        lines.append("Đơn vị chưa có trong danh mục: " + "; ".join(proposal.new_units))
    return "\n".join(lines)


def _unit(code: str | None, name: str) -> str:
    return code if code else f"{name} (?)"
