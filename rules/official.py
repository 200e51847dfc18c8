"""Whether a listing's seller is an official store of the brand it names (``official:`` in brands.yaml).

The marketplace's own badge (``seller.official``) comes first; the brand's list adds what a badge cannot say:
the brand's own website (and its subdomains), and stores a marketplace marked neither way. It never overrides a
marketplace that said "not official": anyone can name a shop "Nike Official Store".
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rules.model import seller_source
from rules.normalize import fold
from rules.schema import Brand
from rules.watchlist import domain_of

__all__ = ["official_store"]


@lru_cache(maxsize=1024)
def _domains(entries: tuple[str, ...]) -> tuple[str, ...]:
    """A brand's listed websites as bare hosts (``https://www.Nike.com/vn`` → ``nike.com``), worked out once."""
    return tuple(d for d in map(domain_of, entries) if d)


def _on_domain(host: str, entries: tuple[str, ...]) -> bool:
    return bool(host) and any(host == d or host.endswith(f".{d}") for d in _domains(entries))


def official_store(listing: dict[str, Any], seller: dict[str, Any], brands: Iterable[Brand]) -> bool:
    """True when the marketplace marks the seller official, or one of ``brands`` lists it as its store."""
    badge = seller.get("official")
    if badge is True:
        return True
    source, shop = seller_source(listing, seller)
    if badge is False and source != "web":
        return False
    listed = [brand.official for brand in brands if brand.official]
    if not listed:
        return False
    if source == "web":
        host = domain_of(shop) or domain_of(str(listing.get("url") or ""))
        return any(_on_domain(host, stores.get("web", ())) for stores in listed)
    entries = [entry for stores in listed for entry in stores.get(source, ())]
    if not entries:
        return False
    name = " ".join(fold(str(seller.get("name") or "")).split())
    return any(entry == shop or " ".join(fold(entry).split()) == name for entry in entries)
