"""The inspection plan: which traders to inspect first, and what to bring.

Listings considered: flagged by the rules, or reviewed as confirmed / referred, and never
dismissed unless ``--status dismissed`` asks for them. Filters narrow that set (``since`` on
``last_seen``, ``category``, ``min_risk`` on each listing's risk, ``status`` on its review status);
``province`` keeps the traders with an account or listing in that province.

One row per **trader**, not per account: sellers sharing an identity key (phone, e-mail, tax code,
domain) are the same operator on several platforms, and an inspection visits the operator once.
The row is named and identified by the trader's account with most listings in the plan (ties: the
smallest seller id). Accounts linked to a trader with no listing of their own in the plan are still
listed (as accounts and platforms) so the inspector sees the whole footprint.

Priority (higher first; ties by confirmed count, then trader id)::

    priority = 0.4·max_risk + 0.2·mean_risk
             + 10·log2(1 + severity_points)
             + 5·log10(1 + sold)
             + 15·min(watchlist_hits, 3)

``severity_points`` sums, over the trader's listings, the weight of the listing's worst finding
(low 1, medium 2, high 3, critical 4; a numeric severity 1-4 is that level, above 4 it is read as
0-100), doubled when an inspector confirmed or referred the listing. The logarithms keep a shop
with hundreds of weak listings from outranking one with a few confirmed critical ones; a
watchlist hit (an operator already known to the force) weighs as much as 15 risk points.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from pymongo.database import Database

from crawler.clean import province as canonical_province
from crawler.clean import strip_accents
from crawler.cli.common import LOCAL_TZ
from storage.reviews import STATUSES, status_of

__all__ = ["DEFAULT_STATUSES", "PlanFilter", "PlanRow", "build_plan", "priority", "severity_weight"]

DEFAULT_STATUSES = ("new", "confirmed", "referred")
REVIEWED = frozenset({"confirmed", "referred"})
SEVERITY_WEIGHTS = {"low": 1, "medium": 2, "high": 3, "critical": 4}
EXAMPLES_KEPT = 5
EVIDENCE_KEPT = 10
UNKNOWN_PROVINCE = "Chưa rõ tỉnh"


@dataclass(frozen=True)
class PlanFilter:
    """What ``qltt export plan`` was asked for; the empty filter is the whole plan."""

    province: str | None = None
    since: date | None = None
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    category: str | None = None
    min_risk: int = 0

    def __post_init__(self) -> None:
        unknown = set(self.statuses) - set(STATUSES)
        if unknown:
            raise ValueError(f"trạng thái không hợp lệ: {', '.join(sorted(unknown))}")


@dataclass
class PlanRow:
    """One trader to inspect, with the figures its priority comes from."""

    trader_id: str
    name: str
    province: str
    provinces: list[str]
    platforms: list[str]
    accounts: list[str]
    account_urls: list[str]
    identity_keys: list[str]
    categories: list[str]
    listing_count: int
    reviewed_count: int
    max_risk: int
    mean_risk: float
    severity_points: int
    sold: int
    watchlist_hits: list[str]
    example_urls: list[str]
    example_titles: list[str]
    evidence: list[str]
    priority: float = 0.0
    listing_ids: list[str] = field(default_factory=list)


def severity_weight(severity: Any) -> int:
    """Weight 1-4 of a finding's severity, whether named or numeric (see the module docstring)."""
    if isinstance(severity, bool):
        return 1
    if isinstance(severity, int | float):
        level = severity if severity <= 4 else 1 + min(severity, 99.9) // 25
        return int(min(max(round(level), 1), 4))
    return SEVERITY_WEIGHTS.get(str(severity or "").strip().lower(), 1)


def priority(max_risk: float, mean_risk: float, severity_points: float, sold: float, watchlist_hits: int) -> float:
    """The documented priority score (module docstring), rounded to one decimal."""
    value = (0.4 * max_risk + 0.2 * mean_risk + 10 * math.log2(1 + severity_points)
             + 5 * math.log10(1 + max(sold, 0)) + 15 * min(watchlist_hits, 3))
    return round(value, 1)


def build_plan(db: Database, plan_filter: PlanFilter | None = None) -> list[PlanRow]:
    """The plan's rows, highest priority first."""
    plan_filter = plan_filter or PlanFilter()
    listings = [d for d in db["listings"].find(_query(plan_filter)) if status_of(d) in plan_filter.statuses]
    seller_ids = {d["seller_id"] for d in listings if d.get("seller_id")}
    sellers = _sellers_with_linked(db, seller_ids)
    groups = _traders(sellers)
    by_trader: dict[str, list[dict[str, Any]]] = {}
    for doc in listings:
        key = groups.get(doc.get("seller_id") or "", doc.get("seller_id") or f"listing:{doc['_id']}")
        by_trader.setdefault(key, []).append(doc)
    members: dict[str, list[dict[str, Any]]] = {}
    for seller in sellers.values():
        members.setdefault(groups[seller["_id"]], []).append(seller)
    rows = [_row(key, docs, members.get(key, [])) for key, docs in by_trader.items()]
    if plan_filter.province:
        wanted = _province_key(plan_filter.province)
        rows = [r for r in rows if wanted in {_province_key(p) for p in r.provinces}]
    return sorted(rows, key=lambda r: (-r.priority, -r.reviewed_count, r.trader_id))


