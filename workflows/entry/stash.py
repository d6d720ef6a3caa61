"""Files chosen on the entry form, kept on the server under a token until the directive is saved.

A validation error, a proposal or a draft must not make the clerk choose the files again: the
form carries a token, and the files sit in `<upload folder>-drafts/<token>/` with a manifest
(their names, types, sizes and who uploaded them). Saving the directive turns them into its
attachments; stashes nobody claimed for `KEEP_DAYS` are removed when files are next stashed.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from workflows.attachments import MAX_FILES, Upload, check_upload
from workflows.db import Database
from workflows.errors import InvalidInput, NotFound, StorageUnavailable
from workflows.messages import N_
from workflows.organisation import people
from workflows.tables import DirectiveDraft

TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEY = re.compile(r"^[0-9a-f]{32}$")
KEEP_DAYS = 30


@dataclass(frozen=True)
class StashedFile:
    """A file waiting on the entry form: its key (to keep or drop it), name and size."""

    key: str
    filename: str
    content_type: str
    size_bytes: int


def stash_root(db: Database) -> Path:
    """The folder of every stash: beside the upload folder, never inside it."""
    uploads = db.settings.upload_dir
    return uploads.with_name(uploads.name + "-drafts")


def stash_files(db: Database, actor_id: int, token: str, uploads: list[Upload]) -> str:
    """Check and keep uploads under a token (a new one when empty); return the token."""
    with db.reading() as session:
        people.load_actor(session, actor_id)
    token = token if TOKEN.match(token or "") else uuid.uuid4().hex
    folder = stash_root(db) / token
    manifest = _manifest(folder, actor_id)
    if len(manifest["files"]) + len(uploads) > MAX_FILES:
        raise InvalidInput({"attachments": N_("at most %(count)s files at once", count=MAX_FILES)})
    checked = [(check_upload(u, db.settings.max_upload_bytes), u) for u in uploads]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for (name, content_type), upload in checked:
            key = uuid.uuid4().hex
            (folder / key).write_bytes(upload.data)
            manifest["files"].append(
                {"key": key, "filename": name, "type": content_type, "size": len(upload.data)}
            )
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    except OSError as exc:
        raise StorageUnavailable("io") from exc
    _sweep(db)
    return token


def stashed(db: Database, actor_id: int, token: str) -> list[StashedFile]:
    """List the files kept under a token (none for an unknown or someone else's token)."""
    if not TOKEN.match(token or ""):
        return []
    manifest = _manifest(stash_root(db) / token, actor_id)
    return [
        StashedFile(f["key"], f["filename"], f["type"], int(f["size"])) for f in manifest["files"]
    ]


def drop_stashed(db: Database, actor_id: int, token: str, keys: list[str]) -> None:
    """Remove some kept files from a stash."""
    if not TOKEN.match(token or ""):
        return
    folder = stash_root(db) / token
    manifest = _manifest(folder, actor_id)
    manifest["files"] = [f for f in manifest["files"] if f["key"] not in keys]
    for key in keys:
        if KEY.match(key):
            (folder / key).unlink(missing_ok=True)
    if folder.is_dir():
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def unstash(db: Database, actor_id: int, token: str) -> list[Upload]:
    """The kept files as uploads, to be saved with the directive."""
    folder = stash_root(db) / token
    found = []
    for item in stashed(db, actor_id, token):
        path = folder / item.key
        if not path.is_file():
            raise NotFound(N_("the file %(name)s is no longer on the server", name=item.filename))
        found.append(Upload(item.filename, path.read_bytes()))
    return found


def discard(db: Database, token: str) -> None:
    """Remove a stash and its files (once they are saved, or the draft is deleted)."""
    if TOKEN.match(token or ""):
        shutil.rmtree(stash_root(db) / token, ignore_errors=True)


def _manifest(folder: Path, actor_id: int) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        return {"owner": actor_id, "files": []}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"owner": actor_id, "files": []}
    if manifest.get("owner") != actor_id:
        raise NotFound(N_("these files were chosen by someone else"))
    return dict(manifest)


def _sweep(db: Database) -> None:
    """Remove stashes older than KEEP_DAYS that no draft holds."""
    root = stash_root(db)
    limit = time.time() - KEEP_DAYS * 86400
    old = [p for p in root.iterdir() if p.is_dir() and p.stat().st_mtime < limit]
    if not old:
        return
    with db.reading() as session:
        held = set(session.scalars(select(DirectiveDraft.token)))
    for folder in old:
        if folder.name not in held:
            shutil.rmtree(folder, ignore_errors=True)
