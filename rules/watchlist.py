"""Watchlists of sellers (``rules/watchlists/*.csv``) and matching a listing's seller against them.

A seller matches by exact shop id (same source), website domain, phone in any format (E.164), tax code, or
a name written differently — fuzzy on the *distinctive* part of the name, so two shops that only share
generic words ("Đồ Chơi Trẻ Em", "Giá Sỉ") or a common personal name do not match.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ahocorasick
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from rapidfuzz import fuzz

from crawler.clean import extract_phones, to_e164
from rules.compile import make_room
from rules.model import as_mapping, listing_of, seller_of, seller_source
from rules.normalize import fold
from rules.schema import RuleError

__all__ = ["HEADER", "ROUTE_LABELS", "WATCHLISTS_DIR", "Entry", "WatchHit", "Watchlist", "read_watchlist"]

WATCHLISTS_DIR = Path(__file__).parent / "watchlists"
HEADER = ("list_id", "entry_id", "source", "shop_id", "name", "phone", "tax_code", "domain", "reason", "basis")
_WORD = re.compile(r"[a-z0-9]+")
# A tax code: ten digits (a branch adds "-001"), not inside a longer number or a decimal; a full stop that
# ends the sentence ("MST 0109873542.") may follow.
_TAX = re.compile(r"(?<![\d.])(\d{10}(?:-\d{3})?)(?!\d|\.\d)")
# Cheap pre-check: a run of 9+ digits with optional separators, before asking phonenumbers to parse (which
# reads full-width digits too: "０９１２…" evades an ASCII-only filter).
_PHONE_HINT = re.compile(r"(?:\(?[+＋]?(?:84|８４)\)?|[0０])[\s.\-]?\d(?:[\s.\-]?\d){7,9}")
# What both of the above need: a number of nine digits or more, at most one separator between two digits. The
# text is scanned once for these; the two patterns above then only read each number with a few characters
# around it ("(+84) " before a phone, a full stop after a tax code): scanning a long description three times
# cost more than everything else the watchlist does.
_NUMBER = re.compile(r"\d(?:[\s.\-]?\d){8,}")
_AROUND = 6
_DIGITS = re.compile(r"\d+")
# A web URL or bare host that is plain (no user, port or brackets): ``urlsplit`` would give the same host.
_PLAIN_HOST = re.compile(r"(?:https?://)?([a-z0-9.\-]+)(?:[/?#]|$)")
# How a seller can match an entry (``WatchHit.route``), as findings and explanations tell an inspector.
ROUTE_LABELS = {"shop_id": "mã gian hàng", "name": "tên người bán", "phone": "số điện thoại",
                "tax_code": "mã số thuế", "domain": "tên miền"}
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
    plain = _PLAIN_HOST.match(value)
    host = plain.group(1) if plain else urlsplit(value if "//" in value else f"//{value}").hostname or ""
    return host.removeprefix("www.")


# Sellers repeat their phones and names on every listing: what each written form gave, bounded.
_REMEMBERED = 65_536
_E164: dict[str, str | None] = {}  # a phone as written → E.164, or None


def _e164(raw: str) -> str | None:
    found = _E164.get(raw, "")
    if found == "":
        make_room(_E164, _REMEMBERED)
        found = _E164[raw] = to_e164(raw)
    return found


def _national(e164: str) -> str:
    """``+84912345678`` → ``912345678``: country calling codes are prefix-free, so the first known one wins."""
    for size in (1, 2, 3):
        if int(e164[1 : 1 + size]) in COUNTRY_CODE_TO_REGION_CODE:
            return e164[1 + size :]
    return e164[1:]


def _digits(text: str) -> str:
    """Every decimal digit of ``text`` in order, as ASCII (a phone number's digits are a run of these)."""
    digits = "".join(_DIGITS.findall(text))
    return digits if digits.isascii() else "".join(str(unicodedata.decimal(ch)) for ch in digits)


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
            fields: dict[str, Any] = {**values, "phone": phone}
            entries.append(Entry(**fields, line=line))
    return entries


def _words(name: str) -> list[str]:
    return [w for w in _WORD.findall(fold(name)) if w not in _NOISE]


def _full_name_keys(words: list[str]) -> tuple[str, str]:
    """The whole name however it is spaced ("tiemdonghoquangvinh"), and its words in any order."""
    return "".join(words), " ".join(sorted(words))


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
    # built on first use: the national digits of every listed phone, and each seller name's verdict
    _numbers: ahocorasick.Automaton | None = field(default=None, init=False, repr=False)
    _by_name: dict[str, tuple[WatchHit, ...]] = field(default_factory=dict, init=False, repr=False)

    def add(self, entries: Iterable[Entry], where: str = "") -> None:
        self._numbers = None
        self._by_name.clear()
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
            for key in dict.fromkeys(_full_name_keys(words)):
                self.by_full_name.setdefault(key, []).append(entry)
        distinctive = "".join(w for w in words if w not in self.generic)
        if len(distinctive) < 5:
            return
        self.names[entry.entry_id] = (words, distinctive, entry)
        for gram in {distinctive[i : i + 4] for i in range(len(distinctive) - 3)}:
            self.by_gram.setdefault(gram, []).append(entry)

    def match(self, listing: Mapping[str, Any], longest_number: int | None = None) -> list[WatchHit]:
        """Every entry the listing's seller matches, first route per entry. ``longest_number``: the most digits
        in a row in the title and description (``rules.normalize.longest_number``), when the caller has them
        normalised: under nine, no phone or tax code is written there and the text is not scanned for one."""
        plain = listing_of(listing)
        seller = seller_of(plain)
        hits: dict[str, WatchHit] = {}
        for hit in (*self._ids(plain, seller), *self._contacts(plain, seller, longest_number), *self._name(seller)):
            hits.setdefault(hit.entry.entry_id, hit)
        return list(hits.values())

    def _ids(self, listing: dict[str, Any], seller: dict[str, Any]) -> list[WatchHit]:
        out: list[WatchHit] = []
        seller_id = str(seller.get("id") or "")
        source, shop = seller_source(listing, seller)
        if shop and source != "web":
            out += [WatchHit(e, "shop_id", seller_id) for e in self.by_shop.get((source.lower(), shop), ())]
        if source and source != "web":  # a platform's listing URL is the platform's own domain
            return out
        for domain in {domain_of(seller_id) if source == "web" else "", domain_of(str(listing.get("url") or ""))}:
            out += [WatchHit(e, "domain", domain) for e in self.by_domain.get(domain, ())] if domain else []
        return out

    def _listed_number_in(self, text: str) -> bool:
        """Whether a watchlisted phone's national digits occur in ``text`` at all: only then is it worth
        asking phonenumbers to find the numbers written there."""
        if self._numbers is None:
            numbers = ahocorasick.Automaton()
            for phone in self.by_phone:
                numbers.add_word(_national(phone), phone)
            if len(numbers):
                numbers.make_automaton()
            self._numbers = numbers
        return bool(len(self._numbers)) and next(self._numbers.iter(_digits(text)), None) is not None

    def _contacts(self, listing: dict[str, Any], seller: dict[str, Any],
                  longest_number: int | None) -> list[WatchHit]:
        phones: list[str] = []
        for raw in seller.get("phones") or ():  # a plain loop: compiled, no iterator of Python calls
            phone = _e164(str(raw))
            if phone and phone not in phones:
                phones.append(phone)
        text = numbers = ""
        if longest_number is None or longest_number >= 9:  # what ``_NUMBER`` needs
            text = f"{listing.get('title') or ''}\n{listing.get('description') or ''}"
            numbers = "\n".join(text[max(found.start() - _AROUND, 0) : found.end() + _AROUND]
                                for found in _NUMBER.finditer(text))
        if numbers and self.by_phone and _PHONE_HINT.search(numbers) and self._listed_number_in(numbers):
            phones += [phone for phone in extract_phones(text) if phone not in phones]
        out = [WatchHit(e, "phone", phone) for phone in phones for e in self.by_phone.get(phone, ())]
        website = as_mapping(seller.get("website"))
        taxes = [str(t) for t in seller.get("tax_codes") or () if t]
        if website and website.get("tax_code"):
            taxes.append(str(website["tax_code"]))
        if numbers and self.by_tax:
            taxes += _TAX.findall(numbers)
        if taxes:
            out += [WatchHit(e, "tax_code", tax) for tax in dict.fromkeys(taxes) for e in self.by_tax.get(tax, ())]
        return out

    def _name(self, seller: dict[str, Any]) -> tuple[WatchHit, ...]:
        """Entries matching the seller's name; a seller lists many items, so each name is matched once."""
        name = str(seller.get("name") or "")
        hits = self._by_name.get(name)
        if hits is None:
            make_room(self._by_name, _REMEMBERED)
            hits = self._by_name[name] = tuple(self._match_name(name))
        return hits

    def _match_name(self, name: str) -> list[WatchHit]:
        words = _words(name)
        # the same name written differently ("Thế Giới Thuốc Lá" / "The Gioi Thuoc La"), generic or not
        same = list({e.entry_id: WatchHit(e, "name", name) for key in _full_name_keys(words)
                     for e in self.by_full_name.get(key, ())}.values())
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
