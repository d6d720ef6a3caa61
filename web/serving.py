"""Serving the application: one process (waitress) or several (gunicorn), the scheduler apart.

Several processes let throughput grow with the cores: one interpreter lock serializes a
single process's requests. The deadline scheduler always runs in a process of its own, so web
load never delays a timer; several schedulers may run, a lease keeps one active.

Each process frees the objects of start-up from the garbage collector's full passes
(`gc.freeze`) and runs them less often: a full pass over a big cache of live workflows took
about 65 ms and landed in the slowest steps.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

GC_THRESHOLDS = (50_000, 50, 100)  # young, middle, old: full passes a hundred times rarer


def quiet_garbage_collection() -> None:
    """Freeze what start-up made and space out the collector's passes."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@contextmanager
def scheduler_process(enabled: bool) -> Iterator[None]:
    """Run `dondoc scheduler` beside the web server, and stop it with the server."""
    if not enabled:
        yield
        return
    command = [sys.executable, "-m", "web.cli", "scheduler", "--parent", str(os.getpid())]
    child = subprocess.Popen(command)
    previous = signal.signal(signal.SIGTERM, _exit_on_terminate)  # so `finally` runs
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _exit_on_terminate(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def serve(app_factory: Callable[[], Flask], host: str, port: int, workers: int) -> None:
    """Serve the app with `workers` processes (gunicorn), or one process (waitress)."""
    if workers > 1 and _gunicorn_available():
        _serve_gunicorn(app_factory, host, port, workers)
        return
    from waitress import serve as waitress_serve

    app = app_factory()
    quiet_garbage_collection()
    waitress_serve(app, host=host, port=port, threads=8)


def _gunicorn_available() -> bool:
    try:
        import gunicorn.app.base  # noqa: F401  - present on Linux, absent on Windows
    except ImportError:
        return False
    return True


def _serve_gunicorn(app_factory: Callable[[], Flask], host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
        """Gunicorn fed with our app and settings instead of a command line."""

        def load_config(self) -> None:
            settings = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": 4,
                "preload_app": True,
                "timeout": 120,
                "graceful_timeout": 20,
                "accesslog": None,
                "post_fork": _after_fork,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            app = app_factory()
            _release_connections(app)  # the master opened some; each worker opens its own
            quiet_garbage_collection()
            return app

    Application().run()


def _after_fork(server: Any, worker: Any) -> None:
    """A new worker process: new database connections, a fresh script pool."""
    _release_connections(worker.app.wsgi())


def _release_connections(app: Flask) -> None:
    database = app.extensions.get("dondoc.db")
    if database is not None:
        database.engine.dispose(close=False)
