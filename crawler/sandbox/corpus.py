"""The sandbox corpus: listings written in the styles of each source, loaded once per process."""

from __future__ import annotations

import json
import re
import zlib
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.clean import strip_accents

__all__ = ["CORPUS_FILE", "by_source", "fold", "load", "matches_query", "slugify", "stable", "websites"]

CORPUS_FILE = Path(__file__).with_name("corpus") / "listings.jsonl"
_TOKEN = re.compile(r"\w+")


@cache
def load(path: Path = CORPUS_FILE) -> tuple[dict[str, Any], ...]:
    with path.open(encoding="utf-8") as fh:
        return tuple(json.loads(line) for line in fh if line.strip())


def by_source(source: str) -> list[dict[str, Any]]:
    return [row for row in load() if row["source"] == source]


def websites() -> dict[str, list[dict[str, Any]]]:
    """Website listings grouped by host name."""
    sites: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in by_source("web"):
        sites[urlsplit(row["url"]).hostname or ""].append(row)
    return dict(sites)


def fold(text: str) -> str:
    return strip_accents(text).lower()


def matches_query(row: dict[str, Any], query: str) -> int:
    """How many query words the listing's title, brand and category contain (a search engine's crude score)."""
    haystack = set(_TOKEN.findall(fold(" ".join(str(row.get(k) or "") for k in ("title", "brand", "category")))))
    return sum(1 for word in _TOKEN.findall(fold(query)) if word in haystack)


def slugify(text: str) -> str:
    """The URL slug the Vietnamese marketplaces make from a title: folded, lower-case, dashes."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def stable(text: str, low: int, high: int) -> int:
    """A number that looks random but is the same on every run, so re-crawls see unchanged content."""
    return low + zlib.crc32(text.encode()) % (high - low + 1)
