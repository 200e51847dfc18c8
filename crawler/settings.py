"""Scrapy settings of qltt; ``QLTT_*`` values come from ``crawler.config`` (environment over qltt.toml)."""

from __future__ import annotations

from crawler import config

BOT_NAME = "qltt"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Politeness is chosen per source in each spider's custom_settings; these are the safe defaults.
# ROBOTSTXT_OBEY is set per spider by crawler.policy from QLTT_ROBOTS_OBEY.
ROBOTSTXT_OBEY = False
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
# Scrapy (asyncio reactor) starts CONCURRENT_ITEMS worker tasks for every response; our callbacks give a few
# items each, and 100 tasks per page cost more than the pipelines (bench/crawl.py).
CONCURRENT_ITEMS = 8
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
    # Rotating desktop user agents before Scrapy's own default; retries that wait (Retry-After, backoff).
    "crawler.middlewares.useragent.RotatingUserAgentMiddleware": 400,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.backoff.BackoffRetryMiddleware": 550,
    "crawler.middlewares.proxy.ProxyMiddleware": 740,
    # Next to the downloader, so it sees a render's outcome before RetryMiddleware re-queues it.
    "crawler.playwright.ContextRecycler": 950,
    # Keeps a job's responses until their items are through, so a resumed job does not fetch them again.
    "crawler.frontier.FrontierResponses": 990,
}
# Marks requests done in a job's crash-safe frontier (crawler.frontier); inert in crawls without --job.
SPIDER_MIDDLEWARES = {
    "crawler.frontier.FrontierTracker": 1,
}
# Robots.txt and politeness per spider, after its custom_settings (QLTT_ROBOTS_OBEY, QLTT_POLITE).
ADDONS = {"crawler.policy.CrawlPolicy": 0}
EXTENSIONS = {
    "crawler.extensions.gctune.GcTuning": 100,  # long crawls spent a fifth of their time in the collector
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
QLTT_LAZADA_BASE_URL = config.get("QLTT_LAZADA_BASE_URL")
QLTT_SENDO_BASE_URL = config.get("QLTT_SENDO_BASE_URL")
QLTT_ROBOTS_OBEY = config.get("QLTT_ROBOTS_OBEY")
QLTT_POLITE = config.get("QLTT_POLITE")
QLTT_USER_AGENT_ROTATION = config.get("QLTT_USER_AGENT_ROTATION")
QLTT_RETRY_BACKOFF_BASE = config.get("QLTT_RETRY_BACKOFF_BASE")
QLTT_RETRY_BACKOFF_MAX = config.get("QLTT_RETRY_BACKOFF_MAX")
QLTT_FACEBOOK_BASE_URL = config.get("QLTT_FACEBOOK_BASE_URL")
QLTT_SHOPEE_BASE_URL = config.get("QLTT_SHOPEE_BASE_URL")
QLTT_TIKTOK_BASE_URL = config.get("QLTT_TIKTOK_BASE_URL")
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
# Distributed mode (qltt worker; crawler.distributed): scrapy-redis reads REDIS_URL.
REDIS_URL = config.get("QLTT_REDIS_URL") or None
QLTT_REDIS_LEASE_S = config.get("QLTT_REDIS_LEASE_S")
QLTT_WORKER_IDLE_CLOSE = config.get("QLTT_WORKER_IDLE_CLOSE")
# scrapy-playwright, for spiders that enable its download handler (see crawler.playwright).
PLAYWRIGHT_MAX_CONTEXTS = config.get("QLTT_PLAYWRIGHT_MAX_CONTEXTS")
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = config.get("QLTT_PLAYWRIGHT_MAX_PAGES")
QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT = config.get("QLTT_PLAYWRIGHT_PAGES_PER_CONTEXT")
