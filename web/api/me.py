"""The caller: who they are, and the CSRF token a session-cookie client must send back."""

from __future__ import annotations

from typing import Any

from flask_wtf.csrf import generate_csrf

from web.api.auth import by_session, caller
from web.api.blueprint import answers, bp
from web.api.schemas import MeSchema


@bp.route("/me", methods=["GET"], tags=["me"])
@bp.response(200, MeSchema)
@answers()
def get_me() -> dict[str, Any]:
    """Tell who the caller is, with their unit and roles."""
    info = caller()
    return {
        "id": info.id,
        "username": info.username,
        "full_name": info.full_name,
        "title": info.title,
        "unit_code": info.unit_code,
        "unit_name": info.unit_name,
        "roles": sorted(info.roles),
        "language": info.language,
        "csrf_token": generate_csrf() if by_session() else None,
    }
