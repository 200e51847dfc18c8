"""Console users and their sign-in sessions: salted scrypt password hashes, server-side sessions.

Sessions live in the database rather than in a signed cookie so that signing out (or removing a
user) ends them at once. The cookie carries a random token; only its SHA-256 is stored, so a copy
of the database does not hand out working sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from crawler.exceptions import StorageError
from storage.values import as_utc, utcnow

__all__ = ["ROLES", "SessionRepo", "UserRepo", "hash_password", "verify_password"]

ROLES = ("viewer", "inspector", "admin")
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
# scrypt with n=2**14, r=8 costs ~16 MiB and tens of milliseconds: slow for guessing, fine for sign-in.
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex) of ``password`` with a fresh 16-byte salt."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a ``hash_password`` value (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


# A hash of nothing in particular, checked when the user does not exist so that a wrong user name
# takes as long as a wrong password.
_DUMMY = hash_password(secrets.token_hex(8))


class UserRepo:
    """The ``users`` collection: ``_id`` user name, ``role``, ``password``, ``created_at``, ``active``."""

    def __init__(self, db: Database) -> None:
        self.coll = db["users"]

    def add(self, username: str, password: str, role: str) -> dict[str, Any]:
        """Create a user; ``ValueError`` for a bad name, role or short password, or an existing user."""
        username = username.strip().lower()
        if not _USERNAME.match(username):
            raise ValueError(f"tên đăng nhập không hợp lệ: {username!r} (2-40 ký tự a-z, 0-9, . _ -)")
        if role not in ROLES:
            raise ValueError(f"vai trò phải là một trong {', '.join(ROLES)}: {role!r}")
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự")
        doc = {"_id": username, "role": role, "password": hash_password(password), "created_at": utcnow(),
               "active": True}
        try:
            self.coll.insert_one(doc)
        except DuplicateKeyError:
            raise ValueError(f"người dùng {username!r} đã tồn tại") from None
        except PyMongoError as exc:
            raise StorageError(f"users write failed: {exc}") from exc
        return doc

    def get(self, username: str) -> dict[str, Any] | None:
        return self.coll.find_one({"_id": username})

    def all(self) -> list[dict[str, Any]]:
        return list(self.coll.find({}, {"password": 0}).sort("_id", 1))

    def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        """The active user when the password is right, else ``None``."""
        user = self.get(username.strip().lower())
        if user is None or not user.get("active", True):
            verify_password(password, _DUMMY)
            return None
        return user if verify_password(password, user.get("password", "")) else None


class SessionRepo:
    """The ``sessions`` collection: ``_id`` SHA-256 of the cookie token, ``user``, ``csrf``, ``expires_at``."""

    def __init__(self, db: Database, lifetime: timedelta = timedelta(hours=12)) -> None:
        self.coll = db["sessions"]
        self.lifetime = lifetime

    def create(self, username: str, now: datetime | None = None) -> tuple[str, dict[str, Any]]:
        """A new session for ``username``: the cookie token (shown once) and the stored document."""
        now = as_utc(now) if now else utcnow()
        token = secrets.token_urlsafe(32)
        doc = {"_id": _digest(token), "user": username, "csrf": secrets.token_urlsafe(32), "created_at": now,
               "expires_at": now + self.lifetime}
        self.coll.insert_one(doc)
        return token, doc

    def get(self, token: str, now: datetime | None = None) -> dict[str, Any] | None:
        """The live session of a cookie token; an expired one is deleted and gives ``None``."""
        if not token:
            return None
        doc = self.coll.find_one({"_id": _digest(token)})
        if doc is None:
            return None
        if as_utc(doc["expires_at"]) <= (as_utc(now) if now else utcnow()):
            self.coll.delete_one({"_id": doc["_id"]})
            return None
        return doc

    def end(self, token: str) -> None:
        """Sign out: the token stops working everywhere at once."""
        if token:
            self.coll.delete_one({"_id": _digest(token)})

    def purge(self, now: datetime | None = None) -> int:
        """Delete expired sessions; returns how many."""
        now = as_utc(now) if now else utcnow()
        return self.coll.delete_many({"expires_at": {"$lte": now}}).deleted_count


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
