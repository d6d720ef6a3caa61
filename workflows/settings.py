"""Settings the domain rules read; the web layer fills them from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Settings:
    """Domain settings with the defaults a Sở would expect."""

    timezone: str = "Asia/Ho_Chi_Minh"
    due_soon_days: int = 3
    reminder_days: int = 3
    command_retries: int = 8
    workflow_cache_size: int = 256
    upload_dir: Path = Path("instance/uploads")
    max_upload_bytes: int = 20 * 1024 * 1024
    mail_enabled: bool = False
    late_extension_requests: bool = False

    @property
    def tz(self) -> ZoneInfo:
        """The local time zone due dates count in."""
        return ZoneInfo(self.timezone)
