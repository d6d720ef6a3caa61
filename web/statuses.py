"""One table from domain errors to HTTP: the status, and the title a page gives it.

Pages (web/pages/errors.py) and the JSON API (web/api/errors.py) both answer a domain error
with the status found here; the message is always the error's own, translated on pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

import workflows


@dataclass(frozen=True)
class Answer:
    """How the web answers one kind of domain error."""

    status: int
    title: LazyString


TABLE: tuple[tuple[type[workflows.DomainError], Answer], ...] = (
    (workflows.NotFound, Answer(404, _l("Not found"))),
    (workflows.PermissionDenied, Answer(403, _l("Not allowed"))),
    (workflows.InvalidInput, Answer(422, _l("Please check the form"))),
    (workflows.WrongStep, Answer(409, _l("Already done"))),
    (workflows.BrokenForm, Answer(409, _l("Already done"))),
    (workflows.TaskNoLongerReady, Answer(409, _l("Already done"))),
    (workflows.DirectiveNotActive, Answer(409, _l("Already done"))),
    (workflows.ConcurrencyConflict, Answer(409, _l("Already done"))),
    (workflows.StorageUnavailable, Answer(503, _l("Try again later"))),
    (workflows.ProcessFailed, Answer(500, _l("Something went wrong"))),
)
OTHER = Answer(400, _l("Error"))


def answer_for(exc: workflows.DomainError) -> Answer:
    """Return the status and title of a domain error (the first matching row wins)."""
    return next((answer for kind, answer in TABLE if isinstance(exc, kind)), OTHER)
