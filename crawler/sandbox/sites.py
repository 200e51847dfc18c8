"""The replicas the sandbox serves by default; each source's replica registers here."""

from __future__ import annotations

from crawler.sandbox.server import Site
from crawler.sandbox.tiki import TikiSite
from crawler.sandbox.websites import WebsitesSite

__all__ = ["default_sites"]


def default_sites() -> list[Site]:
    return [TikiSite(), WebsitesSite()]
