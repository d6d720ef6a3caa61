"""`dondoc import FILE [--json] [--org ORG.json]`: print the proposal read from a directive."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import IO, Any

import click
from babel.support import Translations

from web.config import load_config
from workflows import (
    Database,
    DomainError,
    Message,
    Proposal,
    ProposalSource,
    Upload,
    proposal_json,
    propose_from,
    propose_from_database,
    registry_from_org,
)

MAX_BYTES = 64 * 1024 * 1024  # the domain refuses anything over its own limit with a message
CATALOGUES = Path(__file__).resolve().parent / "translations"


class Refused(click.ClickException):
    """A refusal said in Vietnamese, like the rest of this command's output; exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Lỗi: {self.format_message()}", file=file or sys.stderr)


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the proposal as JSON.")
@click.option(
    "--org",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the units from this file (shaped like org.json) instead of the database.",
)
def import_command(path: Path, as_json: bool, org: Path | None) -> None:
    """Propose the tasks, units and deadlines of a directive (.docx, .pdf, .xlsx or .txt)."""
    source = ProposalSource(upload=Upload(path.name, _read(path)))
    try:
        proposal = _propose(source, org)
    except DomainError as exc:
        raise Refused(_explained(exc)) from exc
    if as_json:
        click.echo(json.dumps(proposal_json(proposal), ensure_ascii=False, indent=2))
    else:
        click.echo(readable(proposal))


def vietnamese(message: Message) -> str:
    """A message as the command's Vietnamese output says it (the web's own catalogue)."""
    catalogue = Translations.load(str(CATALOGUES), ["vi"], domain="messages")
    return str(catalogue.gettext(message.text)) % dict(message.params)


def _(text: str, **params: str) -> str:  # the gettext marker, so extraction finds these texts
    return vietnamese(Message(text, params))


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except FileNotFoundError as exc:
        raise Refused(_("%(name)s: there is no such file", name=str(path))) from exc
    except IsADirectoryError as exc:
        raise Refused(_("%(name)s is a folder, not a file", name=str(path))) from exc
    except OSError as exc:
        raise Refused(_("%(name)s cannot be read", name=str(path))) from exc


def _propose(source: ProposalSource, org: Path | None) -> Proposal:
    if org is not None:
        try:
            units = json.loads(_read(org).decode("utf-8"))
            registry = registry_from_org(units)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            message = _("%(name)s is not an organisation file", name=str(org))
            raise Refused(message) from exc
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
        return "; ".join(vietnamese(message) for message in fields.values())
    return vietnamese(exc.message)


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
