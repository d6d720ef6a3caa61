"""Signing in through the real login form with the test client."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Scrape a CSRF token from a page's form."""
    html = client.get(path).get_data(as_text=True)
    found = TOKEN.search(html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, username: str, password: str) -> None:
    """Sign in through the login form, as a browser would."""
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
