"""The periodic report's figures, counted from ``listings``, ``sellers``, ``reviews`` and ``runs``.

Definitions (all times compared in UTC, periods cut in Asia/Ho_Chi_Minh):

- **scanned**: listings seen at some time in the period (``first_seen < end`` and ``last_seen >= start``);
- **flagged**: scanned listings the rules flagged;
- **confirmed** / **referred**: distinct listings an inspector moved to that status in the period
  (the ``reviews`` audit trail, plus the listing's own ``review`` when it has no audit record);
- **by month**: listings *first seen* that month (new scanned, new flagged) and decisions taken that month;
- **by category / source / province**: scanned and flagged listings (a listing counts once in each of its
  categories; the province is the listing's, else its seller's);
- **top brands / sellers**: by number of flagged listings, the ``TOP`` largest.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pymongo.database import Database

from crawler.clean import province as canonical_province
from crawler.exports.period import Period, month_key

__all__ = ["TOP", "ReportFigures", "report_figures"]

TOP = 10
UNKNOWN = "(không rõ)"
_FIELDS = {"source": 1, "flag": 1, "categories": 1, "location": 1, "seller_id": 1, "brand": 1,
           "brand_canonical": 1, "risk": 1, "first_seen": 1, "review": 1}


@dataclass
class ReportFigures:
    """Everything the report shows; the ``by_*`` and ``top_*`` lists are table rows, largest first."""

    period: Period
    scanned: int = 0
    flagged: int = 0
    confirmed: int = 0
    referred: int = 0
    runs: int = 0
    failed_runs: int = 0
    by_month: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_source: list[tuple[str, int, int]] = field(default_factory=list)
    by_province: list[tuple[str, int, int]] = field(default_factory=list)
    top_brands: list[tuple[str, int, int]] = field(default_factory=list)
    top_sellers: list[tuple[str, str, str, str, int, int]] = field(default_factory=list)


def report_figures(db: Database, period: Period) -> ReportFigures:
    """Count the report's figures for ``period``."""
    docs = list(db["listings"].find({"first_seen": {"$lt": period.end}, "last_seen": {"$gte": period.start}},
                                    _FIELDS))
    flagged = [d for d in docs if d.get("flag")]
    sellers = {s["_id"]: s for s in db["sellers"].find({"_id": {"$in": sorted({d.get("seller_id") or ""
                                                                                 for d in docs} - {""})}})}
    decisions = _decisions(db, period)
    runs = list(db["runs"].find({"started_at": {"$gte": period.start, "$lt": period.end}}, {"status": 1}))
    return ReportFigures(
        period=period,
        scanned=len(docs),
        flagged=len(flagged),
        confirmed=len(decisions["confirmed"]),
        referred=len(decisions["referred"]),
        runs=len(runs),
        failed_runs=sum(r.get("status") not in ("finished", "running") for r in runs),
        by_month=_by_month(period, docs, decisions),
        by_category=_ranked(Counter(c for d in flagged for c in d.get("categories") or [])),
        by_source=_split(docs, lambda d: d.get("source") or UNKNOWN),
        by_province=_split(docs, lambda d: _province(d, sellers)),
        top_brands=_top_brands(flagged),
        top_sellers=_top_sellers(flagged, sellers),
    )


def _decisions(db: Database, period: Period) -> dict[str, dict[str, str]]:
    """Status -> {listing id: month of the decision} for confirmed and referred decisions in the period."""
    found: dict[str, dict[str, str]] = {"confirmed": {}, "referred": {}}
    in_period = {"$gte": period.start, "$lt": period.end}
    for record in db["reviews"].find({"to": {"$in": sorted(found)}, "at": in_period}).sort([("at", 1), ("_id", 1)]):
        found[record["to"]].setdefault(record["listing_id"], month_key(record["at"]))
    # A review written without an audit record (imports, older data) still counts, once.
    for doc in db["listings"].find({"review.status": {"$in": sorted(found)}, "review.at": in_period}, {"review": 1}):
        found[doc["review"]["status"]].setdefault(doc["_id"], month_key(doc["review"]["at"]))
    return found


def _by_month(period: Period, docs: list[dict[str, Any]],
              decisions: Mapping[str, Mapping[str, str]]) -> list[tuple[str, int, int, int, int]]:
    fresh = [d for d in docs if period.contains(d.get("first_seen"))]
    new = Counter(month_key(d["first_seen"]) for d in fresh)
    new_flagged = Counter(month_key(d["first_seen"]) for d in fresh if d.get("flag"))
    confirmed = Counter(decisions["confirmed"].values())
    referred = Counter(decisions["referred"].values())
    return [(m, new[m], new_flagged[m], confirmed[m], referred[m]) for m in period.months()]


def _split(docs: Iterable[dict[str, Any]], key: Any) -> list[tuple[str, int, int]]:
    """(key, scanned, flagged) per key, most flagged first."""
    scanned: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    for doc in docs:
        name = key(doc)
        scanned[name] += 1
        flagged[name] += bool(doc.get("flag"))
    return sorted(((k, scanned[k], flagged[k]) for k in scanned), key=lambda t: (-t[2], -t[1], t[0]))


def _province(doc: Mapping[str, Any], sellers: Mapping[str, Mapping[str, Any]]) -> str:
    raw = doc.get("location") or (sellers.get(doc.get("seller_id") or "") or {}).get("location")
    return canonical_province(raw) or UNKNOWN


def _top_brands(flagged: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    """(brand, flagged listings, distinct sellers), the TOP brands by flagged listings."""
    listings: Counter[str] = Counter()
    sellers: defaultdict[str, set[str]] = defaultdict(set)
    for doc in flagged:
        brand = doc.get("brand_canonical") or doc.get("brand")
        if brand:
            listings[brand] += 1
            sellers[brand].add(doc.get("seller_id") or doc["_id"])
    return [(b, n, len(sellers[b])) for b, n in _ranked(listings)[:TOP]]


def _top_sellers(flagged: list[dict[str, Any]],
                 sellers: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str, str, str, int, int]]:
    """(seller id, name, source, province, flagged listings, max risk), the TOP sellers."""
    counts = Counter(d["seller_id"] for d in flagged if d.get("seller_id"))
    max_risk: dict[str, int] = {}
    for doc in flagged:
        if doc.get("seller_id"):
            max_risk[doc["seller_id"]] = max(max_risk.get(doc["seller_id"], 0), int(doc.get("risk") or 0))
    rows = []
    for seller_id, n in sorted(counts.items(), key=lambda kv: (-kv[1], -max_risk[kv[0]], kv[0]))[:TOP]:
        seller = sellers.get(seller_id) or {}
        rows.append((seller_id, seller.get("name") or "", seller.get("source") or "",
                     canonical_province(seller.get("location")) or UNKNOWN, n, max_risk[seller_id]))
    return rows


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
