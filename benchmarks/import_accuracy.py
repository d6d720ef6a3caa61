"""Import accuracy: how well the proposal rules read directives, against answers written by hand.

Each `tests/fixtures/import/NN-name.txt` has its expected answer beside it in
`NN-name.expected.json`: the tasks a careful reader splits the text into (each known by the
words it starts with), their lead and coordinating units (codes; "?Name" for a unit the
organisation does not have) and their deadline (a date, "monthly", "quarterly", "ongoing" or
null). The organisation is `org.json` in the same folder. Figures:

- task split: a proposed task is right when its text starts like an expected task's;
- lead / coordinating: (task, unit) pairs, counted over every task, proposed or expected;
- deadline: tasks with a deadline, right when the same deadline is proposed for the same task.

Precision = right / proposed, recall = right / expected. Run:
`python benchmarks/import_accuracy.py [--details] [FOLDER]`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from workflows.rules.importing.proposal import Proposal, TaskProposal, propose_text
from workflows.rules.importing.text import fold_in_place, words
from workflows.rules.importing.units import registry_from_org

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "import"
MEASURES = ("tasks", "lead", "coordinating", "deadline")


@dataclass
class Score:
    """Counts of one measure: right, proposed, expected."""

    right: int = 0
    proposed: int = 0
    expected: int = 0

    def add(self, right: int, proposed: int, expected: int) -> None:
        self.right += right
        self.proposed += proposed
        self.expected += expected

    @property
    def precision(self) -> float:
        return self.right / self.proposed if self.proposed else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.expected if self.expected else 1.0


def deadline_of(task: TaskProposal) -> str | None:
    """The deadline of a proposed task in the expected answers' terms."""
    if task.reporting != "once":
        return task.reporting
    if task.due_on is not None:
        return task.due_on.isoformat()
    return "ongoing" if task.due_text else None


def unit_keys(task: TaskProposal, role: str) -> set[str]:
    refs = task.lead if role == "lead" else task.coordinating
    return {ref.code or "?" + fold_in_place(ref.name) for ref in refs}


def expected_keys(task: dict[str, Any], role: str) -> set[str]:
    return {k if not k.startswith("?") else "?" + fold_in_place(k[1:]) for k in task[role]}


def starts_like(proposed: TaskProposal, expected: dict[str, Any]) -> bool:
    start = words(expected["starts"])
    return words(proposed.text)[: len(start)] == start


def pair(
    proposal: Proposal, expected: list[dict[str, Any]]
) -> list[tuple[TaskProposal, dict[str, Any]]]:
    """Match proposed to expected tasks by their opening words, each used once, in order."""
    pairs, used = [], set()
    for task in proposal.tasks:
        for index, wanted in enumerate(expected):
            if index not in used and starts_like(task, wanted):
                pairs.append((task, wanted))
                used.add(index)
                break
    return pairs


def score(proposal: Proposal, answer: dict[str, Any], scores: dict[str, Score]) -> list[str]:
    """Add one document's counts to the scores; return what it got wrong, for --details."""
    expected, wrong = answer["tasks"], []
    pairs = pair(proposal, expected)
    scores["tasks"].add(len(pairs), len(proposal.tasks), len(expected))
    matched = {id(task) for task, _ in pairs}
    wrong += [f"  extra task: {t.text[:60]!r}" for t in proposal.tasks if id(t) not in matched]
    found = {id(w) for _, w in pairs}
    wrong += [f"  missed task: {w['starts']!r}" for w in expected if id(w) not in found]
    for role in ("lead", "coordinating"):
        right = sum(len(unit_keys(t, role) & expected_keys(w, role)) for t, w in pairs)
        proposed = sum(len(unit_keys(t, role)) for t in proposal.tasks)
        scores[role].add(right, proposed, sum(len(expected_keys(w, role)) for w in expected))
        wrong += [
            f"  {role} of {w['starts'][:40]!r}: {sorted(unit_keys(t, role))} "
            f"expected {sorted(expected_keys(w, role))}"
            for t, w in pairs
            if unit_keys(t, role) != expected_keys(w, role)
        ]
    right = sum(1 for t, w in pairs if w["deadline"] and deadline_of(t) == w["deadline"])
    proposed = sum(1 for t in proposal.tasks if deadline_of(t))
    scores["deadline"].add(right, proposed, sum(1 for w in expected if w["deadline"]))
    wrong += [
        f"  deadline of {w['starts'][:40]!r}: {deadline_of(t)} expected {w['deadline']}"
        for t, w in pairs
        if deadline_of(t) != w["deadline"]
    ]
    return wrong


def run(folder: Path, details: bool) -> dict[str, Score]:
    registry = registry_from_org(json.loads((folder / "org.json").read_text(encoding="utf-8")))
    scores = {name: Score() for name in MEASURES}
    header = Counter[str]()
    for text_path in sorted(folder.glob("*.txt")):
        answer = json.loads(text_path.with_suffix(".expected.json").read_text(encoding="utf-8"))
        anchor = date.fromisoformat(answer.get("anchor") or answer["issued_on"])
        proposal = propose_text(text_path.read_text(encoding="utf-8"), registry, anchor)
        for field in ("number", "kind", "issued_on"):
            value = getattr(proposal, field)
            value = value.isoformat() if isinstance(value, date) else value
            header[field] += value == answer[field]
        wrong = score(proposal, answer, scores)
        if details and wrong:
            print(text_path.name, *wrong, sep="\n")
    count = len(list(folder.glob("*.txt")))
    print(
        f"{count} documents; header right: "
        + ", ".join(f"{k} {v}/{count}" for k, v in header.items())
    )
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=FIXTURES)
    parser.add_argument("--details", action="store_true", help="list every difference")
    args = parser.parse_args(argv)
    scores = run(args.folder, args.details)
    print(f"{'measure':<14}{'precision':>10}{'recall':>8}   right/proposed/expected")
    for name, found in scores.items():
        print(
            f"{name:<14}{found.precision:>10.1%}{found.recall:>8.1%}   "
            f"{found.right}/{found.proposed}/{found.expected}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
