"""What `dondoc backup` writes, and every case where `dondoc restore` must refuse.

Each refusal is checked to leave the target as it was. The commands run as real processes on
real SQLite files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.fixtures.upgrade.rows import fixture_of, load_rows
from tests.web.test_backup_restore import Instance, sqlite_instance
from workflows import directives
from workflows.attachments import Upload
from workflows.entry import DirectiveInput, TaskInput
from workflows.errors import BackupRefused
from workflows.operations import dumps
from workflows.setup import schema
from workflows.steps import unit_work as steps


def _dump(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as connection:
        return list(connection.iterdump())


def _item(instance: Instance, form: str, directive_id: int) -> str:
    db = instance.open()
    try:
        with db.engine.connect() as connection:
            query = sa.text(
                "SELECT work_item.id FROM work_item JOIN directive"
                " ON directive.process_instance_id = work_item.instance_id"
                " WHERE work_item.form = :form AND directive.id = :directive"
            )
            found = connection.execute(query, {"form": form, "directive": directive_id})
            return str(found.scalar_one())
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def made_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Instance, Path]:
    """An instance with the demo, a directive and a report with two attachments; its backup."""
    folder = tmp_path_factory.mktemp("made-once")
    instance = _populated(folder / "source")
    made = instance.run("backup", str(folder / "backup"))
    assert made.returncode == 0, made.stderr
    return instance, folder / "backup"


@pytest.fixture
def source(made_once: tuple[Instance, Path], tmp_path: Path) -> Instance:
    """This test's own copy of the populated instance."""
    shutil.copytree(made_once[0].folder, tmp_path / "source")
    return sqlite_instance(tmp_path / "source")


@pytest.fixture
def backup(made_once: tuple[Instance, Path], tmp_path: Path) -> Path:
    """This test's own copy of the backup of the populated instance."""
    return Path(shutil.copytree(made_once[1], tmp_path / "backup"))


def _populated(folder: Path) -> Instance:
    instance = sqlite_instance(folder)
    assert instance.run("init", "--demo").returncode == 0
    db = instance.open()
    try:
        with db.engine.connect() as connection:
            users = dict(connection.execute(sa.text("SELECT username, id FROM app_user")).all())
        task = TaskInput("Rà soát", ("TTR",), (), date.today() + timedelta(days=9))
        data = DirectiveInput(
            "5/TB-X", "thong_bao_ket_luan", "Sở", date.today(), "Kết luận", (task,)
        )
        directive_id = directives.create_directive(db, users["vanthu"], data)
        directives.assign_directive(db, users["giamdoc"], _item(instance, "assign", directive_id))
        steps.start_work(db, users["truong.ttr"], _item(instance, "execute", directive_id))
        files = [Upload(f"bien-ban-{n}.pdf", b"%PDF-1.4\n" + bytes([n]) * 3000) for n in (1, 2)]
        report = _item(instance, "report", directive_id)
        steps.submit_report(db, users["truong.ttr"], report, "Xong", uploads=files)
    finally:
        db.dispose()
    return instance


def test_a_backup_lists_every_file_with_its_checksum(source: Instance, backup: Path) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["format"] == "dondoc-backup"
    assert manifest["format_version"] == 1
    assert manifest["schema_revision"] == schema.head_schema_revision()
    assert manifest["database"] == "sqlite"
    assert manifest["app_version"] == "0.1.0"
    assert manifest["created_at"].endswith("+00:00")
    on_disk = sorted(p.relative_to(backup).as_posix() for p in backup.rglob("*") if p.is_file())
    assert sorted([entry["path"] for entry in manifest["files"]] + ["manifest.json"]) == on_disk
    for entry in manifest["files"]:
        content = (backup / entry["path"]).read_bytes()
        assert (hashlib.sha256(content).hexdigest(), len(content)) == (
            entry["sha256"],
            entry["size_bytes"],
        )
    uploads = [p for p in on_disk if p.startswith("uploads/")]
    assert len(uploads) == 2
    assert (backup / "secret_key").read_bytes() == (source.folder / "secret_key").read_bytes()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700


