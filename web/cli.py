"""The `dondoc` command line: every command calls one domain function and prints its result."""

from __future__ import annotations

import os
import runpy
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from web.config import load_config
from workflows import (
    CannotCheck,
    Database,
    DomainError,
    InstanceFiles,
    add_user,
    authenticate,
    check_database,
    check_schema,
    create_backup,
    create_directive,
    create_token,
    install_bundled_forms,
    install_demo,
    install_process_model,
    list_usernames_of,
    reset_password,
    restore_backup,
    revoke_tokens,
    schema_revision,
    set_email,
    tet_directive,
    upgrade_schema,
)

if TYPE_CHECKING:
    from flask import Flask

    from web.scheduler import DeadlineScheduler

REPO_ROOT = Path(__file__).resolve().parent.parent


def _database() -> Database:
    config = load_config()
    config.instance_dir.mkdir(parents=True, exist_ok=True)
    return Database(config.database_url, config.domain_settings())


@click.group()
def main() -> None:
    """Đôn đốc: theo dõi nhiệm vụ theo văn bản chỉ đạo (directive task tracker)."""


@main.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (Alembic migrations)."""
    db = _database()
    _upgrade(db)
    click.echo(f"database at revision {schema_revision(db)}")


def _upgrade(db: Database) -> None:
    """Upgrade the schema; a failure is one line on stderr and exit status 1, nothing changed."""
    try:
        upgrade_schema(db)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc


def _require_current_schema() -> None:
    """Refuse to start on an empty, outdated or too new database schema (one line, exit 1)."""
    db = _database()
    try:
        check_schema(db)
    except DomainError as exc:
        raise click.ClickException(f"not starting: {exc}") from exc
    finally:
        db.dispose()


@main.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
def backup_command(path: Path) -> None:
    """Back up the database, attachments and secret key into a new directory PATH."""
    config = load_config()
    db = Database(config.database_url, config.domain_settings())
    try:
        made = create_backup(db, path, _instance_files())
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    for name in made.missing:
        click.echo(f"warning: attachment file {name} is missing from the upload folder", err=True)
    for name in made.altered:
        click.echo(f"warning: attachment file {name} differs from its recorded SHA-256", err=True)
    click.echo(
        f"backup of the {made.database} database at revision {made.schema_revision} with "
        f"{made.attachments} attachment(s), {made.total_bytes} bytes, written to {made.path}"
    )


@main.command("restore")
@click.argument("path", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Replace a database and uploads that are not empty.")
def restore_command(path: Path, force: bool) -> None:
    """Restore a backup made by `dondoc backup` (stop the server first)."""
    config = load_config()
    db = Database(config.database_url, config.domain_settings())
    try:
        restored = restore_backup(db, path, _instance_files(), force=force)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    click.echo(
        f"restored the {restored.database} database at revision {restored.schema_revision} "
        f"and {restored.attachments} attachment(s)"
    )
    if restored.needs_upgrade:
        click.echo(f"now run `dondoc db upgrade` to bring it to {restored.head_revision}")


def _instance_files() -> InstanceFiles:
    config = load_config()
    return InstanceFiles(
        upload_dir=config.upload_dir or config.instance_dir / "uploads",
        secret_key_file=config.secret_key_file,
    )


@main.command("init")
@click.option("--demo", "with_demo", is_flag=True, help="Add the demo department and users.")
def init(with_demo: bool) -> None:
    """Create or upgrade the database and load the bundled process (version 1)."""
    db = _database()
    _upgrade(db)
    if install_process_model(db):
        click.echo("process model 'directive' version 1 installed from bpmn/directive.bpmn")
    for key in install_bundled_forms(db):
        click.echo(f"form '{key}' installed from bpmn/forms/{key}.json")
    if with_demo:
        _install_demo(db)
    db.dispose()


def _install_demo(db: Database) -> None:
    logins = install_demo(db)
    if not logins:
        _remind_demo_logins(db)
        return
    clerk = next(login for login in logins if login.role == "clerk")
    with db.reading() as session:
        clerk_id = authenticate(session, clerk.username, clerk.password)
    if clerk_id is not None:
        create_directive(db, clerk_id.id, tet_directive(date.today()))
    click.echo("\nDemo accounts (tài khoản dùng thử) — shown once, write them down:")
    click.echo(f"  {'username':<14} {'password':<18} {'role':<11} unit")
    for login in logins:
        click.echo(
            f"  {login.username:<14} {login.password:<18} {login.role:<11} {login.unit_code}"
        )


def _remind_demo_logins(db: Database) -> None:
    click.echo("\nDemo data is already there. Its passwords were printed once, at the first run;")
    click.echo("to set a new one: .venv/bin/dondoc user reset-password USERNAME")
    click.echo("Accounts: " + ", ".join(list_usernames_of(db)))


@main.group("user")
def user_group() -> None:
    """User accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--unit", "unit_code", required=True, help="Unit code, e.g. KHTC.")
