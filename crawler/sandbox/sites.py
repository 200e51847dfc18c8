"""The replicas the sandbox serves by default; each source's replica registers here."""

from __future__ import annotations

from crawler.sandbox.facebook import FacebookSite
from crawler.sandbox.lazada import LazadaSite
from crawler.sandbox.sendo import SendoSite
from crawler.sandbox.server import Site
from crawler.sandbox.shopee import ShopeeSite
from crawler.sandbox.tiki import TikiSite
from crawler.sandbox.tiktok import TiktokSite
from crawler.sandbox.websites import WebsitesSite

__all__ = ["default_sites"]


def default_sites() -> list[Site]:
    return [TikiSite(), WebsitesSite(), FacebookSite(), ShopeeSite(), LazadaSite(), SendoSite(), TiktokSite()]
