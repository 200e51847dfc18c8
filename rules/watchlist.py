"""Watchlists of sellers (``rules/watchlists/*.csv``) and matching a listing's seller against them.

A seller matches by exact shop id (same source), website domain, phone in any format (E.164), tax code, or
a name written differently — fuzzy on the *distinctive* part of the name, so two shops that only share
generic words ("Đồ Chơi Trẻ Em", "Giá Sỉ") or a common personal name do not match.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from crawler.clean import extract_phones, to_e164
from rules.normalize import fold
from rules.schema import RuleError

__all__ = ["HEADER", "WATCHLISTS_DIR", "Entry", "WatchHit", "Watchlist", "read_watchlist"]

WATCHLISTS_DIR = Path(__file__).parent / "watchlists"
HEADER = ("list_id", "entry_id", "source", "shop_id", "name", "phone", "tax_code", "domain", "reason", "basis")
_WORD = re.compile(r"[a-z0-9]+")
_TAX = re.compile(r"(?<![\d.])(\d{10}(?:-\d{3})?)(?![\d.])")
# Cheap pre-check: a run of 9+ digits with optional separators, before asking phonenumbers to parse.
_PHONE_HINT = re.compile(r"(?:\+?84|0)[\s.\-]?\d(?:[\s.\-]?\d){7,9}")
_NOISE = frozenset(
    ["shop", "store", "official", "mall", "offical", "chinh", "hang", "auth", "authentic", "vn", "vietnam"]
)


@dataclass(frozen=True)
class Entry:
    """One watchlisted seller with the decision that put it there."""

    list_id: str
    entry_id: str
    source: str
    shop_id: str
    name: str
    phone: str | None
    tax_code: str
    domain: str
    reason: str
    basis: str
    line: int = 0


@dataclass(frozen=True)
class WatchHit:
    """A seller that matched an entry, and by which route."""

    entry: Entry
    route: str
    value: str


def domain_of(value: str | None) -> str:
    """``https://www.Shop.vn/x`` → ``shop.vn``; ``web:shop.vn`` → ``shop.vn``."""
    if not value:
        return ""
    value = value.strip().lower().removeprefix("web:")
    host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    return host.removeprefix("www.")


def read_watchlist(path: Path) -> list[Entry]:
    """Entries of one CSV; a bad header, duplicate id or entry without any identifier is a RuleError."""
    entries: list[Entry] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != HEADER:
            raise RuleError(str(path), 1, None, None, f"header must be {','.join(HEADER)}")
        for row in reader:
            values = {key: (row.get(key) or "").strip() for key in HEADER}
            line = reader.line_num
            if not values["entry_id"]:
                raise RuleError(str(path), line, None, "entry_id", "missing")
            if not any(values[k] for k in ("shop_id", "name", "phone", "tax_code", "domain")):
                missing = "no shop id, name, phone, tax code or domain"
                raise RuleError(str(path), line, values["entry_id"], None, missing)
            phone = to_e164(values["phone"]) if values["phone"] else None
            if values["phone"] and phone is None:
                raise RuleError(str(path), line, values["entry_id"], "phone", f"not a valid number: {values['phone']}")
            values["domain"] = domain_of(values["domain"])
            entries.append(Entry(**{**values, "phone": phone}, line=line))
    return entries


def _words(name: str) -> list[str]:
    return [w for w in _WORD.findall(fold(name)) if w not in _NOISE]


