"""Settings: environment over qltt.toml over defaults, and every QLTT_* setting documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler import config
from crawler.exceptions import ConfigError

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"`(QLTT_[A-Z0-9_]+)`", README.read_text(encoding="utf-8")))
    assert set(config.SETTINGS) - documented == set()


def test_every_setting_used_in_code_is_declared() -> None:
    root = README.parent
    used: set[str] = set()
    for folder in ("crawler", "spiders", "pipelines", "rules", "storage"):
        for path in (root / folder).rglob("*.py"):
            used |= set(re.findall(r"[\"'](QLTT_[A-Z0-9_]*[A-Z0-9])[\"']", path.read_text(encoding="utf-8")))
    # Scrapy-only settings passed by the commands that start crawls, and config's own file setting.
    scrapy_only = {"QLTT_RUN_TRIGGER", "QLTT_RUN_ID", "QLTT_CONFIG"}
    assert used - set(config.SETTINGS) - scrapy_only == set()


def test_environment_over_file_over_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "qltt.toml").write_text('QLTT_DB_NAME = "from_file"\nQLTT_PRICE_HISTORY_MAX = 7\n')
    monkeypatch.setenv("QLTT_CONFIG", str(tmp_path / "qltt.toml"))
    config._toml.cache_clear()
    try:
        assert config.get("QLTT_DB_NAME") == "from_file"
        monkeypatch.setenv("QLTT_DB_NAME", "from_env")
        assert config.get("QLTT_DB_NAME") == "from_env"
        assert config.get("QLTT_PRICE_HISTORY_MAX") == 7
        assert config.get("QLTT_LOG_LEVEL") == "INFO"
    finally:
        config._toml.cache_clear()


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QLTT_PRICE_HISTORY_MAX", "many")
    with pytest.raises(ConfigError, match="QLTT_PRICE_HISTORY_MAX"):
        config.get("QLTT_PRICE_HISTORY_MAX")
    with pytest.raises(ConfigError, match="unknown setting"):
        config.get("QLTT_NOPE")
