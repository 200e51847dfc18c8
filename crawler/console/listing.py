"""The listing page: findings with their matched words marked, evidence, price history, seller, timeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pymongo.database import Database

from crawler.console.auth import SignedIn
from crawler.console.evidence import evidence_views
from crawler.console.format import DECISION_LABELS
from crawler.console.highlight import field_spans, segments
from storage import SellerRepo
from storage.reviews import ReviewRepo, status_of

__all__ = ["HIGHLIGHTED", "router"]

# Fields shown with their matched words marked; spans on other fields are listed with their finding.
HIGHLIGHTED = ("title", "description")

router = APIRouter()


@router.get("/listing")
def listing_page(request: Request, id: str, viewer: SignedIn) -> Response:
    db: Database = request.app.state.db
    doc = db["listings"].find_one({"_id": id})
    if doc is None:
        raise HTTPException(404, "Không tìm thấy tin đăng.")
    findings = doc.get("findings") or []
    seller = SellerRepo(db).get(doc["seller_id"]) if doc.get("seller_id") else None
    context: dict[str, Any] = {
        "viewer": viewer,
        "doc": doc,
        "seller": seller,
        "status": status_of(doc),
        "findings": findings,
        "marked": {f: segments(doc.get(f), field_spans(findings, f, doc.get(f) or "")) for f in HIGHLIGHTED},
        "evidence": evidence_views(request.app.state.blobs, doc),
        "timeline": ReviewRepo(db).history(id),
        "decisions": DECISION_LABELS,
        "images": [u for u in doc.get("images") or [] if isinstance(u, str) and u.startswith(("http://", "https://"))],
    }
    return request.app.state.templates.TemplateResponse(request, "listing.html", context)
