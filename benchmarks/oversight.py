"""Oversight benchmark: the dashboard, statistics, reports and the directive list on a big database.

Loads 15,000 directives with 100,000 assignments spread over two years (deadlines 2 weeks to
4 months after issue, a tenth without one; three quarters of what fell due completed, some
late; 5 % extended; a few directives cancelled or suspended), with their due items and reports,
by bulk inserts beside the demo department (the `grow_to` idea of benchmarks/deadlines.py: the
rows are real, the process state is not loaded by any of these pages). Then times each page
through the Flask test client, signed in as the director: p50 and p95 of 20 requests after 2
warm-ups (counting answers kept, as between two changes), and of 5 requests with every kept
answer dropped first (cold, as right after a step); the Excel report for a year, cold, 5 runs.

Run: `python benchmarks/oversight.py [--quick] [--postgresql]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.deadlines import percentile  # noqa: E402
from tests.web.helpers import sign_in  # noqa: E402
from web.app import create_app  # noqa: E402
from workflows.db import Database  # noqa: E402
from workflows.organisation import accounts  # noqa: E402
from workflows.read import memo  # noqa: E402
from workflows.rules.folding import directive_search_text  # noqa: E402
from workflows.setup import demo, schema  # noqa: E402
from workflows.tables import (  # noqa: E402
    Assignment,
    Directive,
    DueChange,
    DueItem,
    Report,
    Task,
    Unit,
    User,
)

ISSUERS = (
    "UBND tỉnh Lạng Sơn",
    "Sở Khoa học và Công nghệ",
    "Bộ Khoa học và Công nghệ",
    "Văn phòng UBND tỉnh",
    "Tỉnh ủy Lạng Sơn",
)
WORDS = (
    "kiểm tra đo lường",
    "chuyển đổi số",
    "đề tài khoa học",
    "sở hữu trí tuệ",
    "tiêu chuẩn chất lượng",
    "an toàn bức xạ",
    "ứng dụng công nghệ",
    "dự toán kinh phí",
)
START = date(2025, 1, 1)


def load(db: Database, directives: int, seed: int = 11) -> int:
    """Bulk-load the directives, tasks, assignments, due items and reports; return assignments."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with db.reading() as session:
        units = list(
            session.execute(
                select(Unit.id, Unit.code, Unit.name).where(
                    Unit.parent_id.is_not(None), Unit.code != "BGD"
                )
            )
        )
        clerk = session.scalar(select(User.id).where(User.username == "vanthu"))
        head = session.scalar(select(User.id).where(User.username == "truong.khtc"))
    rows: dict[str, list[dict]] = {k: [] for k in ("d", "t", "a", "i", "r", "c")}
    ids = {"d": 1000, "t": 1000, "a": 1000, "i": 1000}
    for serial in range(directives):
        _one_directive(rng, serial, units, clerk, head, now, rows, ids)

    def run(session) -> None:
        for key, table in (
            ("d", Directive),
            ("t", Task),
            ("a", Assignment),
            ("i", DueItem),
            ("r", Report),
            ("c", DueChange),
        ):
            for start in range(0, len(rows[key]), 5000):
                session.execute(insert(table), rows[key][start : start + 5000])

    db.command(run)
    return len(rows["a"])


