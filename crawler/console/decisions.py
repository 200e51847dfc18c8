"""Decisions on listings, one at a time from the listing page or in bulk from the queue."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from crawler.console.auth import Decider, FormText, safe_path
from storage.reviews import ReviewConflict, ReviewRepo

__all__ = ["router"]

log = logging.getLogger(__name__)

BULK_MAX = 200

router = APIRouter()


@router.post("/decide")
def decide(request: Request, viewer: Decider, listing_id: FormText, decision: FormText,
           note: FormText = "") -> Response:
    try:
        ReviewRepo(request.app.state.db).decide(listing_id, decision, viewer.username, note)
    except ReviewConflict as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    log.info("review decision: user=%s listing=%s decision=%s", viewer.username, listing_id, decision)
    return RedirectResponse(f"/listing?id={quote(listing_id, safe='')}", status_code=303)


@router.post("/bulk")
def bulk(request: Request, viewer: Decider, decision: FormText, ids: Annotated[list[str] | None, Form()] = None,
         note: FormText = "", back: FormText = "/") -> Response:
    """Apply one decision to the ticked listings; a listing someone else changed meanwhile is skipped."""
    if not ids:
        raise HTTPException(400, "Chưa chọn tin nào.")
    if len(ids) > BULK_MAX:
        raise HTTPException(400, f"Mỗi lần xử lý tối đa {BULK_MAX} tin.")
    repo = ReviewRepo(request.app.state.db)
    done = 0
    for listing_id in dict.fromkeys(ids):
        try:
            repo.decide(listing_id, decision, viewer.username, note)
            done += 1
        except ReviewConflict as exc:
            log.info("bulk decision skipped: %s", exc)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
    log.info("bulk review: user=%s decision=%s done=%d of %d", viewer.username, decision, done, len(ids))
    target = safe_path(back)
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}done={done}", status_code=303)
