"""crawler.playwright: browser settings in one place, and contexts recycled after N pages (a real chromium crawl)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from scrapy.settings import Settings

from crawler.playwright import CHROMIUM, HANDLER, playwright_settings, use_playwright
from tests.sandbox_plugin import ROOT


def test_settings_name_the_handler_the_browser_and_the_proxy() -> None:
    plain = playwright_settings()
    assert plain["DOWNLOAD_HANDLERS"] == {"http": HANDLER, "https": HANDLER}
    assert plain["PLAYWRIGHT_LAUNCH_OPTIONS"]["executable_path"] == CHROMIUM
    assert "--no-sandbox" in plain["PLAYWRIGHT_LAUNCH_OPTIONS"]["args"]
    assert "proxy" not in plain["PLAYWRIGHT_LAUNCH_OPTIONS"]
    settings = Settings({"QLTT_PROXY": "http://127.0.0.1:9"})
    use_playwright(settings)
    assert settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")["proxy"] == {"server": "http://127.0.0.1:9"}


def test_contexts_are_recycled_and_old_ones_closed() -> None:
    pages, per_context = 7, 2
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("QLTT_")}
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    result = subprocess.run([sys.executable, "-m", "tests.playwright_probe", str(pages), str(per_context)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert stats["probe/texts"] == sorted(f"rendered {n}" for n in range(pages)), "every page ran its script"
    # How many generations there are depends on timing (a generation keeps taking pages while the old one is
    # still closing, to stay within PLAYWRIGHT_MAX_CONTEXTS); that there are several, and only the last is
    # left open, does not.
    assert stats["playwright/context_count"] >= 2, "more than one context was used"
    assert stats["qltt/playwright/context_recycled_count"] == stats["playwright/context_count"] - 1
    assert stats["playwright/context_count/max_concurrent"] <= 2  # PLAYWRIGHT_MAX_CONTEXTS
    assert stats["probe/open_contexts"] == [f"qltt-{stats['playwright/context_count'] - 1}"], "old ones closed"
    assert stats["playwright/page_count/closed"] == stats["playwright/page_count"] == pages + 1
    assert stats["qltt/playwright/page_crashed_count"] == 1, "the page that timed out is a failed render"
