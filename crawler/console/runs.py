"""The runs page: the latest crawls with their status and health, so a broken source is seen the next morning."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pymongo.database import Database

from crawler.cli.runs import STATUS_VI, TRIGGER_VI, describe_arguments
from crawler.console.auth import SignedIn
from crawler.extensions.health import STATUS_LABELS as HEALTH_LABELS
from storage.runs import RunRepo

__all__ = ["RUNS_SHOWN", "router"]

RUNS_SHOWN = 100

router = APIRouter()


@router.get("/runs")
def runs_page(request: Request, viewer: SignedIn, spider: str = "") -> Response:
    db: Database = request.app.state.db
    spider = spider.strip()[:50]
    found = RunRepo(db).recent(limit=RUNS_SHOWN, spider=spider or None)
    context: dict[str, Any] = {
        "viewer": viewer,
        "spider": spider,
        "runs": [_view(run) for run in found],
    }
    return request.app.state.templates.TemplateResponse(request, "runs.html", context)


def _view(run: dict[str, Any]) -> dict[str, Any]:
    health = run.get("health") or {}
    status = str(health.get("status") or "")
    return {
        "run": run,
        "status": STATUS_VI.get(run.get("status", ""), run.get("status")),
        "trigger": TRIGGER_VI.get(run.get("trigger", ""), run.get("trigger")),
        "args": describe_arguments(run.get("args") or {}, width=80),
        "health": status,
        "health_label": HEALTH_LABELS.get(status, "chưa đánh giá"),
        "reasons": [str(r) for r in health.get("reasons") or []],
        "counts": run.get("counts") or {},
    }
