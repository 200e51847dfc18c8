"""The review queue: flagged listings, filtered and sorted by risk, with bulk decisions."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pymongo.database import Database

from crawler.cli.common import LOCAL_TZ
from crawler.console.auth import SignedIn
from crawler.console.format import CATEGORY_LABELS, DECISION_LABELS, SEVERITY_LABELS, STATUS_LABELS
from storage import count
from storage.reviews import STATUSES, in_status

__all__ = ["PAGE_SIZE", "QueueFilter", "router"]

PAGE_SIZE = 50
SORTS = {
    "risk": ("Rủi ro cao trước", [("risk", -1), ("last_seen", -1), ("_id", 1)]),
    "risk_asc": ("Rủi ro thấp trước", [("risk", 1), ("last_seen", -1), ("_id", 1)]),
    "recent": ("Mới thấy gần đây", [("last_seen", -1), ("risk", -1), ("_id", 1)]),
}

# SEVERITY_LABELS lists the severities from low to critical.
_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITY_LABELS)}

router = APIRouter()


@dataclass(frozen=True)
class QueueFilter:
    """What the inspector asked for; empty strings mean 'any', ``status`` ``all`` means any status."""

    source: str = ""
    category: str = ""
    severity: str = ""
    province: str = ""
    status: str = "new"
    brand: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = "risk"
    page: int = 1

    @classmethod
    def from_request(cls, request: Request) -> QueueFilter:
        params = request.query_params
        values: dict[str, Any] = {k: params.get(k, "").strip()[:100] for k in
                                  ("source", "category", "severity", "province", "brand", "date_from", "date_to")}
        values["status"] = params.get("status", "new")
        values["sort"] = params.get("sort", "risk") if params.get("sort") in SORTS else "risk"
        values["page"] = max(1, int(params["page"])) if params.get("page", "").isdigit() else 1
        return cls(**values)

    def query(self, db: Database) -> dict[str, Any]:
        """The MongoDB filter of flagged listings matching every given criterion."""
        clauses: list[dict[str, Any]] = [{"flag": True}]
        if self.source:
            clauses.append({"source": self.source})
        if self.category:
            clauses.append({"categories": self.category})
        if self.severity:
            clauses.append({"findings.severity": self.severity})
        if self.brand:
            exact = {"$regex": f"^{re.escape(self.brand)}$", "$options": "i"}
            clauses.append({"$or": [{"brand_canonical": exact}, {"brand": exact}]})
        if self.province:
            sellers = [s["_id"] for s in db["sellers"].find({"location": self.province}, {"_id": 1})]
            clauses.append({"$or": [{"location": self.province}, {"seller_id": {"$in": sellers}}]})
        if self.status in STATUSES:
            clauses.append(in_status(self.status))
        seen = _day_range(self.date_from, self.date_to)
        if seen:
            clauses.append({"last_seen": seen})
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def url(self, **changes: Any) -> str:
        """This filter as a queue URL, with ``changes`` applied (e.g. another page)."""
        values = {**asdict(self), **changes}
        return "/?" + urlencode({k: v for k, v in values.items() if v not in ("", None) and not (k == "page"
                                                                                                  and v == 1)})


@router.get("/")
def queue(request: Request, viewer: SignedIn) -> Response:
    db: Database = request.app.state.db
    flt = QueueFilter.from_request(request)
    query = flt.query(db)
    total = count(db["listings"], query)
    docs = list(db["listings"].find(query).sort(SORTS[flt.sort][1]).skip((flt.page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE))
    sellers = {s["_id"]: s for s in db["sellers"].find({"_id": {"$in": [d.get("seller_id") for d in docs]}})}
    rows = [_row(doc, sellers.get(doc.get("seller_id"))) for doc in docs]
    done = request.query_params.get("done", "")
    context = {
        "viewer": viewer, "filter": flt, "rows": rows, "total": total, "options": _options(db),
        "pages": (total + PAGE_SIZE - 1) // PAGE_SIZE, "sorts": {k: v[0] for k, v in SORTS.items()},
        "decisions": DECISION_LABELS, "done": int(done) if done.isdigit() else None,
        "back": flt.url(),
    }
    return request.app.state.templates.TemplateResponse(request, "queue.html", context)


def _row(doc: dict[str, Any], seller: dict[str, Any] | None) -> dict[str, Any]:
    severities = [f.get("severity") for f in doc.get("findings") or () if f.get("severity") in _SEVERITY_RANK]
    return {
        "doc": doc,
        "seller": seller,
        "severity": max(severities, key=_SEVERITY_RANK.__getitem__) if severities else "",
        "location": doc.get("location") or (seller or {}).get("location") or "",
        "status": (doc.get("review") or {}).get("status") or "new",
    }


def _options(db: Database) -> dict[str, Any]:
    """Choices of the filter form, from what is stored."""
    listings, sellers = db["listings"], db["sellers"]
    provinces = {p for p in [*listings.distinct("location"), *sellers.distinct("location")] if isinstance(p, str) and p}
    return {
        "sources": sorted(s for s in listings.distinct("source") if isinstance(s, str)),
        "categories": CATEGORY_LABELS,
        "severities": SEVERITY_LABELS,
        "statuses": STATUS_LABELS,
        "provinces": sorted(provinces),
        "brands": sorted(b for b in listings.distinct("brand_canonical") if isinstance(b, str) and b),
    }


def _day_range(start: str, end: str) -> dict[str, datetime]:
    """``last_seen`` bounds of whole local (Asia/Ho_Chi_Minh) days; unparsable dates are ignored."""
    bounds: dict[str, datetime] = {}
    first, last = _day(start), _day(end)
    if first:
        bounds["$gte"] = datetime.combine(first, time(), LOCAL_TZ)
    if last:
        bounds["$lt"] = datetime.combine(last + timedelta(days=1), time(), LOCAL_TZ)
    return bounds


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
