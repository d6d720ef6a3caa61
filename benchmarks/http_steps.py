"""Steps over HTTP against a running server: per-step cost by directive size, and under load.

For each N (assignments per directive) a real `dondoc serve` (SQLite file or PostgreSQL) takes
`POST /api/v1/work-items/<id>/complete` for every step of K directives: assign, then per
assignment execute, report (head) and accept (leader). Only the POST is timed; the work item
ids are read from the database by the benchmark itself, as an inbox would list them.

Printed per N: p50/p95 per step kind and for all unit steps; the fit p50 = a + b·N and the
ratio p50(N max)/p50(N min); the raw-engine floor measured in the same run (SpiffWorkflow alone
on one SQLite row, from benchmarks/lifecycle.py). With `--clients 4`: four clients completing
steps of the same directives at once, throughput against one client, and the timer lag of a
scheduler process firing overdue timers while they work. Database size per assignment at the
end.

Run:
  python benchmarks/http_steps.py [--sizes 5,20,50,100] [--clients 1,4] [--workers 1]
      [--database sqlite|postgresql] [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DONDOC = str(Path(sys.executable).with_name("dondoc"))
UNITS = ("VP", "TTR", "KHTC", "QLKH", "QLCN", "CCTDC", "TTUD")
UNIT_STEPS = ("execute", "report", "accept")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A `dondoc serve` process (and optionally a `dondoc scheduler`) on a fresh instance."""

    folder: Path
    database_url: str
    port: int = field(default_factory=_free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DONDOC_INSTANCE_DIR": str(self.folder),
            "DONDOC_DATABASE_URL": self.database_url,
            "DONDOC_RATE_LIMITS": "0",
        }

    def init(self) -> None:
        subprocess.run([DONDOC, "init", "--demo"], env=self.env, check=True, capture_output=True)

    def start(self, workers: int, scheduler: bool) -> None:
        serve = [DONDOC, "serve", "--port", str(self.port), "--workers", str(workers)]
        if not scheduler:
            serve.append("--no-scheduler")
        self.processes.append(subprocess.Popen(serve, env=self.env, **_quiet()))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status = _get(self.port, "/healthz")
                if status in (200, 503):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _quiet() -> dict[str, Any]:
    return {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


class Client:
    """One keep-alive connection, its bearer tokens per user, and the timings it took."""

    def __init__(self, port: int, tokens: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.tokens = tokens
        self.timings: dict[str, list[float]] = {}

    def post(self, user: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        headers = {
            "Authorization": f"Bearer {self.tokens[user]}",
            "Content-Type": "application/json",
        }
        self.connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None

    def complete(self, user: str, item: str, kind: str, **fields: Any) -> None:
        started = time.perf_counter()
        status, body = self.post(user, f"/api/v1/work-items/{item}/complete", fields)
        self.timings.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{kind} {item}: {status} {body}")


def _tokens(database_url: str) -> dict[str, str]:
    from workflows import Database, create_token

    db = Database(database_url)
    try:
        users = [f"{role}.{unit.lower()}" for unit in UNITS for role in ("cv", "truong")]
        return {user: create_token(db, user) for user in [*users, "giamdoc", "vanthu"]}
    finally:
        db.dispose()


def _directive_body(serial: int, n: int) -> dict[str, Any]:
    due = (date.today() + timedelta(days=60)).isoformat()
    tasks = [
        {"content": f"Nhiệm vụ {i + 1}", "lead_units": [UNITS[i % len(UNITS)]], "due_on": due}
        for i in range(n)
    ]
    return {
        "number": f"{serial}/KH-HTTP",
        "kind": "ke_hoach",
        "issuer": "Benchmark",
        "issued_on": date.today().isoformat(),
        "title": f"Benchmark {serial}",
        "tasks": tasks,
    }


class Items:
    """Ready work items read straight from the database (not timed)."""

    def __init__(self, database_url: str) -> None:
        self.engine = sa.create_engine(database_url)

    def of(self, number: str, form: str) -> list[tuple[str, str | None, str | None]]:
        """(work item id, unit, assignment ref) of a directive's ready items of one form."""
        query = sa.text(
            "SELECT w.id, w.unit, w.ref FROM work_item w JOIN directive d "
            "ON d.process_instance_id = w.instance_id WHERE d.number = :n AND w.form = :f "
            "ORDER BY w.created_at, w.ref"
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query, {"n": number, "f": form})
            return [(row[0], row[1], row[2]) for row in rows]

    def next(self, ref: str, form: str) -> str:
        """The ready item of one form for an assignment."""
        query = sa.text("SELECT id FROM work_item WHERE ref = :r AND form = :f")
        with self.engine.connect() as connection:
            found = connection.execute(query, {"r": ref, "f": form}).scalar()
        if found is None:
            raise RuntimeError(f"no {form} step for assignment {ref}")
        return str(found)


def entered(client: Client, items: Items, serial: int, n: int) -> list[tuple[str, str, str]]:
    """Create and assign one directive; return its execute items (id, unit, assignment)."""
    number = f"{serial}/KH-HTTP"
    status, body = client.post("vanthu", "/api/v1/directives", _directive_body(serial, n))
    if status != 201:
        raise RuntimeError(f"create: {status} {body}")
    ((assign, _, _),) = items.of(number, "assign")
    client.complete("giamdoc", assign, "assign", step="assign")
    return [(item, unit or "", ref or "") for item, unit, ref in items.of(number, "execute")]


def work_through(client: Client, items: Items, share: list[tuple[str, str, str]]) -> None:
    """Take each assignment of a share through execute, report and accept."""
    for item, unit, ref in share:
        client.complete(f"cv.{unit.lower()}", item, "execute", step="execute")
        report = items.next(ref, "report")
        client.complete(f"truong.{unit.lower()}", report, "report", step="report", text="ok")
        accept = items.next(ref, "accept")
        client.complete("giamdoc", accept, "accept", step="accept", decision="accept")


def run(
    port: int, tokens: dict[str, str], items: Items, serials: list[int], n: int, clients: int
) -> tuple[list[Client], float, int]:
    """Directives of N assignments, their unit steps shared by `clients` clients at once.

    Return the clients (with their timings), the seconds the unit steps took, and how many.
    """
    setup = Client(port, tokens)
    work = [entry for serial in serials for entry in entered(setup, items, serial, n)]
    random.Random(n).shuffle(work)  # units of the same directives at the same moment
    team = [Client(port, tokens) for _ in range(clients)]
    threads = [
        threading.Thread(target=work_through, args=(client, items, work[i::clients]))
        for i, client in enumerate(team)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    team.append(setup)
    return team, time.perf_counter() - started, len(work) * len(UNIT_STEPS)


def unit_step_times(clients: list[Client]) -> dict[str, list[float]]:
    """Every timed step of the clients, by kind (assign apart)."""
    merged: dict[str, list[float]] = {}
    for client in clients:
        for kind, values in client.timings.items():
            merged.setdefault(kind, []).extend(values)
    return merged


def floor_p50(n: int, folder: Path) -> float:
    """The raw-engine floor of a unit step at N, measured now (benchmarks/lifecycle.py)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.lifecycle import Floor, run_floor

    floor = Floor(folder / f"floor-{n}.db")
    timings = run_floor(floor, n, 1)
    return statistics.median(
        [v for kind in ("execute", "report", "accept") for v in timings.steps.get(kind, [])]
    )


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares a + b·N."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mean_x, mean_y = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x in xs)
    return mean_y - slope * mean_x, slope


def timer_lag(database_url: str, count: int, window_seconds: float, batch: int) -> list[float]:
    """Directives whose overdue timers fall due over the next window; return their lags later."""
    from workflows import Database, assign_directive, create_directive
    from workflows.entry import DirectiveInput, TaskInput

    db = Database(database_url)
    start = datetime.now(UTC) + timedelta(seconds=5)
    with db.engine.connect() as connection:
        users = dict(connection.execute(sa.text("SELECT username, id FROM app_user")).all())
    try:
        for serial in range(batch * count, (batch + 1) * count):
            due = start + timedelta(seconds=random.uniform(0, window_seconds))
            task = TaskInput("Hạn gần", ("VP",), (), due.date(), due_at=due)
            data = DirectiveInput(f"{serial}/LAG", "ke_hoach", "Lag", date.today(), "Lag", (task,))
            create_directive(db, users["vanthu"], data)
            with db.engine.connect() as connection:
                item = connection.execute(
                    sa.text(
                        "SELECT w.id FROM work_item w JOIN directive d ON "
                        "d.process_instance_id = w.instance_id WHERE d.number = :n"
                    ),
                    {"n": f"{serial}/LAG"},
                ).scalar()
            assign_directive(db, users["giamdoc"], str(item))
    finally:
        db.dispose()
    return []


def lags(database_url: str) -> list[float]:
    """Seconds between each overdue timer's due time and its handling."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT at, after FROM event WHERE kind = 'timer_overdue'")
        ).all()
    engine.dispose()
    found = []
    for at, after in rows:
        data = after if isinstance(after, dict) else json.loads(after)
        handled = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        handled = handled if handled.tzinfo else handled.replace(tzinfo=UTC)
        found.append((handled - datetime.fromisoformat(data["due_at"])).total_seconds())
    return found


def database_size(database_url: str, folder: Path) -> tuple[int, int]:
    """Bytes the database takes and how many assignments it holds."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        assignments = int(
            connection.execute(sa.text("SELECT count(*) FROM assignment")).scalar() or 0
        )
        if database_url.startswith("postgresql"):
            size = int(
                connection.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
                or 0
            )
        else:
            path = Path(database_url.removeprefix("sqlite:///"))
            size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    engine.dispose()
    return size, assignments


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A database URL: a SQLite file, or a throwaway PostgreSQL server."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'dondoc.db'}"
        return
    sys.path.insert(0, str(ROOT))
    from tests.support.postgres import start_postgres

    folder.chmod(0o755)  # the server runs as postgres, which must reach its data folder
    server = start_postgres(folder)
    try:
        yield server.create_database("bench")
    finally:
        server.stop()


def report(label: str, clients: list[Client], seconds: float, steps: int) -> float:
    times = unit_step_times(clients)
    every = [v for kind in UNIT_STEPS for v in times.get(kind, [])]
    print(f"  {label}")
    for kind in ("assign", *UNIT_STEPS):
        values = times.get(kind, [])
        if values:
            p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
            print(f"    {kind:<8} {len(values):>5}  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms")
    rate = steps / seconds
    p50, p95 = percentile(every, 0.5), percentile(every, 0.95)
    print(f"    unit steps p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  {rate:6.1f} steps/s")
    return percentile(every, 0.5)


def summarize(points: list[tuple[int, float]], sizes: list[int]) -> None:
    """Print the fit p50 = a + b·N and the ratio of the largest N to the smallest."""
    a, b = fit(points) if len(points) > 1 else (points[0][1], 0.0)
    ratio = points[-1][1] / points[0][1]
    print(
        f"\nfit p50 = {a:.2f} ms + {b:.3f} ms × N; "
        f"p50(N={sizes[-1]})/p50(N={sizes[0]}) = {ratio:.2f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,20,50,100")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    crowd = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as tmp, database(args.database, Path(tmp)) as url:
        folder = Path(tmp)
        server = Server(folder / "instance", url)
        server.folder.mkdir()
        server.init()
        tokens = _tokens(url)
        items = Items(url)
        server.start(args.workers, scheduler=True)
        print(f"database {args.database}, server workers {args.workers}")
        serial, points = 1, []
        try:
            for n in sizes:
                k = 1 if args.quick else max(1, min(4, 200 // n))
                floor = floor_p50(n, folder)
                print(
                    f"\nN = {n} assignments per directive, {k} directive(s), floor {floor:.2f} ms"
                )
                for count in crowd:
                    serials = list(range(serial, serial + k))
                    serial += k
                    if count > 1:
                        timer_lag(url, 20, 30, batch=n)
                    clients, seconds, steps = run(server.port, tokens, items, serials, n, count)
                    p50 = report(f"{count} client(s)", clients, seconds, steps)
                    if count == 1:
                        points.append((n, p50))
            summarize(points, sizes)
            time.sleep(2)
            late = lags(url)
            if late:
                p50, p99 = percentile(late, 0.5), percentile(late, 0.99)
                print(f"timer lag under load: {len(late)} timers, p50 {p50:.2f} s, p99 {p99:.2f} s")
            size, assignments = database_size(url, server.folder)
            each = size / max(assignments, 1) / 1024
            print(
                f"database {size / 1e6:.1f} MB for {assignments} assignments: {each:.1f} KiB each"
            )
        finally:
            server.stop()
            items.engine.dispose()


if __name__ == "__main__":
    main()
