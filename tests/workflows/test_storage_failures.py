"""Outages are classified in one place (Database.command / reading) as StorageUnavailable,
real conflicts and bugs are not; an upload whose write fails leaves no file behind."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.exc import IntegrityError

from tests.helpers import item_of, snapshot
from workflows.db import Database
from workflows.errors import StorageUnavailable
from workflows.setup import schema
from workflows.tables import Unit

ROOT = Path(__file__).resolve().parents[2]


def _rename_unit(db: Database, code: str) -> None:
    db.command(
        lambda s: s.execute(update(Unit).where(Unit.code == code).values(name="Văn phòng Sở"))
    )


def test_a_constraint_violation_stays_what_it_is(db: Database) -> None:
    """Only outages become 503: a bug or a duplicate must not pass for one."""

    def duplicate(session) -> None:
        first = session.scalar(select(Unit).limit(1))
        session.add(Unit(code=first.code, name="Trùng mã"))

    with pytest.raises(IntegrityError):
        db.command(duplicate)


def test_an_unreachable_postgresql_is_unavailable_for_reads_and_writes() -> None:
    db = Database("postgresql+psycopg://dondoc@127.0.0.1:1/dondoc?connect_timeout=2")
    try:
        with pytest.raises(StorageUnavailable) as written:
            _rename_unit(db, "VP")
        assert written.value.reason == "unreachable"
        with pytest.raises(StorageUnavailable) as read, db.reading() as session:
            session.scalar(select(Unit.id))
        assert read.value.reason == "unreachable"
        assert str(read.value) == "the system cannot load this right now; try again later"
    finally:
        db.dispose()


@pytest.mark.pg
def test_a_read_only_postgresql_database_is_unavailable(pg_url: str) -> None:
    setup = Database(pg_url)
    schema.upgrade_schema(setup)
    setup.command(lambda s: s.add(Unit(code="VP", name="Văn phòng")))
    setup.dispose()
    name = pg_url.rsplit("/", 1)[1]
    admin = create_engine(pg_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    admin.dispose()
    db = Database(pg_url)
    try:
        with pytest.raises(StorageUnavailable) as caught:
            _rename_unit(db, "VP")
        assert caught.value.reason == "read_only"
    finally:
        db.dispose()


@pytest.mark.pg
def test_a_postgresql_row_locked_beyond_the_lock_timeout_is_unavailable(pg_url: str) -> None:
    setup = Database(pg_url)
    schema.upgrade_schema(setup)
    setup.command(lambda s: s.add(Unit(code="VP", name="Văn phòng")))
    setup.dispose()
    holder = create_engine(pg_url)
    db = Database(pg_url + "?options=-c%20lock_timeout%3D200")
    try:
        with holder.connect() as connection:
            connection.execute(update(Unit).where(Unit.code == "VP").values(name="giữ khóa"))
            with pytest.raises(StorageUnavailable) as caught:
                _rename_unit(db, "VP")  # without the classification: retried, then 409
            connection.rollback()
        assert caught.value.reason == "locked"
    finally:
        db.dispose()
        holder.dispose()


# --- uploads whose write fails -------------------------------------------------------------

# A real write failure on the second file: the process may not write files over `limit` bytes
# (RLIMIT_FSIZE; with SIGXFSZ ignored, the write fails with EFBIG), so the small first file is
# written and the large second one fails half-way, as on a disk that fills up mid-upload.
UPLOAD_SCRIPT = textwrap.dedent(
    """
    import resource, signal, sys
    from datetime import date
    from pathlib import Path
    from tests.workflows.conftest import small_directive
    from workflows import directives
    from workflows.steps import unit_work as steps
    from workflows.attachments import Upload
    from workflows.db import Database
    from workflows.errors import StorageUnavailable
    from workflows.settings import Settings

    url, upload_dir, use_case, actor, item = sys.argv[1:6]
    db = Database(url, Settings(upload_dir=Path(upload_dir)))
    pdf = b"%PDF-1.4\\n%%EOF\\n"
    uploads = [Upload("nho.pdf", pdf), Upload("lon.pdf", pdf + b"0" * 200_000)]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, resource.RLIM_INFINITY))
    try:
        if use_case == "report":
            steps.submit_report(db, int(actor), item, "Đã xong", uploads=uploads)
        else:
            data = small_directive(date.today(), number="77/TB-SKHCN")
            directives.create_directive(db, int(actor), data, uploads=uploads)
    except StorageUnavailable as exc:
        print("unavailable", exc.reason)
    except OSError as exc:
        print("raw", exc)
    """
)


def _upload_in_a_limited_process(
    db: Database, upload_dir: Path, use_case: str, actor: int, item: str = ""
) -> str:
    run = subprocess.run(
        [sys.executable, "-c", UPLOAD_SCRIPT, db.url, str(upload_dir), use_case, str(actor), item],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.strip()


def test_a_report_whose_second_file_fails_leaves_no_file(
    db: Database, users, upload_dir: Path, assigned_small
) -> None:
    from workflows.steps import unit_work as steps

    steps.start_work(db, users["cv.khtc"], item_of(db, users["cv.khtc"], "execute", 1).work_item_id)
    report = item_of(db, users["truong.khtc"], "report", task_no=1).work_item_id
    upload_dir.mkdir(parents=True, exist_ok=True)
    before = snapshot(db)
    said = _upload_in_a_limited_process(db, upload_dir, "report", users["truong.khtc"], report)
    assert sorted(upload_dir.iterdir()) == []  # neither the first file nor half the second
    assert said == "unavailable full"
    assert snapshot(db) == before


def test_a_directive_whose_second_file_fails_leaves_no_file(
    db: Database, users, upload_dir: Path
) -> None:
    upload_dir.mkdir(parents=True, exist_ok=True)
    before = snapshot(db)
    said = _upload_in_a_limited_process(db, upload_dir, "directive", users["vanthu"])
    assert sorted(upload_dir.iterdir()) == []  # neither the first file nor half the second
    assert said == "unavailable full"
    assert snapshot(db) == before
