"""Setting up a database: the bundled process model, and the demo department with its users."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import ModelNotFound
from workflows.db import Database
from workflows.directives import MODEL_KEY
from workflows.entry import DirectiveInput, TaskInput
from workflows.organisation import people
from workflows.tables import Unit, User

DEFAULT_BPMN = Path(__file__).resolve().parents[2] / "bpmn" / "directive.bpmn"
DEMO_USERNAMES = {
    "supervisor": ("giamdoc", "phogiamdoc"),
    "clerk": ("vanthu",),
    "admin": ("admin",),
}


@dataclass(frozen=True)
class DemoLogin:
    """A demo account and its password, printed once."""

    username: str
    password: str
    role: str
    unit_code: str
    title: str


def load_org_fixture() -> dict[str, Any]:
    """Return the demo organisation (Sở KH&CN Lạng Sơn) bundled with the package."""
    text = resources.files("workflows").joinpath("setup/data/org.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def install_process_model(db: Database, bpmn_path: Path = DEFAULT_BPMN) -> bool:
    """Store the bundled directive process as version 1 when no version exists; tell if it did."""

    def run(session: Session) -> bool:
        try:
            db.processes.published_model(session, MODEL_KEY)
            return False
        except ModelNotFound:
            db.processes.save_model(
                session,
                MODEL_KEY,
                bpmn_path.read_bytes(),
                author="dondoc init",
                comment="bundled reference process",
                publish=True,
            )
            return True

    return db.command(run)


def install_demo(db: Database, fixture: dict[str, Any] | None = None) -> list[DemoLogin]:
    """Create the demo department, its units and one user per role and unit; [] if present."""
    data = fixture or load_org_fixture()

    def run(session: Session) -> list[DemoLogin]:
        if session.scalar(select(Unit.id).limit(1)) is not None:
            return []
        root = data["organisation"]
        people.create_unit(
            session, root["code"], root["name"], kind="department", name_en=root.get("name_en", "")
        )
        aliases = data.get("aliases") or {}
        for unit in data["units"]:
            unit_id = people.create_unit(
                session,
                unit["code"],
                unit["name"],
                kind=unit["kind"],
                head_title=unit["head_title"],
                parent_code=root["code"],
            )
            named = [name for name in aliases.get(unit["code"], ()) if name != unit["name"]]
            session.get_one(Unit, unit_id).aliases = named
        logins = _demo_users(session, data)
        _leaders_in_charge(session, data.get("leaders_in_charge", {}))
        return logins

    return db.command(run)


def _leaders_in_charge(session: Session, leaders: dict[str, str]) -> None:
    for code, username in leaders.items():
        unit = session.scalar(select(Unit).where(Unit.code == code))
        leader = session.scalar(select(User).where(User.username == username))
        if unit is not None and leader is not None:
            unit.leader_id = leader.id


def _demo_users(session: Session, data: dict[str, Any]) -> list[DemoLogin]:
    logins: list[DemoLogin] = []
    unit_codes = [unit["code"] for unit in data["units"] if unit["kind"] != "leadership"]
    heads = {unit["code"]: unit["head_title"] for unit in data["units"]}
    used: dict[str, int] = {}
    for spec in data["demo_users"]:
        role = spec["role"]
        for code in unit_codes if spec["unit"] == "*" else [spec["unit"]]:
            title = heads[code] if spec["title"].startswith("head_title") else spec["title"]
            username = _demo_username(role, code, used)
            password = secrets.token_urlsafe(12)
            people.create_user(
                session,
                username,
                f"{title} ({code})" if spec["unit"] == "*" else title,
                code,
                [role, *spec.get("also", [])],
                password,
                title=title,
            )
            logins.append(DemoLogin(username, password, role, code, title))
    return logins


def _demo_username(role: str, unit_code: str, used: dict[str, int]) -> str:
    if role in ("unit_head", "unit_staff", "deputy_head"):
        prefix = {"unit_head": "truong", "unit_staff": "cv", "deputy_head": "pho"}[role]
        return f"{prefix}.{unit_code.lower()}"
    names = DEMO_USERNAMES.get(role, (role,))
    index = used.get(role, 0)
    used[role] = index + 1
    return names[index] if index < len(names) else f"{names[0]}{index + 1}"


def tet_directive(issued_on: date) -> DirectiveInput:
    """Return the Tết 2020 directive of the demo, its due dates counted from `issued_on`."""
    text = (
        resources.files("workflows")
        .joinpath("setup/data/tet-2020.json")
        .read_text(encoding="utf-8")
    )
    data = json.loads(text)
    tasks = tuple(
        TaskInput(
            content=task["content"],
            lead_units=tuple(task["lead"]),
            coordinating_units=tuple(task["coordinating"]),
            due_on=None
            if task["due_in_days"] is None
            else issued_on + timedelta(days=task["due_in_days"]),
        )
        for task in data["tasks"]
    )
    return DirectiveInput(
        number=data["number"],
        kind=data["kind"],
        issuer=data["issuer"],
        issued_on=issued_on,
        title=data["title"],
        body=data["body"],
        tasks=tasks,
    )
