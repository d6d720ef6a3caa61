"""Every setting of the application, read from DONDOC_* variables and instance/config.toml.

This is the only module that reads the environment.

- DONDOC_INSTANCE_DIR (default ./instance): database, secret key, uploads
- DONDOC_DATABASE_URL (default sqlite:///<instance>/dondoc.db): SQLAlchemy URL (PostgreSQL ok)
- DONDOC_SECRET_KEY (default generated once into instance/): signs sessions and CSRF tokens
- DONDOC_TIMEZONE (default Asia/Ho_Chi_Minh): the zone due dates count in
- DONDOC_DUE_SOON_DAYS (default 3): "sắp đến hạn" threshold
- DONDOC_REMINDER_DAYS (default 3): reminder before the due date
- DONDOC_SMTP_URL (default (none)): mail server for notifications
- DONDOC_UPLOAD_DIR (default <instance>/uploads): attachments
- DONDOC_MAX_UPLOAD_MB (default 20): largest accepted upload
- DONDOC_TIMER_POLL_SECONDS (default 30): safety sweep of due BPMN timers
- DONDOC_SECURE_COOKIES (default 0): mark cookies Secure (set 1 behind HTTPS)
- DONDOC_RATE_LIMITS (default 1): slow sign-in guessing down (failures per account and address)
- DONDOC_TRUSTED_PROXIES (default 0): how many reverse proxies in front of the app set
  X-Forwarded-For/-Proto/-Host; 0 ignores those headers (a client could forge them)
- DONDOC_MAIL_FROM (default dondoc@localhost): sender of notification mails
- DONDOC_BASE_URL (default http://127.0.0.1:5000): where links in mails point
- DONDOC_LEASE_SECONDS (default 30): how long a silent scheduler keeps the lease
- DONDOC_DIGEST_HOUR (default 7): local hour of the daily digest of due and overdue steps
- DONDOC_LATE_EXTENSIONS (default 0): let units ask for an extension after the deadline
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflows import Settings

PREFIX = "DONDOC_"
SECRET_KEY_FILE = "secret_key"


@dataclass(frozen=True)
class Config:
    """The application's configuration, resolved once at start-up."""

    instance_dir: Path
    database_url: str
    secret_key: str
    timezone: str = "Asia/Ho_Chi_Minh"
    due_soon_days: int = 3
    reminder_days: int = 3
    smtp_url: str | None = None
    upload_dir: Path | None = None
    max_upload_mb: int = 20
    timer_poll_seconds: int = 30
    secure_cookies: bool = False
    rate_limits: bool = True
    mail_from: str = "dondoc@localhost"
    base_url: str = "http://127.0.0.1:5000"
    lease_seconds: int = 30
    digest_hour: int = 7
    late_extensions: bool = False
    trusted_proxies: int = 0

    @property
    def secret_key_file(self) -> Path:
        """Where the generated secret key is kept (DONDOC_SECRET_KEY, when set, wins)."""
        return self.instance_dir / SECRET_KEY_FILE

    def domain_settings(self) -> Settings:
        """The part of the configuration the domain rules read."""
        return Settings(
            timezone=self.timezone,
            due_soon_days=self.due_soon_days,
            reminder_days=self.reminder_days,
        )


def _values(environ: Mapping[str, str], instance_dir: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    toml_file = instance_dir / "config.toml"
    if toml_file.is_file():
        values.update({k.upper(): str(v) for k, v in tomllib.loads(toml_file.read_text()).items()})
    values.update({k[len(PREFIX) :]: v for k, v in environ.items() if k.startswith(PREFIX)})
    return values


def _secret_key(instance_dir: Path) -> str:
    key_file = instance_dir / SECRET_KEY_FILE
    if key_file.is_file():
        return key_file.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _int(values: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = values.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"{PREFIX}{name} must be a whole number, not {raw!r}") from exc
    if not low <= value <= high:
        raise ValueError(f"{PREFIX}{name} must be between {low} and {high}")
    return value


def _flag(values: Mapping[str, str], name: str, default: bool) -> bool:
    raw = values.get(name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{PREFIX}{name} must be 1 or 0, not {raw!r}")


def load_config(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Config:
    """Resolve the configuration from the environment, instance/config.toml and overrides."""
    env = os.environ if environ is None else environ
    instance_dir = Path(env.get(PREFIX + "INSTANCE_DIR", "instance")).resolve()
    values = _values(env, instance_dir)
    timezone = values.get("TIMEZONE", "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{PREFIX}TIMEZONE: unknown time zone {timezone!r}") from exc
    config = Config(
        instance_dir=instance_dir,
        database_url=values.get("DATABASE_URL", f"sqlite:///{instance_dir / 'dondoc.db'}"),
        secret_key=values.get("SECRET_KEY") or _secret_key(instance_dir),
        timezone=timezone,
        due_soon_days=_int(values, "DUE_SOON_DAYS", 3, 0, 60),
        reminder_days=_int(values, "REMINDER_DAYS", 3, 0, 60),
        smtp_url=values.get("SMTP_URL") or None,
        upload_dir=Path(values.get("UPLOAD_DIR", str(instance_dir / "uploads"))),
        max_upload_mb=_int(values, "MAX_UPLOAD_MB", 20, 1, 1024),
        timer_poll_seconds=_int(values, "TIMER_POLL_SECONDS", 30, 1, 3600),
        secure_cookies=_flag(values, "SECURE_COOKIES", False),
        rate_limits=_flag(values, "RATE_LIMITS", True),
        mail_from=values.get("MAIL_FROM", "dondoc@localhost"),
        base_url=values.get("BASE_URL", "http://127.0.0.1:5000"),
        lease_seconds=_int(values, "LEASE_SECONDS", 30, 2, 3600),
        digest_hour=_int(values, "DIGEST_HOUR", 7, 0, 23),
        late_extensions=_flag(values, "LATE_EXTENSIONS", False),
        trusted_proxies=_int(values, "TRUSTED_PROXIES", 0, 0, 5),
    )
    return replace(config, **dict(overrides or {}))
