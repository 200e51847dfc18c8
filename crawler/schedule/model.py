"""The schedule file: named crawl jobs with a cron time in Asia/Ho_Chi_Minh, read and validated in one go.

A mistake in the file must stop ``qltt schedule run`` at start, naming the job and the field, rather than
surface at 01:00 as a failed crawl nobody reads. Messages are Vietnamese first, then English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from apscheduler.triggers.cron import CronTrigger

from crawler.cli.common import LOCAL_TZ
from crawler.exceptions import ConfigError

__all__ = ["QUERY_SOURCES", "Job", "Schedule", "cron_trigger", "load_schedule", "parse_schedule"]

QUERY_SOURCES = ("brands", "banned")
_LIST_FIELDS = {"query": "query", "url": "url", "shop": "shop", "domain": "domain"}
_KNOWN = {"cron", "spider", "queries_from", "max_queries", "max_pages", "since", "timeout", "enabled", "description"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DURATION = re.compile(r"^(\d+)\s*([smh]?)$")


@dataclass(frozen=True)
class Job:
    """One scheduled crawl. ``arguments`` are the spider arguments except queries drawn from rule sets."""

    name: str
    cron: str
    spider: str
    arguments: dict[str, Any] = field(default_factory=dict)
    queries_from: tuple[str, ...] = ()
    max_queries: int | None = None
    timeout: int | None = None
    enabled: bool = True
    description: str = ""

    @property
    def trigger(self) -> CronTrigger:
        return cron_trigger(self.cron)


@dataclass(frozen=True)
class Schedule:
    path: Path
    jobs: dict[str, Job]

    def job(self, name: str) -> Job:
        try:
            return self.jobs[name]
        except KeyError:
            known = ", ".join(self.jobs) or "không có"
            raise ConfigError(f"{self.path}: không có công việc {name!r} (no job {name!r}; có: {known})") from None


def cron_trigger(expr: str) -> CronTrigger:
    """A 5-field crontab expression in Asia/Ho_Chi_Minh, with crontab's weekdays (0 and 7 are Sunday).

    APScheduler 3 numbers weekdays from Monday; numeric weekdays are rewritten as names so the file
    means what it means in ``crontab(5)``.
    """
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"cần đúng 5 trường (phút giờ ngày tháng thứ), có {len(fields)}")
    fields[4] = _crontab_weekdays(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=LOCAL_TZ)


def _crontab_weekdays(spec: str) -> str:
    if spec == "*" or re.search(r"[a-z]", spec, re.IGNORECASE):
        return spec
    days: set[int] = set()
    for part in spec.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            low, high = 0, 6
        else:
            low_s, _, high_s = span.partition("-")
            low, high = int(low_s), int(high_s or (6 if step else low_s))
        if not (0 <= low <= 7 and 0 <= high <= 7 and low <= high):
            raise ValueError(f"thứ trong tuần ngoài khoảng 0-7: {part!r}")
        days |= {d % 7 for d in range(low, high + 1, int(step or 1))}
    return ",".join(_DOW_NAMES[d] for d in sorted(days))


def load_schedule(path: Path | str) -> Schedule:
    """Read and validate a schedule file; ``ConfigError`` names the file, the job and the field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: không đọc được tệp lịch (cannot read schedule file): {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML không hợp lệ (invalid YAML): {exc}") from exc
    return parse_schedule(data, path)


def parse_schedule(data: Any, path: Path) -> Schedule:
    if not isinstance(data, Mapping) or not isinstance(data.get("jobs"), Mapping):
        raise ConfigError(f"{path}: cần khóa 'jobs' là một bảng tên → công việc (expected a 'jobs' mapping)")
    unknown = set(data) - {"jobs"}
    if unknown:
        raise ConfigError(f"{path}: khóa không hợp lệ (unknown key) {sorted(unknown)[0]!r}")
    jobs = {}
    for name, raw in data["jobs"].items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"{path}: tên công việc không hợp lệ (invalid job name) {name!r}: chữ, số, - _ .")
        try:
            jobs[name] = _parse_job(name, raw)
        except _FieldError as exc:
            raise ConfigError(
                f"{path}: công việc {name!r}, trường {exc.field!r}: {exc.message} (job {name!r}, field {exc.field!r})"
            ) from None
    return Schedule(path, jobs)


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _parse_job(name: str, raw: Any) -> Job:
    if not isinstance(raw, Mapping):
        raise _FieldError("*", "công việc phải là một bảng khóa → giá trị")
    unknown = set(raw) - _KNOWN - set(_LIST_FIELDS)
    if unknown:
        raise _FieldError(sorted(unknown)[0], "khóa không được hỗ trợ")
    cron = _required_str(raw, "cron")
    try:
        cron_trigger(cron)
    except ValueError as exc:
        raise _FieldError("cron", f"biểu thức cron không hợp lệ {cron!r}: {exc}") from None
    arguments: dict[str, Any] = {}
    for key, argument in _LIST_FIELDS.items():
        if key in raw:
            arguments[argument] = _string_list(raw, key)
    if "max_pages" in raw:
        arguments["max_pages"] = _positive_int(raw, "max_pages")
    if "since" in raw:
        arguments["since"] = str(raw["since"])
    queries_from = tuple(_string_list(raw, "queries_from")) if "queries_from" in raw else ()
    bad = [q for q in queries_from if q not in QUERY_SOURCES]
    if bad:
        raise _FieldError("queries_from", f"chỉ nhận {', '.join(QUERY_SOURCES)}, không phải {bad[0]!r}")
    if not (queries_from or any(k in arguments for k in ("query", "url", "shop", "domain"))):
        raise _FieldError("query", "cần ít nhất một trong query, queries_from, url, shop, domain")
    return Job(
        name=name,
        cron=cron,
        spider=_required_str(raw, "spider"),
        arguments=arguments,
        queries_from=queries_from,
        max_queries=_positive_int(raw, "max_queries") if "max_queries" in raw else None,
        timeout=_duration(raw, "timeout") if "timeout" in raw else None,
        enabled=_bool(raw, "enabled"),
        description=str(raw.get("description") or ""),
    )


def _required_str(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _FieldError(key, "bắt buộc, là một chuỗi (required string)")
    return value.strip()


def _string_list(raw: Mapping[str, Any], key: str) -> list[str]:
    value = raw[key]
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str | int) for v in values):
        raise _FieldError(key, "cần một chuỗi hoặc danh sách chuỗi không rỗng")
    out = [str(v).strip() for v in values if str(v).strip()]
    if any("|" in v for v in out):
        raise _FieldError(key, "giá trị không được chứa ký tự '|'")
    return out


def _positive_int(raw: Mapping[str, Any], key: str) -> int:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _FieldError(key, f"cần một số nguyên dương, không phải {value!r}")
    return value


def _bool(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, True)
    if not isinstance(value, bool):
        raise _FieldError(key, f"cần true hoặc false, không phải {value!r}")
    return value


def _duration(raw: Mapping[str, Any], key: str) -> int:
    """Seconds from ``5400``, ``"90m"``, ``"2h"`` or ``"30s"``."""
    match = _DURATION.match(str(raw[key]).strip().lower())
    seconds = int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)] if match else 0
    if seconds < 1:
        raise _FieldError(key, f"cần thời lượng dương như 5400, '90m', '2h', không phải {raw[key]!r}")
    return seconds
