"""Request-time access to the application's database, configuration and signed-in user."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

import flask_login
from flask import abort, current_app
from flask_login import UserMixin, current_user

from web.config import Config
from workflows import Database, UserInfo

P = ParamSpec("P")
R = TypeVar("R")


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Send a visitor who has not signed in to the sign-in page (Flask-Login's guard, typed)."""
    guarded: Callable[P, R] = flask_login.login_required(view)  # Flask-Login is untyped
    return guarded


class SignedIn(UserMixin):  # type: ignore[misc]  # Flask-Login is untyped
    """The Flask-Login user: a frozen UserInfo from the domain, nothing more."""

    def __init__(self, info: UserInfo) -> None:
        self.info = info

    def get_id(self) -> str:
        return str(self.info.id)

    def has(self, *roles: str) -> bool:
        """Tell whether the user holds one of the roles."""
        return bool(self.info.roles.intersection(roles))


def db() -> Database:
    """The application's database."""
    database = current_app.extensions["dondoc.db"]
    assert isinstance(database, Database)
    return database


def config() -> Config:
    """The application's configuration."""
    value = current_app.extensions["dondoc.config"]
    assert isinstance(value, Config)
    return value


def me() -> SignedIn:
    """The signed-in user (routes are guarded by login_required before calling this)."""
    user = current_user._get_current_object()
    if not isinstance(user, SignedIn):
        abort(401)
    return user


def my_id() -> int:
    """The signed-in user's id."""
    return me().info.id
