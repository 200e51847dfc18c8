"""Every ``QLTT_*`` setting in one place: environment over ``qltt.toml`` over the defaults here.

A setting not declared here does not exist; ``tests/test_config.py`` checks that each one is
documented in the README, so adding a setting means adding it to both.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from crawler.exceptions import ConfigError

__all__ = ["SETTINGS", "Setting", "data_dir", "get", "split_paths"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str

    def parse(self, raw: str) -> Any:
        """Parse an environment string into the type of the default."""
        kind = type(self.default)
        try:
            if kind is bool:
                return raw.strip().lower() in {"1", "true", "yes", "on"}
            if kind is int:
                return int(raw)
            if kind is float:
                return float(raw)
        except ValueError as exc:
            raise ConfigError(f"{self.name}={raw!r}: expected {kind.__name__}") from exc
        return raw


_DECLARED = [
    Setting("QLTT_DATA_DIR", "var", "Where the embedded database, evidence, spool and logs live."),
    Setting("QLTT_MONGO_URI", "", "A mongodb:// URI of a real MongoDB; empty means the embedded store."),
    Setting("QLTT_DB_NAME", "qltt", "Database name inside MongoDB or the embedded store."),
    Setting("QLTT_EMBEDDED_PORT", 0, "Loopback port of the embedded store; 0 picks a free one."),
    Setting("QLTT_MONGO_TIMEOUT_MS", 5000, "Milliseconds to wait for the database before calling it unreachable."),
    Setting("QLTT_PRICE_HISTORY_MAX", 50, "How many price changes a listing keeps."),
    Setting("QLTT_PROXY", "", "HTTP proxy for every request (the sandbox sets this in demo and tests)."),
    Setting("QLTT_TIKI_BASE_URL", "https://tiki.vn", "Base URL of Tiki's site and JSON API."),
    Setting("QLTT_TIKI_API_URL", "https://api.tiki.vn", "Base URL of Tiki's seller-widget API host."),
    Setting("QLTT_FACEBOOK_BASE_URL", "https://m.facebook.com", "Base URL of Facebook's public feeds and posts."),
    Setting("QLTT_SHOPEE_BASE_URL", "https://shopee.vn", "Base URL of Shopee's site (its pages fetch /api/v4)."),
    Setting("QLTT_TIKTOK_BASE_URL", "https://www.tiktok.com", "Base URL of TikTok Shop's pages."),
    Setting("QLTT_LAZADA_BASE_URL", "https://www.lazada.vn", "Base URL of Lazada's site (search, products, stores)."),
    Setting("QLTT_SENDO_BASE_URL", "https://www.sendo.vn",
            "Sendo's site; its domain holds the searchlist-api, detail-api and shop-home API hosts."),
    Setting("QLTT_ROBOTS_OBEY", "none", "Spiders that obey robots.txt: all, none, or a comma list (lazada,website)."),
    Setting("QLTT_POLITE", True, "Apply each source's download delays and AutoThrottle (false only for the sandbox)."),
    Setting("QLTT_USER_AGENT_ROTATION", "session",
            "Desktop browser user agents: session (one per crawl), request (one per request) or off."),
    Setting("QLTT_RETRY_BACKOFF_BASE", 1.0, "Seconds before the first retry of a 429/5xx; doubles at each retry."),
    Setting("QLTT_RETRY_BACKOFF_MAX", 60.0, "Longest wait before a retry; a longer Retry-After means give up."),
    Setting("QLTT_NATIVE", True, "Run the rule engine compiled when built for its source (qltt rules build)."),
    Setting("QLTT_RULES_DIR", "", "Extra rule-set folders, separated by ':', loaded after the shipped rules/sets."),
    Setting("QLTT_WATCHLISTS", "", "Extra watchlist CSV files, separated by ':'."),
    Setting("QLTT_DOWNLOAD_MAXSIZE", 16 * 1024 * 1024, "Largest response body accepted, in bytes, also decompressed."),
    Setting("QLTT_LOG_LEVEL", "INFO", "Log level of crawls and commands."),
    Setting("QLTT_EVIDENCE_DIR", "", "Evidence blob folder (WARC, screenshots); empty means <QLTT_DATA_DIR>/evidence."),
    Setting("QLTT_SCREENSHOTS", False, "Also screenshot plain-HTTP pages of flagged listings (chromium)."),
    Setting("QLTT_CONSOLE_HOST", "127.0.0.1", "Address the review console listens on (qltt console)."),
    Setting("QLTT_CONSOLE_PORT", 8080, "Port of the review console."),
    Setting("QLTT_CONSOLE_SESSION_HOURS", 12, "Hours a console sign-in lasts before signing in again."),
    Setting("QLTT_CONSOLE_SECURE_COOKIES", False, "Mark console cookies Secure (set when served over HTTPS)."),
    Setting("QLTT_SCHEDULE_FILE", "schedule.yaml", "The schedule of crawl jobs read by qltt schedule."),
    Setting("QLTT_JOB_TIMEOUT", 14400, "Seconds a scheduled or tip crawl may run before it is killed (timeout)."),
    Setting("QLTT_MISFIRE_GRACE_HOURS", 18, "Hours after its time a missed scheduled job still runs (once)."),
    Setting("QLTT_RUN_TIMEOUT", 6 * 3600, "Seconds after which a crawl closes itself (CLOSESPIDER_TIMEOUT); 0 = none."),
    Setting("QLTT_SPOOL_RETRY_S", 30.0, "Seconds between attempts to leave the local spool during a database outage."),
    Setting("QLTT_HEALTH_BLOCKED_SHARE", 0.1, "Share of block/captcha/login pages that makes a run degraded."),
    Setting("QLTT_HEALTH_BROKEN_SHARE", 0.5, "Share of blocked, unreadable or failed pages (or of listings missing "
            "a required field) that makes a run broken."),
    Setting("QLTT_HEALTH_ERROR_RATE", 0.2, "Share of failed requests or unreadable pages that makes a run degraded."),
    Setting("QLTT_HEALTH_RETRY_RATE", 0.3, "Share of retried requests that makes a run degraded."),
    Setting("QLTT_HEALTH_EMPTY_FIELD_SHARE", 0.3, "Share of listings missing a required field making a run degraded."),
    Setting("QLTT_HEALTH_REQUIRED_FIELDS", "price,seller_id", "Listing fields counted when empty (comma-separated)."),
    Setting("QLTT_HEALTH_ITEM_DROP", 0.5, "Drop in listings against earlier runs of the same job that is an alert."),
    Setting("QLTT_HEALTH_HISTORY", 5, "How many earlier runs of the same job the listing count is compared with."),
    Setting("QLTT_HEALTH_CRASH_RATE", 0.05, "Share of crashed browser pages that makes a run degraded."),
    Setting("QLTT_REDIS_URL", "", "redis:// URL of the shared crawl queue (qltt worker/enqueue); empty = local only."),
    Setting("QLTT_REDIS_LEASE_S", 60.0, "Seconds a silent worker keeps its requests before others take them back."),
    Setting("QLTT_WORKER_IDLE_CLOSE", 0.0, "Seconds without work after which a worker stops; 0 = wait for jobs."),
    Setting("QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT", 100, "Pages a browser context renders before it is replaced."),
    Setting("QLTT_PLAYWRIGHT_MAX_CONTEXTS", 2, "Browser contexts open at once (PLAYWRIGHT_MAX_CONTEXTS)."),
    Setting("QLTT_PLAYWRIGHT_MAX_PAGES", 8, "Pages open at once in one context (PLAYWRIGHT_MAX_PAGES_PER_CONTEXT)."),
]

SETTINGS: dict[str, Setting] = {s.name: s for s in _DECLARED}


@cache
def _toml() -> dict[str, Any]:
    path = Path(os.environ.get("QLTT_CONFIG", "qltt.toml"))
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return {str(k).upper(): v for k, v in data.items()}


def get(name: str) -> Any:
    """The value of a declared setting; unknown names are a programming error."""
    try:
        setting = SETTINGS[name]
    except KeyError:
        raise ConfigError(f"unknown setting {name}") from None
    if name in os.environ:
        return setting.parse(os.environ[name])
    from_file = _toml()
    if name in from_file:
        return from_file[name]
    return setting.default


def split_paths(value: str | None) -> list[Path]:
    """A setting holding paths separated by ':' (like ``PATH``); empty parts are ignored."""
    return [Path(part).expanduser() for part in (value or "").split(":") if part]


def data_dir() -> Path:
    """The data folder, created on first use."""
    path = Path(get("QLTT_DATA_DIR")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
