"""Where Debian's chromium is and how every qltt browser launches it: crawls, evidence screenshots, console tests.

``playwright install`` cannot reach its download host on these machines, so Playwright drives the distribution's
chromium; the flags keep it from phoning home (QUIC, updates, sync) and let it run as root without a GPU.
"""

from __future__ import annotations

__all__ = ["CHROMIUM", "LAUNCH_ARGS"]

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
