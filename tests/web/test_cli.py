"""The dondoc command line, run in-process against a temporary instance folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from web.cli import main
from workflows.db import Database
from workflows.directives import MODEL_KEY
from workflows.organisation import people as org
from workflows.setup import schema
from workflows.tables import Directive


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DONDOC_INSTANCE_DIR": str(tmp_path), "DONDOC_SECRET_KEY": "test"}


def _db(env: dict[str, str]) -> Database:
    return Database(f"sqlite:///{env['DONDOC_INSTANCE_DIR']}/dondoc.db")


def test_init_demo_creates_everything_and_prints_passwords_once(env) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["init", "--demo"], env=env)
    assert first.exit_code == 0, first.output
    assert "version 1 installed" in first.output
    lines = [line.split() for line in first.output.splitlines() if line.startswith("  giamdoc ")]
    ((username, password, role, unit),) = lines
    assert (username, role, unit) == ("giamdoc", "supervisor", "BGD")
    db = _db(env)
    try:
        with db.reading() as session:
            assert org.authenticate(session, "giamdoc", password) is not None
            assert org.authenticate(session, "giamdoc", "wrong-password") is None
            assert db.processes.published_model(session, MODEL_KEY).number == 1
            assert session.scalar(select(Directive.number)) == "01/KH-SKHCN"
    finally:
        db.dispose()
    second = runner.invoke(main, ["init", "--demo"], env=env)
    assert second.exit_code == 0
    assert password not in second.output
    assert "already there" in second.output
    assert "installed" not in second.output


def test_user_create_and_reset_password(env) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--demo"], env=env).exit_code == 0
    args = [
        "user",
        "create",
        "nguyen.van.a",
        "--name",
        "Nguyễn Văn A",
        "--unit",
        "QLKH",
        "--role",
        "unit_staff",
        "--password",
        "mat-khau-dai-du",
    ]
    created = runner.invoke(main, args, env=env)
    assert created.exit_code == 0, created.output
    again = runner.invoke(main, args, env=env)
    assert again.exit_code != 0
    assert "is taken" in again.output
    bad_args = [
        "user",
        "create",
        "b.user",
        "--name",
        "B",
        "--unit",
        "QLKH",
        "--role",
        "king",
        "--password",
        "mat-khau-dai-du",
    ]
    bad_role = runner.invoke(main, bad_args, env=env)
    assert bad_role.exit_code != 0
    assert "roles" in bad_role.output
    reset = runner.invoke(main, ["user", "reset-password", "nguyen.van.a"], env=env)
    new_password = reset.output.strip().rsplit(" ", 1)[-1]
    db = _db(env)
    try:
        with db.reading() as session:
            assert org.authenticate(session, "nguyen.van.a", new_password) is not None
            assert org.authenticate(session, "nguyen.van.a", "mat-khau-dai-du") is None
    finally:
        db.dispose()
    missing = runner.invoke(main, ["user", "reset-password", "nobody"], env=env)
    assert missing.exit_code != 0


def test_db_upgrade_reports_the_revision(env) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0
    assert f"revision {schema.head_schema_revision()}" in result.output


def test_bench_quick_prints_the_table(env) -> None:
    result = CliRunner().invoke(main, ["bench", "--quick", "--sizes", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert "N = 1 assignments per directive" in result.output
    assert "ratio app/floor" in result.output


def test_token_create_prints_a_token_that_the_api_accepts(env) -> None:
    from workflows.access import tokens

    runner = CliRunner()
    assert runner.invoke(main, ["init", "--demo"], env=env).exit_code == 0
    created = runner.invoke(main, ["token", "create", "giamdoc", "--name", "báo cáo"], env=env)
    token = created.output.strip()
    assert created.exit_code == 0
    assert token.startswith("dd_")
    db = _db(env)
    try:
        assert tokens.user_for_token(db, token).username == "giamdoc"
        revoked = runner.invoke(main, ["token", "revoke", "giamdoc"], env=env)
        assert "1 token(s) revoked" in revoked.output
        assert tokens.user_for_token(db, token) is None
    finally:
        db.dispose()
    assert runner.invoke(main, ["token", "create", "nobody"], env=env).exit_code != 0
