"""The fixed data set of the oversight tests, made through the real use cases at set times.

All in 2025 (Asia/Ho_Chi_Minh). Lead units, deadlines and what happened:

A 01/KH-UBND, UBND tỉnh Lạng Sơn, issued 06/01
  A1 KHTC (coord. VP) due 28/02: VP contributes 10/02 (ack. 11/02); KHTC reports 20/02, ok 21/02
  A2 TTR + CCTDC (joint) due 14/03: TTR reports 10/03, ok 11/03; CCTDC reports 20/03, ok 21/03
  A3 VP, no deadline: open
  A4 QLKH due 31/03: reports 25/03, returned 26/03; reports 02/04, ok 03/04
  A5 TTUD due 20/02: reports 25/02, ok 26/02
  A6 QLCN due 10/03: reports 05/03, ok 06/03
B 15/CT-UBND, UBND tỉnh Lạng Sơn, issued 10/02
  B1 QLCN due 20/03: asks 15/03, extended 16/03 to 15/04; reports 10/04, ok 11/04
  B2 TTUD due 05/03: nothing
  B3 KHTC due 10/04: reports 28/03, ok 29/03
C 20/TB-SKHCN, Sở Khoa học và Công nghệ, issued 03/03
  C1 TTR (coord. QLKH) due 31/03: QLKH contributes 20/03 (ack. by TTR 21/03); TTR nothing
  C2 CCTDC due 30/06: reports 30/06, ok 01/07
  C3 QLCN, no deadline: open
  C4 VP, monthly reports to 31/05 (due 17/03, 15/04, 15/05): 1st reported 12/03 ok 13/03;
     2nd reported 20/04 ok 21/04; 3rd nothing
D 30/KH-SKHCN, issued 20/01: D1 KHTC due 15/02; cancelled 01/02
E 31/KH-SKHCN, issued 03/02: E1 TTR due 10/03; suspended 01/03
F 40/KH-UBND, UBND tỉnh Lạng Sơn, issued 08/01: F1 QLKH due 20/03: nothing; cancelled 20/04

Leaders in charge: giamdoc of KHTC, TTR, CCTDC; phogiamdoc of QLKH, TTUD; none for VP, QLCN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.helpers import items_for
from workflows import directives, extensions
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.organisation import units
from workflows.steps import unit_work
from workflows.tables import Assignment, Task, Unit

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UBND = "UBND tỉnh Lạng Sơn"
SO = "Sở Khoa học và Công nghệ"


def at(day: str, hour: int = 10) -> datetime:
    """A local instant of 2025 ("MM-DD")."""
    return datetime.combine(date.fromisoformat(f"2025-{day}"), time(hour), tzinfo=TZ)


def d(day: str) -> date:
    return date.fromisoformat(f"2025-{day}")


@dataclass
class World:
    """Ids of the data set: directives by letter."""

    db: Database
    users: dict[str, int]
    ids: dict[str, int]

    def head(self, unit: str) -> int:
        return self.users[f"truong.{unit.lower()}"]

    def item(self, user: int, step: str, letter: str, task_no: int) -> str:
        found = [
            i
            for i in items_for(self.db, user, step)
            if i.directive_id == self.ids[letter] and i.task_no == task_no
        ]
        assert len(found) == 1, (step, letter, task_no, found)
        return found[0].work_item_id

    def enter(self, letter: str, number: str, issuer: str, issued: str, tasks: list[TaskInput]):
        data = DirectiveInput(
            number, "ke_hoach", issuer, d(issued), f"Văn bản {letter}", tuple(tasks)
        )
        self.ids[letter] = directives.create_directive(
            self.db, self.users["vanthu"], data, now=at(issued, 8)
        )
        assign = [i for i in items_for(self.db, self.users["giamdoc"], "assign")]
        item = next(i for i in assign if i.directive_id == self.ids[letter])
        directives.assign_directive(
            self.db, self.users["giamdoc"], item.work_item_id, now=at(issued, 9)
        )

    def report(
        self, letter: str, no: int, unit: str, day: str, accept: str | None = None, start=True
    ) -> None:
        head = self.head(unit)
        if start:  # a later reporting period opens at its report step
            item = self.item(head, "execute", letter, no)
            unit_work.start_work(self.db, head, item, now=at(day, 8))
        item = self.item(head, "report", letter, no)
        unit_work.submit_report(self.db, head, item, f"Kết quả {letter}{no}", now=at(day))
        if accept:
            self.decide(letter, no, accept, True)

    def decide(self, letter: str, no: int, day: str, accept: bool) -> None:
        boss = self.users["giamdoc"]
        item = self.item(boss, "accept", letter, no)
        if accept:
            unit_work.accept_report(self.db, boss, item, "Đạt", now=at(day))
        else:
            unit_work.return_report(self.db, boss, item, "Bổ sung số liệu", now=at(day))

    def contribute(self, letter: str, no: int, unit: str, lead: str, day: str, ack: str) -> None:
        head = self.head(unit)
        unit_work.start_work(self.db, head, self.item(head, "execute", letter, no), now=at(day, 8))
        item = self.item(head, "contribute", letter, no)
        unit_work.submit_contribution(self.db, head, item, "Ý kiến phối hợp", now=at(day))
        lead_head = self.head(lead)
        item = self.item(lead_head, "acknowledge", letter, no)
        unit_work.acknowledge_contribution(self.db, lead_head, item, True, now=at(ack))

    def assignment(self, letter: str, no: int, unit: str) -> int:
        with self.db.reading() as session:
            return session.scalar(
                select(Assignment.id)
                .join(Task, Task.id == Assignment.task_id)
                .where(
                    Assignment.directive_id == self.ids[letter],
                    Task.number == no,
                    Assignment.unit_code == unit,
                )
            )

    def extend(self, letter: str, no: int, unit: str, asked: str, granted: str, to: str) -> None:
        request = extensions.request_extension(
            self.db,
            self.head(unit),
            self.assignment(letter, no, unit),
            "Cần thêm thời gian",
            d(to),
            now=at(asked),
        )
        extensions.decide_extension(
            self.db, self.users["giamdoc"], request, True, d(to), now=at(granted)
        )


def task(content: str, leads: tuple[str, ...], due: str | None, coord=(), **more) -> TaskInput:
    return TaskInput(content, leads, tuple(coord), d(due) if due else None, **more)


def build(db: Database, users: dict[str, int]) -> World:
    """Make the data set (about 15 seconds)."""
    w = World(db, users, {})
    _leaders(w)
    w.enter(
        "A",
        "01/KH-UBND",
        UBND,
        "01-06",
        [
            task("Rà soát dự toán kinh phí", ("KHTC",), "02-28", ("VP",)),
            task("Kiểm tra đo lường tại chợ", ("TTR", "CCTDC"), "03-14"),
            task("Theo dõi thường xuyên", ("VP",), None),
            task("Tổng hợp đề tài cần nghiệm thu", ("QLKH",), "03-31"),
            task("Ứng dụng tiến bộ kỹ thuật", ("TTUD",), "02-20"),
            task("Thẩm định công nghệ", ("QLCN",), "03-10"),
        ],
    )
    w.enter("D", "30/KH-SKHCN", SO, "01-20", [task("Việc bị thu hồi", ("KHTC",), "02-15")])
    w.enter("F", "40/KH-UBND", UBND, "01-08", [task("Rà soát quy hoạch", ("QLKH",), "03-20")])
    w.enter("E", "31/KH-SKHCN", SO, "02-03", [task("Việc tạm dừng", ("TTR",), "03-10")])
    w.enter(
        "B",
        "15/CT-UBND",
        UBND,
        "02-10",
        [
            task("Đánh giá trình độ công nghệ", ("QLCN",), "03-20"),
            task("Chuyển giao mô hình", ("TTUD",), "03-05"),
            task("Lập kế hoạch vốn", ("KHTC",), "04-10"),
        ],
    )
    w.enter(
        "C",
        "20/TB-SKHCN",
        SO,
        "03-03",
        [
            task("Thanh tra chuyên ngành", ("TTR",), "03-31", ("QLKH",)),
            task("Kiểm định phương tiện đo", ("CCTDC",), "06-30"),
            task("Hỗ trợ doanh nghiệp", ("QLCN",), None),
            task(
                "Báo cáo tiến độ hằng tháng",
                ("VP",),
                None,
                reporting="monthly",
                reporting_until=d("05-31"),
            ),
        ],
    )
    _steps(w)
    return w


def _leaders(w: World) -> None:
    leaders = {"KHTC": "giamdoc", "TTR": "giamdoc", "CCTDC": "giamdoc"}
    leaders |= {"QLKH": "phogiamdoc", "TTUD": "phogiamdoc"}
    with w.db.reading() as session:
        rows = session.execute(select(Unit.id, Unit.code, Unit.name)).all()
    for unit_id, code, name in rows:  # the other units have none, whatever the demo gave them
        units.update_unit(
            w.db,
            w.users["admin"],
            unit_id,
            name=name,
            active=True,
            leader_id=w.users[leaders[code]] if code in leaders else None,
        )


def _steps(w: World) -> None:
    directives.cancel_directive(w.db, w.users["giamdoc"], w.ids["D"], "Thu hồi", now=at("02-01"))
    w.contribute("A", 1, "VP", "KHTC", "02-10", "02-11")
    w.report("A", 1, "KHTC", "02-20", "02-21")
    w.report("A", 5, "TTUD", "02-25", "02-26")
    directives.suspend_directive(w.db, w.users["giamdoc"], w.ids["E"], "Tạm dừng", now=at("03-01"))
    w.report("A", 6, "QLCN", "03-05", "03-06")
    w.report("A", 2, "TTR", "03-10", "03-11")
    w.report("C", 4, "VP", "03-12", "03-13")
    w.extend("B", 1, "QLCN", "03-15", "03-16", "04-15")
    w.report("A", 2, "CCTDC", "03-20", "03-21")
    w.contribute("C", 1, "QLKH", "TTR", "03-20", "03-21")
    w.report("A", 4, "QLKH", "03-25")
    w.decide("A", 4, "03-26", False)
    w.report("B", 3, "KHTC", "03-28", "03-29")
    w.report("A", 4, "QLKH", "04-02", "04-03", start=False)  # a returned report is redone at once
    w.report("B", 1, "QLCN", "04-10", "04-11")
    w.report("C", 4, "VP", "04-20", "04-21", start=False)
    directives.cancel_directive(w.db, w.users["giamdoc"], w.ids["F"], "Thu hồi", now=at("04-20"))
    w.report("C", 2, "CCTDC", "06-30", "07-01")