def _one_directive(rng, serial, units, clerk, head, now, rows, ids) -> None:
    issued = START + timedelta(days=rng.randrange(700))
    issued_at = datetime(issued.year, issued.month, issued.day, 2, tzinfo=UTC)
    ids["d"] += 1
    d_id, words = ids["d"], rng.choice(WORDS)
    status = rng.choices(("in_progress", "cancelled", "suspended"), (97, 2, 1))[0]
    issuer = rng.choice(ISSUERS)
    number = f"{serial + 1}/KH-{rng.choice(('UBND', 'SKHCN', 'BKHCN'))}"
    rows["d"].append(
        {
            "id": d_id,
            "number": number,
            "issued_year": issued.year,
            "kind": "ke_hoach",
            "issuer": issuer,
            "issued_on": issued,
            "title": f"Kế hoạch {words} năm {issued.year}",
            "body": "",
            "status": status,
            "created_by_id": clerk,
            "created_at": issued_at,
            "assigned_at": issued_at,
            "cancelled_at": issued_at + timedelta(days=30) if status == "cancelled" else None,
            "cancel_reason": "",
            "search_text": "",  # written below, once the tasks and units are known
        }
    )
    for number_in in range(1, rng.randint(3, 6) + 1):
        ids["t"] += 1
        due_on = None if rng.random() < 0.1 else issued + timedelta(days=rng.randint(14, 120))
        rows["t"].append(
            {
                "id": ids["t"],
                "directive_id": d_id,
                "number": number_in,
                "content": f"Nhiệm vụ {number_in}: {rng.choice(WORDS)}",
                "due_on": due_on,
                "reporting": "once",
            }
        )
        picked = rng.sample(units, 3)
        leads = picked[:2] if rng.random() < 0.1 else picked[:1]
        coordinating = [picked[2]] if rng.random() < 0.4 else []
        for unit, role in [(u, "lead") for u in leads] + [
            (u, "coordinating") for u in coordinating
        ]:
            meta = {
                "issued_on": issued,
                "issuer": issuer,
                "held": status == "suspended",
                "cancelled_at": rows["d"][-1]["cancelled_at"],
            }
            _one_assignment(
                rng, d_id, ids, unit, role, leads[0][1], due_on, issued_at, head, now, rows, meta
            )
    directive = rows["d"][-1]
    tasks = [t["content"] for t in _own(rows["t"], d_id)]
    names = list(dict.fromkeys(a["unit_name"] for a in _own(rows["a"], d_id)))
    directive["search_text"] = directive_search_text(  # as production writes it
        number, directive["title"], issuer, directive["body"], tasks, names
    )


def _own(rows: list[dict], d_id: int) -> list[dict]:
    """The rows of the directive just made: they are the last ones, so read from the end."""
    own = []
    for row in reversed(rows):
        if row["directive_id"] != d_id:
            break
        own.append(row)
    return own[::-1]


def _one_assignment(
    rng, d_id, ids, unit, role, lead, due_on, issued_at, head, now, rows, meta
) -> None:
    ids["a"] += 1
    due = datetime(due_on.year, due_on.month, due_on.day, 17, tzinfo=UTC) if due_on else None
    extended = due + timedelta(days=rng.randint(7, 40)) if due and rng.random() < 0.05 else None
    final = extended or due
    done = None
    if final is not None and final < now and rng.random() < 0.75:
        done = final - timedelta(days=rng.randint(-20, 10))
    elif rng.random() < 0.3:
        done = issued_at + timedelta(days=rng.randint(3, 60))
    if done is not None and done >= now:
        done = None
    unit_id, code, name = unit
    rows["a"].append(
        {
            "id": ids["a"],
            "task_id": ids["t"],
            "directive_id": d_id,
            "unit_id": unit_id,
            "unit_code": code,
            "unit_name": name,
            "role": role,
            "lead_unit_code": lead,
            "state": "accepted" if done else rng.choice(("assigned", "in_progress", "reported")),
            "due_at": final,
            "original_due_at": due,
            "attempt": 1,
            "cycle": 0,
            "cycles": [],
            "completed_at": done,
            "accepted_at": done + timedelta(days=1) if done else None,
        }
    )
    ids["i"] += 1
    rows["i"].append(
        {
            "id": ids["i"],
            "assignment_id": ids["a"],
            "cycle": 0,
            "directive_id": d_id,
            "task_id": ids["t"],
            "unit_id": unit_id,
            "role": role,
            "assigned_at": issued_at,
            "original_due_at": due,
            "due_at": final,
            "due_changed_at": due - timedelta(days=3) if extended else None,
            "completed_at": done,
            "accepted_at": done + timedelta(days=1) if done else None,
            **meta,
        }
    )
    if extended:
        rows["c"].append({"item_id": ids["i"], "at": due - timedelta(days=3), "due_at": extended})
    if done:
        rows["r"].append(
            {
                "assignment_id": ids["a"],
                "kind": "report" if role == "lead" else "contribution",
                "attempt": 1,
                "cycle": 0,
                "text": "Đã hoàn thành, có biên bản kèm theo.",
                "submitted_by_id": head,
                "submitted_at": done,
                "decision": "accepted",
                "decided_by_id": head,
                "decided_at": done + timedelta(days=1),
                "comment": "",
            }
        )


