"""Engine tests run the adapter alone on a real SQLite file: no domain tables are touched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from engine import Base, ProcessEngine, ProjectionRules

BPMN = Path(__file__).resolve().parents[2] / "bpmn" / "directive.bpmn"
RULES = ProjectionRules(
    unit_paths={
        "unit": "assignment.unit",
        "unit_head": "assignment.unit",
        "lead_unit": "assignment.lead_unit",
    },
    ref_path="assignment.assignment_id",
    due_path="assignment.due_at",
)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A session factory on a fresh SQLite file holding the engine's tables."""
    engine = create_engine(f"sqlite:///{tmp_path / 'engine.db'}")
    Base.metadata.create_all(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def processes(sessions: sessionmaker[Session]) -> ProcessEngine:
    """A process engine with the bundled directive process published."""
    engine = ProcessEngine(RULES)
    with sessions() as session:
        engine.save_model(session, "directive", BPMN.read_bytes(), author="test", publish=True)
        session.commit()
    return engine
