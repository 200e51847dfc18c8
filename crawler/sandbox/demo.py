"""What ``qltt demo`` crawls in the sandbox: one job per spider, with arguments that reach its replica."""

from __future__ import annotations

from typing import Any

from crawler.sandbox.server import Sandbox
from crawler.sandbox.websites import WebsitesSite

__all__ = ["demo_jobs", "sandbox_settings"]

TIKI_QUERIES = ["chính hãng", "sữa", "sách", "đồng hồ", "tai nghe", "kem", "máy", "lego"]


def sandbox_settings(sandbox: Sandbox) -> dict[str, Any]:
    """Settings that point every spider at the sandbox instead of the real sites."""
    return {
        "QLTT_PROXY": sandbox.proxy_url,
        "QLTT_TIKI_BASE_URL": "http://tiki.vn",
        "QLTT_TIKI_API_URL": "http://api.tiki.vn",
    }


def demo_jobs(sandbox: Sandbox) -> list[tuple[str, dict[str, Any]]]:
    sites = next(s for s in sandbox.sites if isinstance(s, WebsitesSite))
    return [
        ("tiki", {"query": TIKI_QUERIES, "max_pages": 3}),
        ("website", {"url": [f"http://{host}/" for host in sites.hosts]}),
    ]
