"""Errors of qltt, one hierarchy so callers can catch broadly or precisely.

    QlttError
    ├── ConfigError            a setting or file is invalid (names the setting / file)
    ├── PageError              a response cannot become items
    │   ├── NotAListingPage    the page is of another kind (a category page, a 404 page)
    │   │   └── ListingRemoved the listing's own page says it was removed ("sản phẩm không tồn tại")
    │   └── BlockedPage        the source answered with a block page, captcha or login wall
    ├── StorageError           the database cannot be reached or refused a write
    └── UnsafeURLError         a user-supplied URL points at a private, loopback or reserved address
"""

from __future__ import annotations

__all__ = [
    "BlockedPage",
    "ConfigError",
    "ListingRemoved",
    "NotAListingPage",
    "PageError",
    "QlttError",
    "StorageError",
    "UnsafeURLError",
]


class QlttError(Exception):
    """Base of every error qltt raises on purpose."""


class ConfigError(QlttError):
    """A setting, rule file or schedule file is invalid."""


class PageError(QlttError):
    """A response cannot be turned into items."""


class NotAListingPage(PageError):
    """The response is not the kind of page the parser expects."""


class ListingRemoved(NotAListingPage):
    """The listing's own page says the offer was removed or is no longer shown."""


class BlockedPage(PageError):
    """The source served a block page, a captcha or a login wall instead of content."""

    def __init__(self, reason: str, url: str | None = None) -> None:
        super().__init__(f"{reason}: {url}" if url else reason)
        self.reason = reason
        self.url = url


class StorageError(QlttError):
    """The database is unreachable or refused a write."""


class UnsafeURLError(QlttError):
    """A URL given by a user resolves to an address qltt must never fetch."""
