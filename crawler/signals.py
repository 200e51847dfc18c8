"""Signals of qltt's own, sent by spiders and received by extensions (Scrapy's signal manager)."""

from __future__ import annotations

__all__ = ["page_failed"]

# A page could not become items: blocked, wrong kind, malformed, or an HTTP error after retries.
# Arguments: url (str), reason (str), kind ("blocked" | "parse" | "http" | "network"), status (int | None).
page_failed = object()
