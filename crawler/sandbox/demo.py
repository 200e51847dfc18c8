"""What ``qltt demo`` crawls in the sandbox: one job per spider, with arguments that reach its replica."""

from __future__ import annotations

from typing import Any

from crawler.sandbox.facebook import FacebookSite, group_ids, page_ids
from crawler.sandbox.server import Sandbox
from crawler.sandbox.websites import WebsitesSite

__all__ = ["demo_jobs", "sandbox_settings"]

TIKI_QUERIES = ["chính hãng", "sữa", "sách", "đồng hồ", "tai nghe", "kem", "máy", "lego"]
LAZADA_QUERIES = ["chính hãng", "đồng hồ", "sữa", "nước hoa", "giày", "túi", "điện thoại", "thuốc", "kem", "máy"]
SENDO_QUERIES = ["mũ bảo hiểm", "áo", "pháo", "casio", "chính hãng", "rượu", "kem", "giày", "gạo", "quạt", "dép"]
SHOPEE_QUERIES = ["nước hoa", "đồng hồ", "tai nghe", "thắt lưng"]
TIKTOK_QUERIES = ["nước hoa", "thuốc", "kem", "serum"]


def sandbox_settings(sandbox: Sandbox) -> dict[str, Any]:
    """Settings that point every spider at the sandbox instead of the real sites."""
    return {
        "QLTT_PROXY": sandbox.proxy_url,
        "QLTT_TIKI_BASE_URL": "http://tiki.vn",
        "QLTT_TIKI_API_URL": "http://api.tiki.vn",
        "QLTT_LAZADA_BASE_URL": "http://www.lazada.vn",
        "QLTT_SENDO_BASE_URL": "http://www.sendo.vn",
        # The sandbox needs no politeness: no delays or throttling, short waits before retries.
        "QLTT_POLITE": False,
        "QLTT_RETRY_BACKOFF_BASE": 0.1,
        "QLTT_FACEBOOK_BASE_URL": "http://m.facebook.com",
        "QLTT_SHOPEE_BASE_URL": "http://shopee.vn",
        "QLTT_TIKTOK_BASE_URL": "http://www.tiktok.com",
    }


def demo_jobs(sandbox: Sandbox) -> list[tuple[str, dict[str, Any]]]:
    sites = next(s for s in sandbox.sites if isinstance(s, WebsitesSite))
    facebook = next(s for s in sandbox.sites if isinstance(s, FacebookSite))
    return [
        ("tiki", {"query": TIKI_QUERIES, "max_pages": 3}),
        ("lazada", {"query": LAZADA_QUERIES, "max_pages": 2}),
        ("sendo", {"query": SENDO_QUERIES, "max_pages": 2}),
        # Rendered in chromium (each item page is a render): a few queries, the first result page only.
        ("shopee", {"query": SHOPEE_QUERIES, "max_pages": 1}),
        ("tiktok", {"query": TIKTOK_QUERIES, "max_pages": 1}),
        ("website", {"url": [f"http://{host}/" for host in sites.hosts]}),
        ("facebook", {"url": [f"https://www.facebook.com/groups/{g}/" for g in group_ids(facebook)],
                      "shop": page_ids(facebook)}),
    ]
