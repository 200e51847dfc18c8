"""Values as qltt stores them: UTC datetimes at BSON's millisecond precision, BSON-safe documents."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

__all__ = ["as_utc", "bson_safe", "utcnow"]

_INT64 = 2**63
_PLAIN = (str, bool, float, bytes)  # bool before int: True is an int
_PLAIN_TYPES = frozenset({str, bool, float, bytes, type(None)})  # kept as they are, without a call


def utcnow() -> datetime:
    """Now in UTC, cut to milliseconds so the value held equals the value read back."""
    return as_utc(datetime.now(UTC))


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC at millisecond precision; a naive datetime is taken to be UTC already."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def bson_safe(value: Any) -> Any:
    """A copy of ``value`` MongoDB accepts: keys without '.' or '$', no Python-only types.

    Scrapy stats are the typical input: keys like ``downloader/response_status_count/200`` or
    ``log_count/INFO`` are fine, but custom keys may hold dots, and values may be timedeltas.
    Every listing written goes through here, so exact plain types, dicts and lists take a fast path
    (``bench/store.py``); everything else, subclasses included, the general one.
    """
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if kind is dict:
        return {_safe_key(k): v if type(v) in _PLAIN_TYPES else bson_safe(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _PLAIN_TYPES else bson_safe(v) for v in value]
    return _converted(value)


def _converted(value: Any) -> Any:
    if value is None or isinstance(value, _PLAIN):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, Mapping):
        return {_safe_key(k): bson_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [bson_safe(v) for v in value]
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _safe_key(key: Any) -> str:
    if type(key) is str and key and "." not in key and "$" not in key:
        return key
    text = str(key).replace(".", "_").replace("$", "")
    return text or "_"