def test_backup_refuses_a_directory_that_is_not_empty(source: Instance, tmp_path: Path) -> None:
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    result = source.run("backup", str(target))
    assert result.returncode == 1
    assert "is not an empty directory" in result.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _tamper(backup: Path, how: str) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    upload = next(e["path"] for e in manifest["files"] if e["path"].startswith("uploads/"))
    if how == "upload changed":
        _flip_a_byte(backup / upload)
    elif how == "database changed":
        _flip_a_byte(backup / "database.sqlite")
    elif how == "upload removed":
        (backup / upload).unlink()
    elif how == "upload grown":
        with (backup / upload).open("ab") as handle:
            handle.write(b"\0")
    elif how == "no manifest":
        (backup / "manifest.json").unlink()
    else:  # a manifest naming a file outside the backup
        manifest["files"][0]["path"] = "../../etc/passwd"
        (backup / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("upload changed", "does not match its checksum"),
        ("database changed", "database.sqlite does not match its checksum"),
        ("upload removed", "is missing"),
        ("upload grown", "does not match its checksum"),
        ("no manifest", "has no manifest.json"),
        ("path outside", "unexpected file"),
    ],
)
def test_a_damaged_backup_is_refused_before_anything_is_touched(
    backup: Path, tmp_path: Path, how: str, says: str
) -> None:
    _tamper(backup, how)
    target = sqlite_instance(tmp_path / "target")
    result = target.run("restore", str(backup))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert says in result.stderr
    assert not (target.folder / "dondoc.db").exists()
    assert not (target.folder / "uploads").exists()


def test_restore_does_not_overwrite_a_database_without_force(
    source: Instance, backup: Path, tmp_path: Path
) -> None:
    target = sqlite_instance(tmp_path / "target")
    assert target.run("init").returncode == 0
    before = _dump(target.folder / "dondoc.db")
    refused = target.run("restore", str(backup))
    assert refused.returncode == 1
    assert "the database is not empty; restore with --force" in refused.stderr
    assert _dump(target.folder / "dondoc.db") == before
    forced = target.run("restore", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr
    assert _dump(target.folder / "dondoc.db") == _dump(source.folder / "dondoc.db")
    for path in (source.folder / "uploads").iterdir():
        assert (target.folder / "uploads" / path.name).read_bytes() == path.read_bytes()


def test_restore_does_not_overwrite_uploads_without_force(backup: Path, tmp_path: Path) -> None:
    target = sqlite_instance(tmp_path / "target")
    (target.folder / "uploads").mkdir(parents=True)
    (target.folder / "uploads" / "someone-elses-file").write_bytes(b"x")
    refused = target.run("restore", str(backup))
    assert refused.returncode == 1
    assert "the upload folder" in refused.stderr
    assert not (target.folder / "dondoc.db").exists()
    assert [p.name for p in (target.folder / "uploads").iterdir()] == ["someone-elses-file"]


def test_a_backup_newer_than_this_release_is_refused(source: Instance, tmp_path: Path) -> None:
    with closing(sqlite3.connect(source.folder / "dondoc.db")) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00d'")
    made = source.run("backup", str(tmp_path / "newer"))
    assert made.returncode == 0, made.stderr  # a newer release's data can still be backed up
    target = sqlite_instance(tmp_path / "target")
    result = target.run("restore", str(tmp_path / "newer"))
    assert result.returncode == 1
    assert "made at schema revision f00d, newer than this release" in result.stderr
    assert not (target.folder / "dondoc.db").exists()


def test_an_older_backup_is_restored_then_upgraded(tmp_path: Path) -> None:
    old = sqlite_instance(tmp_path / "old")
    old.folder.mkdir()
    db = old.open()
    schema.upgrade_schema(db, "0005")
    load_rows(db, fixture_of("0005"), old.folder / "uploads")
    db.dispose()
    assert old.run("backup", str(tmp_path / "backup")).returncode == 0
    target = sqlite_instance(tmp_path / "target")
    restored = target.run("restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    assert "revision 0005" in restored.stdout
    assert (
        f"now run `dondoc db upgrade` to bring it to {schema.head_schema_revision()}"
        in restored.stdout
    )
    assert target.run("scheduler").returncode == 1  # refuses the old schema
    upgraded = target.run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    db = target.open()
    try:
        assert schema.check_schema(db) == schema.head_schema_revision()
    finally:
        db.dispose()
    names = {p.name for p in (target.folder / "uploads").iterdir()}
    assert names == set(fixture_of("0005")["files"])


def test_a_missing_postgresql_tool_is_named() -> None:
    with pytest.raises(BackupRefused, match="pg_nonexistent was not found .* or on PATH"):
        dumps.find_pg_tool("pg_nonexistent")
