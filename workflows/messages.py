"""User-facing messages of the domain, kept translatable: entry points translate `text`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """An English message with named %-style parameters, e.g. 'unknown units: %(units)s'."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text % dict(self.params) if self.params else self.text


def N_(text: str, **params: Any) -> Message:  # noqa: N802 - the conventional gettext marker
    """Mark a message for extraction into the catalogues; it is translated where it is shown."""
    return Message(text, params)


def as_message(value: str | Message) -> Message:
    """Wrap a plain string (already final, e.g. from a library) as a message."""
    return value if isinstance(value, Message) else Message(value)
