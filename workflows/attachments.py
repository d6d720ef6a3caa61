"""Attachments (minh chứng): checked by size, extension and content, stored under a random name."""

from __future__ import annotations

import errno
import hashlib
import logging
import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.access.permissions import may_see_directive
from workflows.db import Database
from workflows.errors import InvalidInput, NotFound, PermissionDenied, StorageUnavailable
from workflows.messages import N_
from workflows.organisation import people
from workflows.tables import Attachment, User

ZIP, OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ALLOWED = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (ZIP,)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (ZIP,)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (ZIP,)),
    ".odt": ("application/vnd.oasis.opendocument.text", (ZIP,)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (ZIP,)),
    ".doc": ("application/msword", (OLE,)),
    ".xls": ("application/vnd.ms-excel", (OLE,)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
}
PREVIEWABLE = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})
_UNSAFE = re.compile(r"[^\w\s.()\-]", re.UNICODE)
MAX_FILES = 10
DISK_FAILURES = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EFBIG: "full",
    errno.EROFS: "read_only",
    errno.EACCES: "read_only",
    errno.EPERM: "read_only",
}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    """A file as an entry point received it."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment as pages list it."""

    id: int
    filename: str
    size_bytes: int
    content_type: str
    uploaded_by: str
    uploaded_at: datetime
    report_id: int | None
    draft_id: int | None = None

    @property
    def previewable(self) -> bool:
        """PDF and images can be shown in the page (served inline)."""
        return self.content_type in PREVIEWABLE


def clean_filename(name: str) -> str:
    """Keep the base name, letters (Vietnamese included), digits and a few marks; 120 chars."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", "".join(ch for ch in base if ch.isprintable())).strip(" ._")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"\s+", " ", stem)[:100] or "tep"
    return f"{stem}.{ext.lower()[:10]}" if ext else stem


def check_upload(upload: Upload, max_bytes: int) -> tuple[str, str]:
    """Return the clean name and content type of an acceptable upload, or raise InvalidInput."""
    name = clean_filename(upload.filename)
    ext = Path(name).suffix.lower()
    if ext not in ALLOWED:
        raise InvalidInput(
            {"attachments": N_("%(name)s: PDF, Office documents or images only", name=name)}
        )
    if not upload.data:
        raise InvalidInput({"attachments": N_("%(name)s: the file is empty", name=name)})
    if len(upload.data) > max_bytes:
        limit = max_bytes // (1024 * 1024)
        raise InvalidInput(
            {"attachments": N_("%(name)s: larger than %(limit)s MB", name=name, limit=limit)}
        )
    content_type, signatures = ALLOWED[ext]
    if not any(upload.data.startswith(signature) for signature in signatures):
        raise InvalidInput(
            {
                "attachments": N_(
                    "%(name)s: the content is not a real %(ext)s file", name=name, ext=ext
                )
            }
        )
    return name, content_type


def store_uploads(
    session: Session,
    db: Database,
    uploads: Sequence[Upload],
    *,
    directive_id: int,
    report_id: int | None,
    actor: User,
    at: datetime,
    draft_id: int | None = None,
) -> list[Path]:
    """Check and write uploads; return the written paths so a failed transaction can remove them."""
    if len(uploads) > MAX_FILES:
        raise InvalidInput({"attachments": N_("at most %(count)s files at once", count=MAX_FILES)})
    checked = [(check_upload(u, db.settings.max_upload_bytes), u) for u in uploads]
    written = _write_files(db.settings.upload_dir, [upload.data for _, upload in checked])
    for ((name, content_type), upload), path in zip(checked, written, strict=True):
        session.add(
            Attachment(
                directive_id=directive_id,
                report_id=report_id,
                draft_id=draft_id,
                filename=name,
                stored_name=path.name,
                content_type=content_type,
                size_bytes=len(upload.data),
                sha256=hashlib.sha256(upload.data).hexdigest(),
                uploaded_by_id=actor.id,
                uploaded_at=at,
            )
        )
    return written


def _write_files(folder: Path, contents: Sequence[bytes]) -> list[Path]:
    """Write each file under a random name; on a disk error keep none of them."""
    written: list[Path] = []
    try:
        if contents:
            folder.mkdir(parents=True, exist_ok=True)
        for data in contents:
            written.append(folder / uuid.uuid4().hex)  # listed first: a half-written file goes too
            written[-1].write_bytes(data)
    except OSError as exc:  # a full, read-only or missing disk: the caller's transaction fails
        remove_files(written)
        log.warning("cannot store uploads in %s: %s", folder, exc)
        raise StorageUnavailable(DISK_FAILURES.get(exc.errno or 0, "io")) from exc
    return written


def remove_files(paths: Sequence[Path]) -> None:
    """Remove files written by a transaction that did not commit."""
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:  # never hide the failure that brought us here
            log.warning("cannot remove %s: %s", path, exc)


def attachments_of(session: Session, directive_id: int) -> list[AttachmentInfo]:
    """List a directive's attachments, oldest first."""
    rows = session.execute(
        select(Attachment, User.full_name)
        .join(User, User.id == Attachment.uploaded_by_id)
        .where(Attachment.directive_id == directive_id)
        .order_by(Attachment.id)
    ).all()
    return [
        AttachmentInfo(
            a.id,
            a.filename,
            a.size_bytes,
            a.content_type,
            name,
            a.uploaded_at,
            a.report_id,
            a.draft_id,
        )
        for a, name in rows
    ]


def reread(session: Session, db: Database, attachment_ids: Sequence[int]) -> list[Upload]:
    """Read stored attachments back as uploads, to carry them on to a new round."""
    found = []
    for attachment_id in attachment_ids:
        row = session.get(Attachment, attachment_id)
        if row is None:
            raise InvalidInput({"attachments": N_("no attachment %(id)s", id=attachment_id)})
        try:
            data = (db.settings.upload_dir / row.stored_name).read_bytes()
        except OSError as exc:
            raise InvalidInput(
                {"attachments": N_("%(name)s: the file is missing", name=row.filename)}
            ) from exc
        found.append(Upload(row.filename, data))
    return found


def open_attachment(db: Database, user_id: int, attachment_id: int) -> tuple[Path, str, str]:
    """Return (path, filename, content type) of an attachment the user may see."""
    with db.reading() as session:
        actor = people.load_actor(session, user_id)
        row = session.get(Attachment, attachment_id)
        if row is None:
            raise NotFound(N_("no attachment %(id)s", id=attachment_id))
        if not may_see_directive(session, actor, row.directive_id):
            raise PermissionDenied(N_("this file belongs to a directive not addressed to you"))
        path = db.settings.upload_dir / row.stored_name
        if not path.is_file():
            raise NotFound(N_("the file is missing from the upload folder"))
        return path, row.filename, row.content_type