def timings(client, path: str, runs: int, cold: bool = False) -> list[float]:
    for _ in range(2):
        assert client.get(path).status_code == 200, path
    found = []
    for _ in range(runs):
        if cold:  # every counting answer computed afresh, as after any step
            memo.forget(client.application.extensions["dondoc.db"])
        started = time.perf_counter()
        response = client.get(path)
        found.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    return found


PAGES = (
    ("dashboard (this month)", "/dashboard"),
    ("dashboard (a year)", "/dashboard?period=year&on=2026-06-01"),
    ("API statistics by unit, a year", "/api/v1/statistics?by=unit&from=2026-01-01&to=2026-12-31"),
    (
        "API statistics by issuer, a year",
        "/api/v1/statistics?by=issuer&from=2026-01-01&to=2026-12-31",
    ),
    (
        "API statistics by leader, a year",
        "/api/v1/statistics?by=leader&from=2026-01-01&to=2026-12-31",
    ),
    ("directive list", "/directives/"),
    ("list: status", "/directives/?status=in_progress"),
    ("list: unit", "/directives/?unit=QLKH"),
    (
        "list: issuer",
        "/directives/?issuer=S%E1%BB%9F+Khoa+h%E1%BB%8Dc+v%C3%A0+C%C3%B4ng+ngh%E1%BB%87",
    ),
    ("list: issued from/to", "/directives/?from=2026-01-01&to=2026-03-31"),
    ("list: overdue only", "/directives/?overdue=1"),
    ("list: search 'đo lường'", "/directives/?q=%C4%91o+l%C6%B0%E1%BB%9Dng"),
    ("task list: overdue", "/tasks?category=open_overdue&period=year&on=2026-06-01"),
)


def measure(url: str, directives: int, runs: int) -> None:
    db = Database(url)
    schema.upgrade_schema(db)
    demo.install_process_model(db)
    demo.install_demo(db)
    started = time.perf_counter()
    assignments = load(db, directives)
    with db.reading() as session:
        items = session.scalar(select(func.count()).select_from(DueItem))
    print(
        f"{url.split(':')[0]}: {directives} directives, {assignments} assignments, {items} due"
        f" items loaded in {time.perf_counter() - started:.0f} s"
    )
    password = accounts.reset_password(db, "giamdoc")
    db.dispose()
    app = create_app(
        environ={
            "DONDOC_DATABASE_URL": url,
            "DONDOC_SECRET_KEY": "bench",
            "DONDOC_RATE_LIMITS": "0",
            "DONDOC_INSTANCE_DIR": tempfile.mkdtemp(),
        }
    )
    client = app.test_client()
    sign_in(client, "giamdoc", password)
    print(f"  {'page':40} {'p50 ms':>8} {'p95 ms':>8} {'cold p50':>9} {'cold p95':>9}")
    for name, path in PAGES:
        warm, cold = timings(client, path, runs), timings(client, path, max(runs // 4, 3), True)
        print(
            f"  {name:40} {statistics.median(warm):8.1f} {percentile(warm, 0.95):8.1f}"
            f" {statistics.median(cold):9.1f} {percentile(cold, 0.95):9.1f}"
        )
    report = []
    for _ in range(5):
        memo.forget(app.extensions["dondoc.db"])
        started = time.perf_counter()
        response = client.get("/reports/tasks.xlsx?period=year&on=2026-06-01")
        report.append(time.perf_counter() - started)
        assert response.status_code == 200
    print(
        f"  Excel report for a year: median {statistics.median(report):.2f} s,"
        f" max {max(report):.2f} s ({len(response.data) // 1024} kB)"
    )
    app.extensions["dondoc.db"].dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,500 directives, 5 runs")
    parser.add_argument("--postgresql", action="store_true", help="also on a throwaway server")
    options = parser.parse_args(argv)
    directives, runs = (1_500, 5) if options.quick else (15_000, 20)
    with tempfile.TemporaryDirectory() as folder:
        measure(f"sqlite:///{Path(folder) / 'oversight.db'}", directives, runs)
        if options.postgresql:
            from tests.support.postgres import start_postgres

            server = start_postgres(Path(tempfile.gettempdir()))
            try:
                measure(server.create_database("oversight"), directives, runs)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
