"""The seller page: its listings, identity keys and the other sellers sharing them, watchlist hits, website facts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pymongo.database import Database

from crawler.console.auth import SignedIn
from storage import SellerRepo

__all__ = ["BADGE_LABELS", "KEY_LABELS", "WEBSITE_LABELS", "router"]

KEY_LABELS = {"phone": "Điện thoại", "tax": "Mã số thuế", "email": "Email", "domain": "Tên miền"}
WEBSITE_LABELS = {
    "moit_badge": "Thông báo Bộ Công Thương",
    "moit_url": "Liên kết hồ sơ Bộ Công Thương",
    "owner_name": "Tên chủ sở hữu",
    "owner_shown": "Có thông tin chủ sở hữu",
    "address": "Địa chỉ",
    "phone": "Số điện thoại",
    "email": "Email",
    "tax_code": "Mã số thuế / ĐKKD",
    "missing": "Còn thiếu",
}
BADGE_LABELS = {"linked": "Có, liên kết tới hồ sơ trên online.gov.vn", "unlinked": "Chỉ có hình, không liên kết",
                "absent": "Không có"}
LISTINGS_SHOWN = 200

router = APIRouter()


@router.get("/seller")
def seller_page(request: Request, id: str, viewer: SignedIn) -> Response:
    db: Database = request.app.state.db
    repo = SellerRepo(db)
    seller = repo.get(id)
    if seller is None:
        raise HTTPException(404, "Không tìm thấy người bán.")
    keys = [_key(repo, key, id) for key in seller.get("identity_keys") or []]
    linked = {s["_id"]: s for k in keys for s in k["others"]}
    own = _listings(db, [id])
    context: dict[str, Any] = {
        "viewer": viewer,
        "seller": seller,
        "keys": keys,
        "listings": own,
        "linked_listings": _listings(db, list(linked)),
        "watch_findings": [f for d in own for f in d.get("findings") or () if f.get("category") == "watchlist"],
        "website": _website(seller.get("website")),
    }
    return request.app.state.templates.TemplateResponse(request, "seller.html", context)


def _key(repo: SellerRepo, key: str, seller_id: str) -> dict[str, Any]:
    kind, _, value = key.partition(":")
    return {"key": key, "label": KEY_LABELS.get(kind, kind), "value": value,
            "others": repo.by_identity_key(key, exclude=seller_id)}


def _listings(db: Database, seller_ids: list[str]) -> list[dict[str, Any]]:
    if not seller_ids:
        return []
    found = db["listings"].find({"seller_id": {"$in": seller_ids}}).sort([("risk", -1), ("_id", 1)])
    return list(found.limit(LISTINGS_SHOWN))


def _website(facts: Any) -> list[tuple[str, str]]:
    """The website compliance facts as (label, value) rows; unknown keys keep their own name."""
    if not isinstance(facts, dict):
        return []
    rows = []
    for key, value in facts.items():
        key = str(key)
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value) or "—"
        elif isinstance(value, bool):
            value = "Có" if value else "Không"
        elif key == "moit_badge":
            value = BADGE_LABELS.get(str(value), value)
        elif value is None:
            value = "—"
        rows.append((WEBSITE_LABELS.get(key, key), str(value)))
    return rows
