"""Scrapy settings of qltt; ``QLTT_*`` values come from ``crawler.config`` (environment over qltt.toml)."""

from __future__ import annotations

from crawler import config

BOT_NAME = "qltt"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Politeness is chosen per source in each spider's custom_settings; these are the safe defaults.
ROBOTSTXT_OBEY = False
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = False
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = config.get("QLTT_DOWNLOAD_MAXSIZE")
DOWNLOAD_WARNSIZE = DOWNLOAD_MAXSIZE // 2
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
DEFAULT_REQUEST_HEADERS = {"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.6"}

# Scrapy 2.19 starts a code-executing HTTP control server unless told not to.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = config.get("QLTT_LOG_LEVEL")

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.proxy.ProxyMiddleware": 740,
}
# Marks requests done in a job's crash-safe frontier (crawler.frontier); inert in crawls without --job.
SPIDER_MIDDLEWARES = {
    "crawler.frontier.FrontierTracker": 1,
}
EXTENSIONS = {
    "crawler.extensions.runrecord.RunRecorder": 500,
}
ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.match.MatchPipeline": 300,
    "pipelines.store.StorePipeline": 900,
    "pipelines.evidence.EvidencePipeline": 950,
}

QLTT_PROXY = config.get("QLTT_PROXY")
QLTT_TIKI_BASE_URL = config.get("QLTT_TIKI_BASE_URL")
QLTT_TIKI_API_URL = config.get("QLTT_TIKI_API_URL")
QLTT_MONGO_URI = config.get("QLTT_MONGO_URI")
QLTT_DATA_DIR = config.get("QLTT_DATA_DIR")
QLTT_DB_NAME = config.get("QLTT_DB_NAME")
QLTT_RULES_DIR = config.get("QLTT_RULES_DIR")
QLTT_WATCHLISTS = config.get("QLTT_WATCHLISTS")
QLTT_PRICE_HISTORY_MAX = config.get("QLTT_PRICE_HISTORY_MAX")
QLTT_EVIDENCE_DIR = config.get("QLTT_EVIDENCE_DIR")
QLTT_SCREENSHOTS = config.get("QLTT_SCREENSHOTS")

# Crawl health thresholds (crawler.extensions.health), the spool, and bounded resources.
globals().update({name: config.get(name) for name in config.SETTINGS if name.startswith("QLTT_HEALTH_")})
QLTT_SPOOL_RETRY_S = config.get("QLTT_SPOOL_RETRY_S")
CLOSESPIDER_TIMEOUT = config.get("QLTT_RUN_TIMEOUT")
# scrapy-playwright, for spiders that enable its download handler (see crawler.playwright).
PLAYWRIGHT_MAX_CONTEXTS = config.get("QLTT_PLAYWRIGHT_MAX_CONTEXTS")
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = config.get("QLTT_PLAYWRIGHT_MAX_PAGES")
QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT = config.get("QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT")
