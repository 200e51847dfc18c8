"""The review console's FastAPI app: routes, templates with autoescape, security headers, error pages."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pymongo.database import Database
from starlette.exceptions import HTTPException as StarletteHTTPException

from crawler.console import auth, decisions, evidence, images, listing, queue, runs, seller
from crawler.console.format import (
    CATEGORY_LABELS,
    ROLE_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    local_time,
    vnd,
)
from rules.explain import field_label
from storage.evidence import BlobStore

__all__ = ["SECURITY_HEADERS", "create_app"]

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
                                "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(
    db: Database,
    *,
    blobs: BlobStore | None = None,
    secure_cookies: bool = False,
    session_hours: float = 12,
    fetch_image: Callable[[str], tuple[str, bytes]] = images.fetch_image,
) -> FastAPI:
    """The console over ``db``; ``blobs`` is the evidence ``BlobStore`` (``None``: evidence shown as missing).

    ``secure_cookies`` marks cookies ``Secure`` (set it when the console is served over HTTPS).
    """
    app = FastAPI(title="Giám sát TMĐT — bàn kiểm duyệt", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.db = db
    app.state.blobs = blobs
    app.state.secure_cookies = secure_cookies
    app.state.session_lifetime = timedelta(hours=session_hours)
    app.state.fetch_image = fetch_image
    app.state.templates = _templates()
    for module in (auth, queue, listing, seller, decisions, evidence, images, runs):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(auth.SignInRequired, _sign_in)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.middleware("http")(_security_headers)
    return app


def _templates() -> Jinja2Templates:
    # autoescape=True for every template whatever its name: scraped text is never markup.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(vnd=vnd, local_time=local_time, http_url=_http_url, field_label=field_label)
    env.globals.update(CATEGORY_LABELS=CATEGORY_LABELS, SEVERITY_LABELS=SEVERITY_LABELS, STATUS_LABELS=STATUS_LABELS,
                       ROLE_LABELS=ROLE_LABELS)
    return Jinja2Templates(env=env)


def _http_url(value: Any) -> str:
    """A scraped URL usable as a link target: only http(s), anything else (``javascript:``…) becomes empty."""
    text = value.strip() if isinstance(value, str) else ""
    return text if urlsplit(text).scheme in ("http", "https") else ""


async def _security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith(("/static/", "/img", "/evidence")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _sign_in(request: Request, exc: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        return auth.login_redirect(request)
    return await _http_error(request, StarletteHTTPException(403, "Cần đăng nhập lại."))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "Không tìm thấy trang.", 405: "Phương thức không được hỗ trợ.",
                422: "Dữ liệu gửi lên không hợp lệ."}
    default = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else ""
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != default else None
    context = {"status": exc.status_code, "message": detail or messages.get(exc.status_code, "Có lỗi xảy ra."),
               "viewer": getattr(request.state, "viewer", None)}
    return request.app.state.templates.TemplateResponse(request, "error.html", context, status_code=exc.status_code,
                                                        headers=exc.headers)


async def _invalid(request: Request, exc: Exception) -> Response:
    return await _http_error(request, StarletteHTTPException(422))
