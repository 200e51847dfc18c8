"""One listing prepared for matching: normalised fields, phrase hits, brand mentions, product type, price."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from rules.brands import BrandMention, find_mentions, fuzzy_mentions
from rules.compile import Compiled, Hit, scan
from rules.model import Span
from rules.normalize import Normalized, normalize

__all__ = ["Context", "build_context"]


@dataclass(frozen=True)
class Context:
    """What every rule may look at; built once per listing."""

    listing: Mapping[str, Any]
    fields: dict[str, Normalized]
    hits: dict[str, list[Hit]]
    mentions: list[BrandMention]
    price: int | None
    official: bool

    def span(self, hit: Hit) -> Span:
        """The finding span of a hit: original words, canonical form and original offsets."""
        norm = self.fields[hit.field]
        start, end = norm.source(hit.start, hit.end)
        return Span(hit.field, norm.original[start:end], norm.text[hit.start : hit.end], start, end)

    def has(self, phrases: tuple[str, ...], fields: tuple[str, ...] | None = None) -> bool:
        """Whether any of ``phrases`` occurs (optionally only in ``fields``)."""
        for phrase in phrases:
            for hit in self.hits.get(phrase, ()):
                if fields is None or hit.field in fields:
                    return True
        return False

    @property
    def asserted(self) -> list[BrandMention]:
        """Mentions that present the brand as the product (not 'fits iPhone')."""
        return [m for m in self.mentions if not m.compatible]

    @property
    def brand(self) -> str | None:
        """Canonical brand: the first asserted mention, else the first mention at all."""
        chosen = self.asserted or self.mentions
        return chosen[0].brand.name if chosen else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@lru_cache(maxsize=65_536)
def _normalize_short(text: str) -> Normalized:
    """Shop names, declared brands and categories repeat across listings: normalise each once."""
    return normalize(text)


def _price(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _propagate_compatible(mentions: list[BrandMention]) -> list[BrandMention]:
    """A brand first named as what an accessory fits ('Ốp cho iPhone') stays so for the whole listing."""
    first: dict[str, bool] = {}
    for mention in mentions:
        first.setdefault(mention.brand.name, mention.compatible)
    return [replace(m, compatible=True) if first[m.brand.name] and not m.compatible else m for m in mentions]


def build_context(compiled: Compiled, listing: Mapping[str, Any]) -> Context:
    """Normalise the listing's fields, scan them once and locate brands."""
    seller = listing.get("seller") if isinstance(listing.get("seller"), Mapping) else {}
    fields = {
        "title": normalize(_text(listing.get("title"))),
        "description": normalize(_text(listing.get("description"))[:20_000]),
        "seller": _normalize_short(_text(seller.get("name"))[:300]),
        "brand": _normalize_short(_text(listing.get("brand"))[:300]),
        "category": _normalize_short(_text(listing.get("category"))[:300]),
    }
    hits = scan(compiled, fields)
    mentions = [m for m in find_mentions(compiled, hits, fields) if m.hit.field != "seller"]
    known = {m.hit.start for m in mentions if m.hit.field == "title"}
    mentions += fuzzy_mentions(compiled, fields["title"], known)
    mentions = _propagate_compatible(mentions)
    return Context(listing, fields, hits, mentions, _price(listing.get("price")), seller.get("official") is True)
