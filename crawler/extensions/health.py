"""Crawl health: monitors over a finished run's stats, the Spidermon way, with thresholds from settings.

Spidermon's model is a suite of monitors run when the spider closes, each checking one aspect of
the run's stats against a threshold and failing with a message. Spidermon itself would pull in its
own settings, actions and unittest runner for what is here a dozen checks, so this module keeps the
model and not the dependency: each monitor is a function ``(facts, thresholds) -> findings``, a
finding is a level (``degraded`` or ``broken``) and a Vietnamese sentence naming the source, and
the run's health is its worst finding. ``crawler.extensions.runrecord.RunRecorder`` runs the suite
when a crawl closes and stores ``health: {status, reasons}`` on the run; ``format_health`` is how
the CLI and the console show it.

Stats read: ``finish_reason``, ``downloader/request_count``, ``response_received_count``,
``retry/count``, ``qltt/page/<kind>_count`` (blocked, parse, http, network), ``spider_exceptions/count``,
``qltt/store/listing_received_count``, ``qltt/store/empty_<field>_count``,
``item_dropped_reasons_count/InvalidItem`` (listings without a title), ``qltt/store/spooled_count``
and ``qltt/store/lost_count`` (a database outage), ``qltt/evidence/failed_count``,
``playwright/page_count`` and ``qltt/playwright/page_crashed_count``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from storage.values import bson_safe

__all__ = ["LEVELS", "Health", "Thresholds", "assess", "format_health", "page_errors", "previous_counts",
           "source_name"]

LEVELS = ("ok", "degraded", "broken")
STATUS_LABELS = {"ok": "tốt", "degraded": "suy giảm", "broken": "hỏng"}
SOURCE_NAMES = {
    "tiki": "Tiki", "shopee": "Shopee", "lazada": "Lazada", "sendo": "Sendo", "tiktok": "TikTok Shop",
    "facebook": "Facebook", "website": "Website",
}
FIELD_NAMES = {"title": "tiêu đề", "price": "giá", "seller_id": "người bán", "images": "ảnh", "description": "mô tả"}
FIX_PARSER = "bộ thu thập cần cập nhật"


@dataclass(frozen=True)
class Thresholds:
    """Shares are fractions (0.1 = 10 %). Read from the ``QLTT_HEALTH_*`` settings."""

    blocked_share: float = 0.1
    broken_share: float = 0.5
    error_rate: float = 0.2
    retry_rate: float = 0.3
    empty_field_share: float = 0.3
    item_drop: float = 0.5
    crash_rate: float = 0.05
    history: int = 5

    @classmethod
    def from_settings(cls, get: Callable[[str, Any], Any]) -> Thresholds:
        """``get(name, default)``, e.g. Scrapy's ``settings.get``."""
        values = {name: type(default)(get(f"QLTT_HEALTH_{name.upper()}", default))
                  for name, default in cls().__dict__.items()}
        return cls(**values)


