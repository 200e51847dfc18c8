"""One listing prepared for matching: normalised fields, phrase hits, brand mentions, product type, price."""

from __future__ import annotations

from typing import Any, final

from rules.brands import BrandMention, find_mentions, title_mentions
from rules.compile import Compiled, Hit, make_room, scan
from rules.model import Span, seller_of, span_of
from rules.normalize import Normalized, normalize
from rules.official import official_store

__all__ = ["Context", "build_context"]


@final
class Context:
    """What every rule may look at; built once per listing (a plain class: compiled, its methods are C calls)."""

    __slots__ = ("asserted", "fields", "hits", "listing", "mentions", "price")

    def __init__(self, listing: dict[str, Any], fields: dict[str, Normalized], hits: dict[str, list[Hit]],
                 mentions: list[BrandMention], asserted: list[BrandMention], price: int | None) -> None:
        self.listing = listing
        self.fields = fields
        self.hits = hits
        self.mentions = mentions
        self.asserted = asserted  # mentions that present the brand as the product (not 'fits iPhone')
        self.price = price

    @property
    def official(self) -> bool:
        """The seller is an official store of the brand it sells; worked out only when a check needs it (a
        listing asks at most twice: its price floor and its risk)."""
        return official_store(self.listing, seller_of(self.listing), [m.brand for m in self.asserted])

    def span(self, hit: Hit) -> Span:
        """The finding span of a hit: original words, canonical form and original offsets."""
        norm = self.fields[hit.field]
        start, end = norm.source(hit.start, hit.end)
        return span_of(hit.field, norm.original[start:end], norm.text[hit.start : hit.end], start, end)

    def has(self, phrases: frozenset[str], fields: tuple[str, ...] | None = None) -> bool:
        """Whether any of ``phrases`` occurs (optionally only in ``fields``). A listing's few phrases are
        looked up in ``phrases``, in a plain loop: compiled, no set is built."""
        for phrase, hits in self.hits.items():
            if phrase in phrases:
                if fields is None:
                    return True
                for hit in hits:
                    if hit.field in fields:
                        return True
        return False

    def occurrences(self, phrases: frozenset[str]) -> list[Hit]:
        """Every hit of any of ``phrases``, phrase by phrase."""
        found: list[Hit] = []
        if phrases:
            for phrase, hits in self.hits.items():
                if phrase in phrases:
                    found += hits
        return found

    @property
    def brand(self) -> str | None:
        """Canonical brand: the first asserted mention, else the first mention at all."""
        chosen = self.asserted or self.mentions
        return chosen[0].brand.name if chosen else None


# Scraped text is hostile: no marketplace allows titles or descriptions near this long.
_MAX_TEXT = 20_000
_MAX_SHORT = 300


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _price(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _propagate_compatible(mentions: list[BrandMention]) -> list[BrandMention]:
    """A brand first named as what an accessory fits ('Ốp cho iPhone') stays so for the whole listing."""
    if not any(mention.compatible for mention in mentions):
        return mentions
    first: dict[str, bool] = {}
    for mention in mentions:
        first.setdefault(mention.brand.name, mention.compatible)
    return [BrandMention(m.brand, m.hit, m.obfuscated, True) if first[m.brand.name] and not m.compatible else m
            for m in mentions]


def _short_fields(compiled: Compiled, seller: str, brand: str, category: str,
                  ) -> tuple[dict[str, Normalized], dict[str, list[Hit]]]:
    """The short fields and their phrase hits, remembered together since a seller lists the same brands in
    the same categories over and over (the hit lists are shared between listings: never mutated)."""
    key = (seller, brand, category)
    found = compiled.short.get(key)
    if found is None:
        fields = {"seller": normalize(seller), "brand": normalize(brand), "category": normalize(category)}
        found = (fields, scan(compiled, fields))
        make_room(compiled.short)
        compiled.short[key] = found
    return found


def build_context(compiled: Compiled, listing: dict[str, Any]) -> Context:
    """Normalise the listing's fields, scan them once and locate brands."""
    seller = seller_of(listing)
    fields = {
        "title": normalize(_text(listing.get("title"))[:_MAX_TEXT]),
        "description": normalize(_text(listing.get("description"))[:_MAX_TEXT]),
    }
    hits = scan(compiled, fields)
    short, short_hits = _short_fields(compiled, _text(seller.get("name"))[:_MAX_SHORT],
                                      _text(listing.get("brand"))[:_MAX_SHORT],
                                      _text(listing.get("category"))[:_MAX_SHORT])
    fields.update(short)
    for phrase, found in short_hits.items():
        hits[phrase] = hits[phrase] + found if phrase in hits else found
    mentions = find_mentions(compiled, hits, fields, ("title", "description", "brand", "category"))
    known = {m.hit.start for m in mentions if m.hit.field == "title"}
    mentions += title_mentions(compiled, fields["title"], known)
    mentions = _propagate_compatible(mentions)
    asserted = [m for m in mentions if not m.compatible]
    return Context(listing, fields, hits, mentions, asserted, _price(listing.get("price")))