@dataclass
class Watchlist:
    """Indexes over every entry so a listing costs a few dict look-ups plus RapidFuzz on a handful of names."""

    generic: frozenset[str] = frozenset()
    by_shop: dict[tuple[str, str], list[Entry]] = field(default_factory=dict)
    by_domain: dict[str, list[Entry]] = field(default_factory=dict)
    by_phone: dict[str, list[Entry]] = field(default_factory=dict)
    by_tax: dict[str, list[Entry]] = field(default_factory=dict)
    by_gram: dict[str, list[Entry]] = field(default_factory=dict)
    names: dict[str, tuple[list[str], str, Entry]] = field(default_factory=dict)
    by_full_name: dict[str, list[Entry]] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)

    def add(self, entries: Iterable[Entry], where: str = "") -> None:
        for entry in entries:
            if entry.entry_id in self.ids:
                raise RuleError(where, entry.line, entry.entry_id, "entry_id", "duplicate entry id")
            self.ids.add(entry.entry_id)
            if entry.shop_id:
                self.by_shop.setdefault((entry.source.lower(), entry.shop_id), []).append(entry)
            for index, key in ((self.by_domain, entry.domain), (self.by_phone, entry.phone),
                               (self.by_tax, entry.tax_code)):
                if key:
                    index.setdefault(key, []).append(entry)
            if entry.name:
                self._index_name(entry)

    def _index_name(self, entry: Entry) -> None:
        words = _words(entry.name)
        if len("".join(words)) >= 8:
            self.by_full_name.setdefault("".join(words), []).append(entry)
        distinctive = "".join(w for w in words if w not in self.generic)
        if len(distinctive) < 5:
            return
        self.names[entry.entry_id] = (words, distinctive, entry)
        for gram in {distinctive[i : i + 4] for i in range(len(distinctive) - 3)}:
            self.by_gram.setdefault(gram, []).append(entry)

    def match(self, listing: Mapping[str, Any]) -> list[WatchHit]:
        """Every entry the listing's seller matches, first route per entry."""
        seller = listing.get("seller") if isinstance(listing.get("seller"), Mapping) else {}
        hits: dict[str, WatchHit] = {}
        for hit in (*self._ids(listing, seller), *self._contacts(listing, seller), *self._name(seller)):
            hits.setdefault(hit.entry.entry_id, hit)
        return list(hits.values())

    def _ids(self, listing: Mapping[str, Any], seller: Mapping[str, Any]) -> list[WatchHit]:
        out: list[WatchHit] = []
        seller_id = str(seller.get("id") or "")
        source, _, shop = seller_id.partition(":")
        source = source or str(listing.get("source") or "")
        if shop and source != "web":
            out += [WatchHit(e, "shop_id", seller_id) for e in self.by_shop.get((source.lower(), shop), ())]
        for domain in {domain_of(seller_id) if source == "web" else "", domain_of(str(listing.get("url") or ""))}:
            out += [WatchHit(e, "domain", domain) for e in self.by_domain.get(domain, ())] if domain else []
        return out

    def _contacts(self, listing: Mapping[str, Any], seller: Mapping[str, Any]) -> list[WatchHit]:
        text = f"{listing.get('title') or ''}\n{listing.get('description') or ''}"
        phones = [p for p in (to_e164(str(raw)) for raw in seller.get("phones") or ()) if p]
        if self.by_phone and _PHONE_HINT.search(text):
            phones += extract_phones(text)
        out = [WatchHit(e, "phone", phone) for phone in dict.fromkeys(phones) for e in self.by_phone.get(phone, ())]
        website = seller.get("website") if isinstance(seller.get("website"), Mapping) else {}
        taxes = [str(t) for t in (*(seller.get("tax_codes") or ()), website.get("tax_code")) if t]
        taxes += _TAX.findall(text) if self.by_tax else []
        out += [WatchHit(e, "tax_code", tax) for tax in dict.fromkeys(taxes) for e in self.by_tax.get(tax, ())]
        return out

    def _name(self, seller: Mapping[str, Any]) -> list[WatchHit]:
        name = str(seller.get("name") or "")
        words = _words(name)
        # the same name written differently ("Thế Giới Thuốc Lá" / "The Gioi Thuoc La"), generic or not
        same = [WatchHit(e, "name", name) for e in self.by_full_name.get("".join(words), ())]
        distinctive = "".join(w for w in words if w not in self.generic)
        if len(distinctive) < 5 or not self.by_gram:
            return same
        grams = Counter(e.entry_id for i in range(len(distinctive) - 3)
                        for e in self.by_gram.get(distinctive[i : i + 4], ()))
        out: list[WatchHit] = []
        for entry_id, shared in grams.most_common(20):
            if shared < 2:
                break
            entry_words, entry_distinctive, entry = self.names[entry_id]
            if fuzz.partial_ratio(distinctive, entry_distinctive) < 90:
                continue
            whole = max(fuzz.ratio("".join(words), "".join(entry_words)),
                        fuzz.token_sort_ratio(" ".join(words), " ".join(entry_words)))
            if whole >= 85:
                out.append(WatchHit(entry, "name", name))
        return same + out
