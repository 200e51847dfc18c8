"""Crawl throughput with the full pipeline against bare Scrapy, on one generated sandbox, and peak memory.

Usage: ``python bench/crawl.py [--listings 20000]`` (``--listings 100000`` for the memory target). Prints
figures; never asserts.

The sandbox serves a generated Tiki (``TikiSite(generated=N)``: N product pages, 40 to a search page, one
seller page per 50 listings) from a thread of this process. The Tiki spider crawls it twice, each time in
its own process: *bare* (no item pipelines, no qltt extensions: Scrapy, the spider and its page objects)
and *full* (normalise, match, store into an embedded nx-27017 store in a temporary folder, evidence,
the run record). Politeness is off in both (no AutoThrottle, 16 requests per host), so the figures are
the machinery's, not the source's. Targets: full/bare pages/s >= 0.70; peak RSS of the full crawl
< 500 MB at 100,000 listings.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_seconds, describe, load  # noqa: E402
from crawler.sandbox import Sandbox  # noqa: E402
from crawler.sandbox.demo import sandbox_settings  # noqa: E402
from crawler.sandbox.server import Request  # noqa: E402
from crawler.sandbox.synthetic import QUERY  # noqa: E402
from crawler.sandbox.tiki import TikiSite  # noqa: E402

RATIO_TARGET = 0.70
RSS_TARGET_MB = 500
SPEED: dict[str, Any] = {"AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
         "DOWNLOAD_DELAY": 0, "CLOSESPIDER_TIMEOUT": 0, "LOG_LEVEL": "WARNING"}
BARE: dict[str, Any] = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}}


def child(mode: str, listings: int) -> None:
    """One crawl in this process; prints its figures as one JSON line."""
    import storage
    from crawler.cli.common import run_spiders
    from crawler.extensions.health import page_errors

    overrides = {**SPEED, **(BARE if mode == "bare" else {"QLTT_RUN_TRIGGER": "adhoc"})}
    arguments = {"query": [QUERY], "max_pages": math.ceil(listings / 40) + 1}
    stats = run_spiders([("tiki", arguments)], overrides)["tiki"]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store = {what: stats.get(f"qltt/store/{key}_count", 0) for what, key in
             (("created", "listing_created"), ("updated", "listing_updated"), ("unchanged", "listing_unchanged"),
              ("spooled", "spooled"))}
    in_db = storage.connect_from_config()["listings"].estimated_document_count() if mode == "full" else 0
    print(json.dumps({"in_db": in_db, "elapsed": stats["elapsed_time_seconds"],
                      "pages": stats.get("response_received_count", 0),
                      "items": stats.get("item_scraped_count", 0), "rss_mb": rss_mb, "store": store,
                      "failed": page_errors(stats),
                      "flagged": stats.get("qltt/match/flagged_count", 0), "cpu": time.process_time()}))


def crawl(mode: str, listings: int, env: dict[str, str], server_pid: int | None) -> dict[str, Any]:
    server_cpu = cpu_seconds(server_pid) if server_pid else 0.0
    done = subprocess.run([sys.executable, __file__, "--child", mode, "--listings", str(listings)], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} crawl failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["server_cpu"] = cpu_seconds(server_pid) - server_cpu if server_pid else 0.0
    return figures


def report(mode: str, f: dict[str, Any]) -> None:
    stored = ", ".join(f"{n:,} {what}" for what, n in f["store"].items() if n)
    extra = f"; listings: {stored} ({f['in_db']:,} in the database); {f['flagged']:,} flagged" if mode == "full" else ""
    extra += f"; {f['failed']:,} pages failed" if f["failed"] else ""
    server = f", database server CPU {f['server_cpu']:.1f} s" if mode == "full" else ""
    print(f"{mode:>4}: {f['pages']:,} pages, {f['items']:,} items in {f['elapsed']:.1f} s = "
          f"{f['pages'] / f['elapsed']:,.0f} pages/s, {f['items'] / f['elapsed']:,.0f} items/s; "
          f"crawler CPU {f['cpu']:.1f} s{server}; peak RSS {f['rss_mb']:,.0f} MB{extra}")


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        return int(next(line for line in fh if line.startswith("VmHWM")).split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=20000)
    parser.add_argument("--child", choices=["bare", "full"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.listings)
        return

    from storage.embedded import ensure_server, stop_server

    print(f"machine: {describe()}")
    site = TikiSite(generated=args.listings)
    site.handle(Request("GET", "tiki.vn", "/api/v2/products", {"q": [QUERY]}, {}))  # index the search once
    with Sandbox([site]) as sandbox, tempfile.TemporaryDirectory(prefix="qltt-bench-crawl-") as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QLTT_") and not k.lower().endswith("_proxy")}
        env.update({k: str(v) for k, v in sandbox_settings(sandbox).items()})
        env.update(QLTT_DATA_DIR=folder, QLTT_MONGO_URI=ensure_server(Path(folder)))
        server_pid = json.loads((Path(folder) / "db" / "server.json").read_text())["pid"]
        try:
            bare = crawl("bare", args.listings, env, None)
            report("bare", bare)
            sandbox.clear()
            full = crawl("full", args.listings, env, server_pid)
            report("full", full)
            server_rss = peak_rss_mb(server_pid)
        finally:
            stop_server(Path(folder))
    ratio = (full["pages"] / full["elapsed"]) / (bare["pages"] / bare["elapsed"])
    verdict = "met" if ratio >= RATIO_TARGET else "NOT met"
    print(f"ratio full/bare pages/s: {ratio:.2f} (target >= {RATIO_TARGET}: {verdict}); crawler CPU per page, "
          f"start-up included: bare {1000 * bare['cpu'] / bare['pages']:.1f} ms, "
          f"full {1000 * full['cpu'] / full['pages']:.1f} ms")
    verdict = "met" if full["rss_mb"] < RSS_TARGET_MB else "NOT met"
    scale = "" if args.listings >= 100_000 else " (the target is for 100,000 listings: --listings 100000)"
    print(f"peak RSS of the full crawl: {full['rss_mb']:,.0f} MB for {args.listings:,} listings "
          f"(target < {RSS_TARGET_MB} MB: {verdict}){scale}; embedded database server {server_rss:,.0f} MB")
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
