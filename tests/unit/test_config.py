"""Configuration comes from DONDOC_* variables, instance/config.toml and overrides."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from web.config import load_config


def test_defaults_put_everything_in_the_instance_folder(tmp_path: Path) -> None:
    config = load_config({"DONDOC_INSTANCE_DIR": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path / 'dondoc.db'}"
    assert config.timezone == "Asia/Ho_Chi_Minh"
    key_file = tmp_path / "secret_key"
    assert config.secret_key == key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_config({"DONDOC_INSTANCE_DIR": str(tmp_path)}).secret_key == config.secret_key


def test_environment_wins_over_config_toml(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('due_soon_days = 5\ntimezone = "Asia/Bangkok"\n')
    config = load_config(
        {
            "DONDOC_INSTANCE_DIR": str(tmp_path),
            "DONDOC_TIMEZONE": "Asia/Ho_Chi_Minh",
            "DONDOC_SECRET_KEY": "k",
        }
    )
    assert (config.due_soon_days, config.timezone, config.secret_key) == (
        5,
        "Asia/Ho_Chi_Minh",
        "k",
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DONDOC_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("DONDOC_DUE_SOON_DAYS", "three", "whole number"),
        ("DONDOC_MAX_UPLOAD_MB", "0", "between"),
    ],
)
def test_bad_settings_are_refused_clearly(tmp_path: Path, name, value, message) -> None:
    with pytest.raises(ValueError, match=message):
        load_config({"DONDOC_INSTANCE_DIR": str(tmp_path), "DONDOC_SECRET_KEY": "k", name: value})
