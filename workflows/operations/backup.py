"""Backups an operator can trust: the database, the attachments and the secret key, checksummed.

A backup is a new directory:

    manifest.json      format, created_at, app and schema versions, database kind, and the
                       SHA-256 and size of every other file; written last, so a directory
                       without it is an unfinished backup
    database.sqlite    (SQLite) or database.pgdump (PostgreSQL, pg_dump -Fc)
    uploads/<name>     the file of every attachment row of that database copy
    secret_key         the instance's generated key, when there is one

Attachment files are written before their row commits and never change afterwards, so copying
the files of the rows of a consistent database copy, after that copy, finds every one of them.
Restoring checks the manifest and every checksum before touching anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from engine import utcnow
from workflows.db import Database
from workflows.errors import BackupRefused
from workflows.operations import dumps
from workflows.setup import schema

FORMAT, FORMAT_VERSION = "dondoc-backup", 1
MANIFEST, UPLOADS, SECRET_KEY = "manifest.json", "uploads", "secret_key"
_STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # attachments are stored under uuid4 hex
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class InstanceFiles:
    """Where an instance keeps what lives outside its database."""

    upload_dir: Path
    secret_key_file: Path


@dataclass(frozen=True)
class BackupMade:
    """What a backup holds, as the command reports it."""

    path: Path
    database: str
    schema_revision: str
    attachments: int
    total_bytes: int
    missing: tuple[str, ...]  # attachment rows whose file was not in the upload folder
    altered: tuple[str, ...]  # files whose content no longer matches their row's SHA-256


@dataclass(frozen=True)
class Restored:
    """What a restore put back, and whether the schema must be upgraded next."""

    database: str
    schema_revision: str
    head_revision: str
    attachments: int

    @property
    def needs_upgrade(self) -> bool:
        """Tell whether `dondoc db upgrade` must run before the server starts."""
        return self.schema_revision != self.head_revision


def create_backup(
    db: Database, target: Path, files: InstanceFiles, now: datetime | None = None
) -> BackupMade:
    """Write a consistent backup of a (running) instance into a new directory `target`."""
    at = now or utcnow()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupRefused(f"{target} already exists and is not an empty directory")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.chmod(0o700)  # the backup holds every directive and the secret key
    try:
        return _write_backup(db, target, files, at)
    except BaseException:
        for path in target.iterdir():  # leave no half backup behind
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        raise


def _write_backup(db: Database, target: Path, files: InstanceFiles, at: datetime) -> BackupMade:
    kind = dumps.kind_of(db)
    snapshot = dumps.copy_database(db, target / dumps.file_name(kind))
    (target / dumps.file_name(kind)).chmod(0o600)
    if snapshot.revision is None:
        raise BackupRefused("the database is empty: there is nothing to back up")
    (target / UPLOADS).mkdir(mode=0o700)
    missing, altered = [], []
    for stored_name, sha256 in snapshot.attachments:
        source = files.upload_dir / _safe_name(stored_name)
        if not source.is_file():
            missing.append(stored_name)
            continue
        if _copy_file(source, target / UPLOADS / stored_name) != sha256:
            altered.append(stored_name)
    if files.secret_key_file.is_file():
        _copy_file(files.secret_key_file, target / SECRET_KEY)
        (target / SECRET_KEY).chmod(0o600)
    entries = _entries(target)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": at.isoformat(),
        "app_version": _app_version(),
        "schema_revision": snapshot.revision,
        "database": kind,
        "missing_uploads": missing,
        "files": entries,
    }
    _write_atomically(target / MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
    return BackupMade(
        target,
        kind,
        snapshot.revision,
        len(snapshot.attachments) - len(missing),
        sum(entry["size_bytes"] for entry in entries),
        tuple(missing),
        tuple(altered),
    )


def _safe_name(stored_name: str) -> str:
    if not _STORED_NAME.match(stored_name):
        raise BackupRefused(f"an attachment has an unexpected stored name: {stored_name!r}")
    return stored_name


def _copy_file(source: Path, target: Path) -> str:
    """Copy a file and return the SHA-256 of the bytes copied."""
    digest = hashlib.sha256()
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entries(root: Path) -> list[dict[str, Any]]:
    """The path, SHA-256 and size of every file under root, in a stable order."""
    return [
        {
            "path": path.relative_to(root).as_posix(),
            "sha256": _sha256(path),
            "size_bytes": path.stat().st_size,
        }
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]


def _write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _app_version() -> str:
    try:
        return metadata.version("dondoc")
    except metadata.PackageNotFoundError:
        return "unknown"


def verify_backup(source: Path) -> dict[str, Any]:
    """Check a backup's manifest and every file's size and SHA-256; return the manifest."""
    manifest = _read_manifest(source)
    for entry in manifest["files"]:
        path = source / _safe_path(entry.get("path"))
        if not path.is_file():
            raise BackupRefused(f"{source}: {entry['path']} is missing; nothing was restored")
        if path.stat().st_size != entry.get("size_bytes") or _sha256(path) != entry.get("sha256"):
            raise BackupRefused(
                f"{source}: {entry['path']} does not match its checksum; nothing was restored"
            )
    names = {entry["path"] for entry in manifest["files"]}
    if dumps.file_name(manifest["database"]) not in names:
        raise BackupRefused(f"{source}: the manifest lists no database copy; nothing was restored")
    return manifest


def _read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupRefused(f"{source} has no {MANIFEST}: not a (finished) backup") from exc
    except (OSError, ValueError) as exc:
        raise BackupRefused(f"{source}/{MANIFEST} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{source}/{MANIFEST} is not a Đôn đốc backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(
            f"{source}: backup format {manifest.get('format_version')} is not known to this "
            f"release (it reads format {FORMAT_VERSION})"
        )
    if manifest.get("database") not in ("sqlite", "postgresql"):
        raise BackupRefused(f"{source}: unknown database kind {manifest.get('database')!r}")
    if not isinstance(manifest.get("files"), list):
        raise BackupRefused(f"{source}/{MANIFEST} lists no files")
    return manifest


def _safe_path(value: Any) -> str:
    """A manifest path must name a file of the backup: no absolute path, no way out."""
    text = str(value)
    parts = text.split("/")
    top_level = len(parts) == 1 and parts[0] in (dumps.SQLITE_FILE, dumps.PG_FILE, SECRET_KEY)
    upload = len(parts) == 2 and parts[0] == UPLOADS and bool(_STORED_NAME.match(parts[1]))
    if not (top_level or upload):
        raise BackupRefused(f"the manifest names an unexpected file: {text!r}")
    return text


def restore_backup(
    db: Database, source: Path, files: InstanceFiles, force: bool = False
) -> Restored:
    """Verify a backup, then put its database, attachments and secret key in place."""
    manifest = verify_backup(source)
    revision = str(manifest.get("schema_revision"))
    if revision not in schema.revisions():
        raise BackupRefused(
            f"{source} was made at schema revision {revision}, newer than this release "
            f"(its newest is {schema.head_schema_revision()}); nothing was restored"
        )
    kind = dumps.kind_of(db)
    if manifest["database"] != kind:
        raise BackupRefused(
            f"{source} holds a {manifest['database']} database and this instance uses {kind}; "
            "nothing was restored"
        )
    if not force:
        _refuse_to_overwrite(db, files)
    dumps.put_back(db, source / dumps.file_name(kind))
    uploads = _put_uploads(source, manifest, files.upload_dir)
    if (source / SECRET_KEY).is_file():
        files.secret_key_file.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(files.secret_key_file, (source / SECRET_KEY).read_bytes())
    return Restored(kind, revision, schema.head_schema_revision(), uploads)


def _refuse_to_overwrite(db: Database, files: InstanceFiles) -> None:
    if not dumps.is_empty(db):
        raise BackupRefused(
            "the database is not empty; restore with --force to replace it (stop the server "
            "first); nothing was restored"
        )
    if files.upload_dir.is_dir() and any(files.upload_dir.iterdir()):
        raise BackupRefused(
            f"the upload folder {files.upload_dir} is not empty; restore with --force to "
            "overwrite its files; nothing was restored"
        )


def _put_uploads(source: Path, manifest: dict[str, Any], upload_dir: Path) -> int:
    upload_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for entry in manifest["files"]:
        path = str(entry["path"])
        if path.startswith(f"{UPLOADS}/"):
            name = path.split("/", 1)[1]
            partial = upload_dir / f".{name}.restoring"
            _copy_file(source / path, partial)
            os.replace(partial, upload_dir / name)
            count += 1
    return count
