"""Showing the domain's messages in the reader's language."""

from __future__ import annotations

from flask_babel import gettext

from web.i18n import ROLE_NAMES
from workflows import InvalidInput, Message


def translate(message: Message | str | None) -> str:
    """Translate a domain message, filling its parameters after translation."""
    if message is None:
        return ""
    if isinstance(message, str):
        return str(gettext(message))  # flask-babel is untyped
    params = dict(message.params)
    if "roles" in params:  # role ids (RoleRequired) are said as people say them
        params["roles"] = ", ".join(
            str(ROLE_NAMES.get(role.strip(), role)) for role in str(params["roles"]).split(",")
        )
    return str(gettext(message.text, **params))


def problems_of(exc: InvalidInput) -> dict[str, str]:
    """The field problems of an InvalidInput, translated."""
    return {name: translate(text) for name, text in exc.field_messages.items()}