@click.option("--role", "roles", multiple=True, required=True, help="Role; repeat for several.")
@click.option("--title", default="", help="Job title.")
@click.option("--email", default="", help="E-mail address for notifications.")
@click.password_option(help="Password (asked for when not given).")
def user_create(
    username: str,
    full_name: str,
    unit_code: str,
    roles: tuple[str, ...],
    title: str,
    email: str,
    password: str,
) -> None:
    """Create a user account."""
    db = _database()
    try:
        add_user(
            db, None, username, full_name, unit_code, list(roles), password, title, email=email
        )
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {username} created")


@user_group.command("set-email")
@click.argument("username")
@click.argument("address")
def user_set_email(username: str, address: str) -> None:
    """Set the e-mail address notifications are mailed to ("" removes it)."""
    try:
        stored = set_email(_database(), None, username, address)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"e-mail of {username}: {stored or '(none)'}")


@user_group.command("reset-password")
@click.argument("username")
def user_reset_password(username: str) -> None:
    """Give a user a new random password and print it once."""
    db = _database()
    try:
        password = reset_password(db, username)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"new password for {username}: {password}")


@main.group("token")
def token_group() -> None:
    """API bearer tokens."""


@token_group.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for.")
def token_create(username: str, name: str) -> None:
    """Create an API token for a user and print it (it cannot be shown again)."""
    try:
        token = create_token(_database(), username, name)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(token)


@token_group.command("revoke")
@click.argument("username")
def token_revoke(username: str) -> None:
    """Revoke every token of a user."""
    click.echo(f"{revoke_tokens(_database(), username)} token(s) revoked")


def _deadline_scheduler(app: Flask) -> DeadlineScheduler:
    from web.app import app_config, database
    from web.mail import smtp_sender
    from web.scheduler import DeadlineScheduler

    config = app_config(app)
    mail = None
    if config.smtp_url:
        mail = smtp_sender(app, config.smtp_url, config.mail_from, config.base_url)
    return DeadlineScheduler(
        database(app),
        lease_seconds=config.lease_seconds,
        sweep_seconds=config.timer_poll_seconds,
        mail=mail,
        digest_hour=config.digest_hour,
        timezone=config.timezone,
    )


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Web processes (gunicorn on Linux; one waitress process otherwise).",
)
@click.option("--no-scheduler", is_flag=True, help="Do not start the deadline scheduler.")
def serve(host: str, port: int, workers: int, no_scheduler: bool) -> None:
    """Serve the web application; the deadline scheduler runs beside it in its own process."""
    from web.app import create_app
    from web.serving import scheduler_process
    from web.serving import serve as serve_app

    _require_current_schema()
    click.echo(f"Đôn đốc serving on http://{host}:{port}/ ({workers} process(es))")
    with scheduler_process(not no_scheduler):
        serve_app(create_app, host, port, workers)


@main.command("scheduler")
@click.option("--parent", type=int, hidden=True)  # `dondoc serve` passes its process id
def scheduler_command(parent: int | None) -> None:
    """Run the deadline scheduler alone (several may run: a lease keeps exactly one active)."""
    import signal
    import threading

    from web.app import create_app

    _require_current_schema()
    app = create_app()
    scheduler = _deadline_scheduler(app)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    scheduler.start()
    click.echo(f"scheduler {scheduler.holder} started")
    while not stopping.wait(1.0):
        if parent is not None and os.getppid() != parent:  # the server died without stopping us
            break
    scheduler.stop()
    click.echo("scheduler stopped")


@main.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--max-state-mb", default=5.0, show_default=True, help="Largest healthy state.")
def check(as_json: bool, max_state_mb: float) -> None:
    """Check the data read-only; exit 0 when clean, 1 with findings, 2 when it cannot run."""
    import json
    from dataclasses import asdict

    config = load_config()
    upload_dir = config.upload_dir or config.instance_dir / "uploads"
    try:
        report = check_database(config.database_url, upload_dir, int(max_state_mb * 1024 * 1024))
    except CannotCheck as exc:
        click.echo(f"dondoc check could not run: {exc}", err=True)
        sys.exit(2)
    grouped = report.by_check()
    if as_json:
        findings = [asdict(finding) for finding in report.findings]
        counts = {name: len(found) for name, found in grouped.items()}
        body = {"clean": report.clean, "counts": counts, "examined": report.examined}
        click.echo(json.dumps({**body, "findings": findings}, ensure_ascii=False, indent=2))
    else:
        for name, found in grouped.items():
            click.echo(f"{name}: {len(found)} finding(s)" if found else f"{name}: ok")
            for finding in found:
                click.echo(f"  - {finding.subject}: {finding.problem}")
        examined = ", ".join(f"{count} {what}" for what, count in report.examined.items())
        click.echo(f"{len(report.findings)} finding(s) in {len(grouped)} checks ({examined})")
    sys.exit(0 if report.clean else 1)


@main.command("bench", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Run benchmarks/lifecycle.py (the app against the raw-engine floor)."""
    script = REPO_ROOT / "benchmarks" / "lifecycle.py"
    if not script.is_file():
        raise click.ClickException(f"{script} not found: run from a source checkout")
    sys.argv = [str(script), *args]
    runpy.run_path(str(script), run_name="__main__")


def _add_import_command() -> None:
    from web.cli_import import import_command  # its own module: cli.py stays small

    main.add_command(import_command)


_add_import_command()

if __name__ == "__main__":
    main()
