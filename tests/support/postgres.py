"""Run a throwaway PostgreSQL server for tests."""

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

PG_ROOT = Path("/usr/lib/postgresql")
PG_USER = "postgres"
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
PG_CTL_TIMEOUT = 30
SOCKET_PATH_MAX = 107
DB_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
SERVER_SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "50",
    "max_wal_size": "256MB",
}


class PostgresError(RuntimeError):
    """Raised when the test PostgreSQL server cannot be set up."""


def _version_key(path: Path) -> tuple[int, ...]:
    """Return a sortable version tuple for a /usr/lib/postgresql/<version> directory."""
    return tuple(int(part) for part in re.findall(r"\d+", path.name))


def find_pg_bin() -> Path | None:
    """Return the bin directory of the newest Debian PostgreSQL install, or None."""
    candidates = [
        version_dir / "bin"
        for version_dir in PG_ROOT.glob("*")
        if (version_dir / "bin" / "initdb").is_file() and (version_dir / "bin" / "pg_ctl").is_file()
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda bin_dir: _version_key(bin_dir.parent))


def _free_port() -> int:
    """Return a TCP port on the loopback address that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _run_as_user() -> str | None:
    """Return the user to run server commands as: postgres when we are root."""
    return PG_USER if os.geteuid() == 0 else None


def _run(args: list[str], run_as: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command, as run_as if given, and raise PostgresError with its output on failure."""
    command = ["runuser", "-u", run_as, "--", *args] if run_as else args
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        result = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=START_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PostgresError(f"could not run {' '.join(command)}: {exc}") from exc
    if result.returncode != 0:
        raise PostgresError(
            f"{' '.join(command)} exited with {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def _make_root(base_dir: Path, run_as: str | None) -> Path:
    """Create the server's private directory under base_dir, owned by run_as if given."""
    root = Path(tempfile.mkdtemp(prefix="dondoc-pg-", dir=base_dir))
    root.chmod(0o755)
    if len(str(root / ".s.PGSQL.65535")) > SOCKET_PATH_MAX:
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresError(f"socket path under {root} would be too long; use a shorter base_dir")
    if run_as:
        user = pwd.getpwnam(run_as)
        os.chown(root, user.pw_uid, user.pw_gid)
    return root


def _check_reachable(root: Path, run_as: str | None) -> None:
    """Raise PostgresError unless run_as can write to root (so every parent is traversable)."""
    if not run_as:
        return
    try:
        _run(["test", "-w", str(root), "-a", "-x", str(root)], run_as, Path("/"))
    except PostgresError as exc:
        raise PostgresError(
            f"user {run_as!r} cannot reach {root}; pick a base_dir whose parents are "
            f"world-traversable (e.g. {tempfile.gettempdir()})"
        ) from exc


def _write_config(data_dir: Path, root: Path, port: int) -> None:
    """Append the test server settings to postgresql.conf."""
    settings = {**SERVER_SETTINGS, "port": str(port), "unix_socket_directories": f"'{root}'"}
    lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
    with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# dondoc test server\n" + lines)


def _read_log(log_file: Path) -> str:
    """Return the server log, or a note that it is missing."""
    try:
        return log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server log)"


def _wait_ready(port: int, deadline: float) -> None:
    """Block until the server accepts a TCP connection or the deadline passes."""
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(
                host=HOST, port=port, user=PG_USER, dbname="postgres", connect_timeout=2
            ):
                return
        except psycopg.OperationalError as exc:
            last_error = exc
            time.sleep(0.05)
    raise PostgresError(f"server on port {port} did not accept connections: {last_error}")


@dataclass
class PostgresServer:
    """A running throwaway PostgreSQL server."""

    url: str
    port: int
    root: Path
    pg_bin: Path
    run_as: str | None
    host: str = HOST
    user: str = PG_USER
    _stopped: bool = field(default=False, init=False, repr=False)

    @property
    def data_dir(self) -> Path:
        """Return the cluster's data directory."""
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        """Return the server log path."""
        return self.root / "postgres.log"

    def database_url(self, name: str) -> str:
        """Return the SQLAlchemy URL of database name on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{name}"

    def _admin(self) -> psycopg.Connection:
        """Open an autocommit connection to the postgres database."""
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        _check_db_name(name)
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing any connections still open to it."""
        _check_db_name(name)
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        """Stop the server immediately and remove its directory."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.data_dir / "postmaster.pid").exists():
                _run(self.pg_ctl_args("stop", "-m", "immediate"), self.run_as, self.root)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def pg_ctl_args(self, *args: str) -> list[str]:
        """Return a pg_ctl command line for this server's data directory."""
        timeout = str(PG_CTL_TIMEOUT)
        return [str(self.pg_bin / "pg_ctl"), "-D", str(self.data_dir), "-w", "-t", timeout, *args]


def _check_db_name(name: str) -> None:
    """Raise ValueError unless name is a plain lower-case PostgreSQL identifier."""
    if not DB_NAME_RE.match(name):
        raise ValueError(f"invalid database name {name!r}: use [a-z_][a-z0-9_]*, max 63 chars")


def _initdb(pg_bin: Path, data_dir: Path, run_as: str | None, cwd: Path) -> None:
    """Create a new cluster with trust auth, UTF8 and the C locale."""
    options = ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"]
    _run([str(pg_bin / "initdb"), "-D", str(data_dir), "-U", PG_USER, *options], run_as, cwd)


def _start(server: PostgresServer) -> None:
    """Start the server with pg_ctl and wait until it accepts connections."""
    deadline = time.monotonic() + START_TIMEOUT
    command = server.pg_ctl_args("-l", str(server.log_file), "start")
    try:
        _run(command, server.run_as, server.root)
        _wait_ready(server.port, deadline)
    except PostgresError as exc:
        raise PostgresError(f"{exc}\nserver log:\n{_read_log(server.log_file)}") from exc


def start_postgres(base_dir: Path) -> PostgresServer:
    """Start a throwaway server in a new directory under base_dir and return it."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise PostgresError(f"no PostgreSQL under {PG_ROOT}/*/bin (apt-get install postgresql)")
    run_as = _run_as_user()
    root = _make_root(base_dir, run_as)
    port = _free_port()
    server = PostgresServer(
        url=f"postgresql+psycopg://{PG_USER}@{HOST}:{port}/postgres",
        port=port,
        root=root,
        pg_bin=pg_bin,
        run_as=run_as,
    )
    try:
        _check_reachable(root, run_as)
        _initdb(pg_bin, server.data_dir, run_as, root)
        _write_config(server.data_dir, root, port)
        _start(server)
    except BaseException:
        server.stop()
        raise
    return server