@dataclass
class Health:
    status: str = "ok"
    reasons: list[str] = field(default_factory=list)

    def add(self, level: str, reason: str) -> None:
        self.reasons.append(reason)
        if LEVELS.index(level) > LEVELS.index(self.status):
            self.status = level

    def to_doc(self) -> dict[str, Any]:
        return {"status": self.status, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class _Facts:
    source: str
    stats: Mapping[str, Any]
    previous: Sequence[int]
    partial: bool  # the run holds part of a job only (resumed, or one worker's share of a shared queue)

    def n(self, key: str) -> int:
        value = self.stats.get(key, 0)
        return value if isinstance(value, int) else 0

    @property
    def listings(self) -> int:
        return self.n("qltt/store/listing_received_count")


Finding = tuple[str, str]
Monitor = Callable[[_Facts, Thresholds], Iterator[Finding]]


def source_name(spider: str) -> str:
    return SOURCE_NAMES.get(spider, spider.capitalize())


def _pct(share: float) -> str:
    return f"{round(share * 100)} %"


def _graded(share: float, warn: float, broken: float) -> str | None:
    if share >= broken:
        return "broken"
    return "degraded" if share >= warn else None


def finish_reason(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    reason = f.stats.get("finish_reason")
    if reason in (None, "finished"):
        return
    if reason in ("shutdown", "cancelled"):
        yield "degraded", f"{f.source}: lượt chạy bị dừng giữa chừng ({reason})"
    elif reason == "closespider_timeout":
        yield "degraded", f"{f.source}: lượt chạy dừng vì quá thời gian tối đa"
    else:
        yield "broken", f"{f.source}: lượt chạy kết thúc bất thường ({reason})"


def nothing_fetched(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    if f.n("downloader/request_count") and not f.n("response_received_count"):
        yield "broken", f"{f.source}: không tải được trang nào — nguồn không truy cập được"


def page_errors(stats: Mapping[str, Any]) -> int:
    """Pages (or targets) the spider reported as failed, every kind together (``qltt/page/<kind>_count``)."""
    return sum(v for k, v in stats.items() if k.startswith("qltt/page/") and isinstance(v, int))


def nothing_requested(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    """Every target was refused before any request (a shop the spider cannot follow, a malformed URL): the
    run did nothing, which must not read as a healthy run. A worker or resumed job may have had nothing left."""
    did = f.n("downloader/request_count") or f.n("response_received_count") or f.listings
    if f.partial or did or f.stats.get("finish_reason") not in (None, "finished"):
        return
    refused = page_errors(f.stats)
    detail = f"{refused} mục tiêu bị từ chối (xem lỗi của lượt chạy: qltt runs)" if refused else "không có mục tiêu"
    yield "broken", f"{f.source}: không gửi yêu cầu nào — {detail}"


def blocked(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    pages = f.n("response_received_count")
    share = f.n("qltt/page/blocked_count") / pages if pages else 0.0
    level = _graded(share, t.blocked_share, t.broken_share)
    if level == "broken":
        yield level, f"{f.source}: {_pct(share)} trang bị chặn — {FIX_PARSER}"
    elif level:
        yield level, f"{f.source}: {_pct(share)} trang bị chặn (captcha, tường đăng nhập)"


def unreadable(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    pages = f.n("response_received_count")
    share = f.n("qltt/page/parse_count") / pages if pages else 0.0
    if level := _graded(share, t.error_rate, t.broken_share):
        yield level, f"{f.source}: {_pct(share)} trang không đọc được — cấu trúc trang có thể đã đổi, {FIX_PARSER}"


def errors(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    requests = f.n("downloader/request_count")
    failed = f.n("qltt/page/http_count") + f.n("qltt/page/network_count") + f.n("spider_exceptions/count")
    share = failed / requests if requests else 0.0
    if level := _graded(share, t.error_rate, t.broken_share):
        yield level, f"{f.source}: {_pct(share)} yêu cầu bị lỗi (HTTP, mạng hoặc lỗi bộ thu thập)"


def retries(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    requests = f.n("downloader/request_count")
    share = f.n("retry/count") / requests if requests else 0.0
    if requests and share >= t.retry_rate:
        yield "degraded", f"{f.source}: {_pct(share)} yêu cầu phải thử lại (máy chủ chậm hoặc giới hạn tốc độ)"


def empty_fields(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    untitled = f.n("item_dropped_reasons_count/InvalidItem")
    total = f.listings + untitled
    if not total:
        return
    empties = {"title": untitled} | {
        key.removeprefix("qltt/store/empty_").removesuffix("_count"): f.n(key)
        for key in f.stats if key.startswith("qltt/store/empty_")
    }
    for name, count in sorted(empties.items()):
        share = count / total
        if level := _graded(share, t.empty_field_share, t.broken_share):
            tail = f" — {FIX_PARSER}" if level == "broken" else ""
            yield level, f"{f.source}: {_pct(share)} tin đăng thiếu {FIELD_NAMES.get(name, name)}{tail}"


def item_count(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    if f.partial or not f.previous or f.stats.get("finish_reason") not in (None, "finished"):
        return
    baseline = statistics.median(f.previous)
    if baseline and not f.listings:
        yield "broken", f"{f.source}: không thu được tin đăng nào (các lượt trước: khoảng {baseline:g})"
    elif baseline and f.listings < baseline * (1 - t.item_drop):
        yield "degraded", f"{f.source}: chỉ thu được {f.listings} tin đăng, các lượt trước khoảng {baseline:g}"


def crashes(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    crashed = f.n("qltt/playwright/page_crashed_count")
    rendered = f.n("playwright/page_count")
    share = crashed / rendered if rendered else float(bool(crashed))
    if crashed and (level := _graded(share, t.crash_rate, t.broken_share)):
        yield level, f"{f.source}: {crashed} trang trình duyệt bị sập ({_pct(share)})"


def outage(f: _Facts, t: Thresholds) -> Iterator[Finding]:
    """An outage loses nothing that reached the spool; what could not even be spooled is lost."""
    if lost := f.n("qltt/store/lost_count"):
        yield "broken", f"{f.source}: {lost} mục bị mất — không ghi được vào cơ sở dữ liệu lẫn hàng đợi cục bộ"
    if spooled := f.n("qltt/store/spooled_count"):
        yield "degraded", (f"{f.source}: cơ sở dữ liệu gián đoạn, {spooled} mục được lưu tạm vào hàng đợi cục bộ "
                           "(qltt spool replay)")
    if failed := f.n("qltt/evidence/failed_count"):
        yield "degraded", f"{f.source}: {failed} bằng chứng không lưu được"


MONITORS: tuple[Monitor, ...] = (
    finish_reason, nothing_fetched, nothing_requested, blocked, unreadable, errors, retries, empty_fields, item_count,
    crashes, outage,
)


def assess(spider: str, stats: Mapping[str, Any], previous: Sequence[int] = (),
           thresholds: Thresholds | None = None, partial: bool = False) -> Health:
    """Run every monitor over a closed run; ``previous`` are item counts of earlier runs of the same job,
    not compared when the run is ``partial`` (a resumed job, a worker's share of a distributed crawl)."""
    facts = _Facts(source_name(spider), stats, previous, partial)
    health = Health()
    for monitor in MONITORS:
        for level, reason in monitor(facts, thresholds or Thresholds()):
            health.add(level, reason)
    return health


def previous_counts(runs: Iterable[Mapping[str, Any]], args: Mapping[str, Any], history: int = 5) -> list[int]:
    """Listing counts of the latest finished, complete runs with the same arguments (newest first in ``runs``);
    a worker's run is one share of a distributed crawl, not a complete run."""
    wanted = bson_safe(dict(args))
    counts = [
        int(run["counts"].get("received", run["counts"].get("listings", 0)))
        for run in runs
        if run.get("status") == "finished" and run.get("args") == wanted and not run.get("resumed_from")
        and run.get("trigger") != "worker" and run.get("counts")
    ]
    return counts[:history]


def format_health(run: Mapping[str, Any]) -> str:
    """One line for ``qltt runs`` and the console, e.g. ``hỏng: Tiki: 92 % trang bị chặn — ...``."""
    health = run.get("health")
    if not health:
        return "chưa đánh giá"
    label = STATUS_LABELS.get(health.get("status", ""), health.get("status", "?"))
    reasons = health.get("reasons") or []
    return f"{label}: {'; '.join(reasons)}" if reasons else label
