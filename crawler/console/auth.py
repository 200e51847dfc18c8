"""Sign-in, sessions and CSRF: who is asking, may they decide, and did the form come from our own page.

The session cookie holds a random token (HttpOnly, SameSite=Lax); the session it names carries
a CSRF token that every form repeats in a hidden ``csrf`` field. Before sign-in there is no
session, so the sign-in form uses a double-submit token: a random value in a short-lived cookie
that the form must repeat.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from storage.users import SessionRepo, UserRepo

__all__ = ["LOGIN_COOKIE", "SESSION_COOKIE", "CsrfChecked", "Decider", "FormText", "SignInRequired", "SignedIn",
           "Viewer", "csrf_checked", "decider", "login_redirect", "router", "safe_path", "signed_in"]

log = logging.getLogger(__name__)

SESSION_COOKIE = "qltt_session"
LOGIN_COOKIE = "qltt_login"
DECIDERS = frozenset({"inspector", "admin"})

router = APIRouter()
FormText = Annotated[str, Form()]


class SignInRequired(Exception):
    """Raised by ``signed_in`` when there is no live session; the app redirects to the sign-in page."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person of this request."""

    username: str
    role: str
    csrf: str
    token: str

    @property
    def can_decide(self) -> bool:
        return self.role in DECIDERS


def signed_in(request: Request) -> Viewer:
    """The person behind the session cookie; ``SignInRequired`` without a live session of an active user."""
    db = request.app.state.db
    token = request.cookies.get(SESSION_COOKIE, "")
    session = SessionRepo(db).get(token)
    user = UserRepo(db).get(session["user"]) if session else None
    if session is None or user is None or not user.get("active", True):
        raise SignInRequired
    viewer = Viewer(user["_id"], user.get("role", "viewer"), session["csrf"], token)
    request.state.viewer = viewer
    return viewer


SignedIn = Annotated[Viewer, Depends(signed_in)]


async def csrf_checked(request: Request, viewer: SignedIn) -> Viewer:
    """The viewer, once the form's ``csrf`` field matched the session's token (else 403)."""
    form = await request.form()
    if not _same(form.get("csrf"), viewer.csrf):
        log.warning("CSRF token missing or wrong: user=%s path=%s", viewer.username, request.url.path)
        raise HTTPException(403, "Biểu mẫu không hợp lệ hoặc đã hết hạn (thiếu mã CSRF). Hãy tải lại trang.")
    return viewer


CsrfChecked = Annotated[Viewer, Depends(csrf_checked)]


def decider(viewer: CsrfChecked) -> Viewer:
    """The viewer when they may decide (inspector, admin); 403 for a viewer-only account."""
    if not viewer.can_decide:
        raise HTTPException(403, "Tài khoản chỉ có quyền xem, không được ra quyết định.")
    return viewer


Decider = Annotated[Viewer, Depends(decider)]


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    try:
        signed_in(request)
        return RedirectResponse(safe_path(next), status_code=303)
    except SignInRequired:
        return _login_form(request, next)


@router.post("/login")
def login(request: Request, username: FormText = "", password: FormText = "", csrf: FormText = "",
          next: FormText = "/") -> Response:
    if not _same(csrf, request.cookies.get(LOGIN_COOKIE)):
        raise HTTPException(403, "Biểu mẫu đăng nhập không hợp lệ hoặc đã hết hạn. Hãy tải lại trang.")
    db = request.app.state.db
    user = UserRepo(db).authenticate(username, password)
    if user is None:
        log.warning("sign-in failed: user=%r client=%s", username[:40], request.client.host if request.client else "")
        return _login_form(request, next, error="Sai tên đăng nhập hoặc mật khẩu.", status_code=401)
    sessions = SessionRepo(db, request.app.state.session_lifetime)
    sessions.purge()  # expired sessions of everyone go at each sign-in; no separate cleaner needed
    token, _ = sessions.create(user["_id"])
    log.info("signed in: user=%s", user["_id"])
    response = RedirectResponse(safe_path(next), status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, token, None)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, viewer: CsrfChecked) -> Response:
    SessionRepo(request.app.state.db).end(viewer.token)
    log.info("signed out: user=%s", viewer.username)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def login_redirect(request: Request) -> RedirectResponse:
    """Where a request without a session goes: the sign-in page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _login_form(request: Request, next: str, error: str = "", status_code: int = 200) -> Response:
    nonce = secrets.token_urlsafe(32)
    context: dict[str, Any] = {"csrf": nonce, "next": safe_path(next), "error": error, "viewer": None}
    response = request.app.state.templates.TemplateResponse(request, "login.html", context, status_code=status_code)
    _set_cookie(request, response, LOGIN_COOKIE, nonce, 3600)
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=request.app.state.secure_cookies)


def safe_path(target: str) -> str:
    """Only paths of this site: no scheme, no host, no ``//`` or backslash tricks."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


def _same(given: Any, expected: str | None) -> bool:
    return isinstance(given, str) and bool(given) and bool(expected) and hmac.compare_digest(given, expected or "")
