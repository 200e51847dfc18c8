"""The machine a benchmark ran on, printed with its figures so they can be compared later."""

from __future__ import annotations

import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version

__all__ = ["cpu_seconds", "describe", "load"]

PACKAGES = ("scrapy", "twisted", "pymongo", "nx-27017", "neosqlite", "scrapy-redis", "redis")


def load() -> str:
    """The 1/5/15-minute load averages: other work on the machine skews every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} / {five:.1f} / {fifteen:.1f}"


def describe() -> str:
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    memory = "?"
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kib = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    cpu = platform.processor() or platform.machine()
    return (f"{os.cpu_count()} cores ({cpu}), RAM {memory}, {platform.platform(terse=True)}, "
            f"Python {sys.version.split()[0]}; {', '.join(versions)}; {load()}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far: unlike wall time, it hardly moves with the machine's load."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