def _query(plan_filter: PlanFilter) -> dict[str, Any]:
    wanted: list[dict[str, Any]] = [{"flag": True}, {"review.status": {"$in": sorted(REVIEWED)}}]
    if "dismissed" in plan_filter.statuses:
        wanted.append({"review.status": "dismissed"})
    clauses: list[dict[str, Any]] = [{"$or": wanted}]
    if plan_filter.since:
        clauses.append({"last_seen": {"$gte": datetime.combine(plan_filter.since, time.min, LOCAL_TZ)}})
    if plan_filter.category:
        clauses.append({"categories": plan_filter.category})
    if plan_filter.min_risk:
        clauses.append({"risk": {"$gte": plan_filter.min_risk}})
    return {"$and": clauses}


def _sellers_with_linked(db: Database, seller_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The sellers of the plan's listings and every seller linked to them through identity keys, transitively."""
    found = {s["_id"]: s for s in db["sellers"].find({"_id": {"$in": sorted(seller_ids)}})}
    asked: set[str] = set()
    while keys := {k for s in found.values() for k in s.get("identity_keys") or []} - asked:
        asked |= keys
        found.update({s["_id"]: s for s in db["sellers"].find({"identity_keys": {"$in": sorted(keys)}})})
    return found


def _traders(sellers: Mapping[str, dict[str, Any]]) -> dict[str, str]:
    """Seller id -> group id (its smallest seller id), sellers joined by shared identity keys."""
    parent = {sid: sid for sid in sellers}

    def root(sid: str) -> str:
        while parent[sid] != sid:
            parent[sid] = parent[parent[sid]]
            sid = parent[sid]
        return sid

    first_with_key: dict[str, str] = {}
    for sid in sorted(sellers):
        for key in sellers[sid].get("identity_keys") or []:
            other = first_with_key.setdefault(key, sid)
            a, b = sorted((root(sid), root(other)))
            parent[b] = a
    return {sid: root(sid) for sid in sellers}


def _row(group: str, docs: list[dict[str, Any]], accounts: list[dict[str, Any]]) -> PlanRow:
    """The row of one trader; ``group`` names it when no account of it is stored."""
    docs = sorted(docs, key=lambda d: (-(d.get("risk") or 0), str(d["_id"])))
    risks = [int(d.get("risk") or 0) for d in docs]
    points = sum(_listing_points(d) for d in docs)
    sold = sum(int(d.get("sold") or 0) for d in docs if not isinstance(d.get("sold"), bool))
    hits = _unique(h for s in accounts for h in s.get("watchlist_hits") or [])
    provinces = _provinces(docs, accounts)
    lead = _lead_account(docs, accounts)
    trader_id = (lead or {}).get("_id") or group
    row = PlanRow(
        trader_id=trader_id,
        name=(lead or {}).get("name") or trader_id,
        province=provinces[0] if provinces else UNKNOWN_PROVINCE,
        provinces=provinces,
        platforms=sorted({str(x["source"]) for x in (*accounts, *docs) if x.get("source")}),
        accounts=sorted(s["_id"] for s in accounts),
        account_urls=[s["url"] for s in sorted(accounts, key=lambda s: s["_id"]) if s.get("url")],
        identity_keys=sorted({k for s in accounts for k in s.get("identity_keys") or []}),
        categories=sorted({c for d in docs for c in d.get("categories") or []}),
        listing_count=len(docs),
        reviewed_count=sum(status_of(d) in REVIEWED for d in docs),
        max_risk=max(risks, default=0),
        mean_risk=round(sum(risks) / len(risks), 1) if risks else 0.0,
        severity_points=points,
        sold=sold,
        watchlist_hits=hits,
        example_urls=[d["url"] for d in docs if d.get("url")][:EXAMPLES_KEPT],
        example_titles=[d["title"] for d in docs if d.get("title")][:EXAMPLES_KEPT],
        evidence=_unique(e["sha256"] for d in docs for e in d.get("evidence") or [] if e.get("sha256"))[:EVIDENCE_KEPT],
        listing_ids=[str(d["_id"]) for d in docs],
    )
    row.priority = priority(row.max_risk, row.mean_risk, points, sold, len(hits))
    return row


def _listing_points(doc: Mapping[str, Any]) -> int:
    weight = max((severity_weight(f.get("severity")) for f in doc.get("findings") or []), default=1)
    return weight * (2 if status_of(dict(doc)) in REVIEWED else 1)


def _provinces(docs: list[dict[str, Any]], accounts: list[dict[str, Any]]) -> list[str]:
    """The trader's provinces, most frequent first (accounts' locations, then the listings')."""
    counts = Counter(
        canonical_province(value) for value in [*(s.get("location") for s in accounts),
                                                *(d.get("location") for d in docs)] if value
    )
    return [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if name]


def _lead_account(docs: list[dict[str, Any]], accounts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The account that names the row: the one with most listings in the plan (then the smallest id)."""
    counts = Counter(d.get("seller_id") for d in docs)
    return min(accounts, key=lambda s: (-counts.get(s["_id"], 0), s["_id"]), default=None)


def _province_key(name: str) -> str:
    return strip_accents(canonical_province(name) or "").lower().strip()


def _unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(values))
