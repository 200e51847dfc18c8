"""Find protected brands in a listing: exact aliases from the automaton, fuzzy spellings only on candidates.

A mention is *obfuscated* when the seller bent the spelling (``L.V``, ``R0lex``, ``Nlke``, ``Chanell``) and
*compatible* when the brand only names what an accessory fits (``ốp lưng cho iPhone``, ``không phải hàng
Apple``): the first is a counterfeit cue, the second must never be one.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from typing import cast, final

from rapidfuzz import fuzz, process

from rules.compile import Compiled, Hit, make_room
from rules.normalize import Normalized, fold
from rules.schema import Brand

__all__ = ["BrandMention", "find_mentions", "title_mentions"]

_LETTERS = re.compile(r"[^a-z0-9]")
# Letters kept apart by a dot, star, slash or an emoji/other symbol ("G.U.C.C.I", "G/U/C/C/I", "G🔥U🔥C🔥C🔥I"),
# or lone letters joined by any symbol ("L-V", "G-U-C-C-I"; not "Ray-Ban").
_HIDING = re.compile(r"[a-zA-Z](?:[.*_·/]|[^\x00-\x7f\w\s])[a-zA-Z]|(?<![a-zA-Z])[a-zA-Z][^\w\s]+[a-zA-Z](?![a-zA-Z])")
_FIELD_ORDER = {"title": 0, "description": 1, "brand": 2, "seller": 3, "category": 4}


@final
class BrandMention:
    """One brand mention: where, how it was written and whether it only names what something fits."""

    __slots__ = ("brand", "compatible", "hit", "obfuscated")

    def __init__(self, brand: Brand, hit: Hit, obfuscated: bool, compatible: bool) -> None:
        self.brand = brand
        self.hit = hit
        self.obfuscated = obfuscated
        self.compatible = compatible

    def __repr__(self) -> str:
        return (f"BrandMention({self.brand.name!r}, {self.hit!r}, obfuscated={self.obfuscated}, "
                f"compatible={self.compatible})")


@lru_cache(maxsize=65_536)
def _letters(text: str) -> str:
    return _LETTERS.sub("", fold(text))


def _bent(original: str, brand: Brand) -> bool:
    """True when the seller's spelling is not any declared spelling of the brand."""
    if _HIDING.search(original) and not any(_HIDING.search(a) for a in brand.aliases):
        return True
    written = _letters(original)
    for alias in (*brand.aliases, *brand.strict):
        plain = _letters(alias)
        at = written.find(plain) if plain else -1
        if at >= 0 and written[at + len(plain) : at + len(plain) + 1] != plain[-1:]:
            return False
    return True


def _exact(original: str, brand: Brand) -> bool:
    """A strict alias (``MAC``, ``BV``) counts only when written exactly so, as a whole word."""
    return any(re.search(rf"(?<![\w]){re.escape(s)}(?![\w-])", original) for s in brand.strict)


def _readings(compiled: Compiled, key: str, original: str) -> tuple[tuple[Brand, bool], ...]:
    """The brands that ``original`` (where the automaton found ``key``) stands for, each with whether its
    spelling is bent; this depends only on the words, so it is remembered."""
    spellings = compiled.readings.get(key)
    if spellings is None:
        spellings = compiled.readings[key] = {}  # one per alias of the rule book: bounded by it
    readings = spellings.get(original)
    if readings is None:
        if len(key) <= 2 and _letters(original) != key:
            readings = ()  # "LV", "L.V" but not the "dg" inside a model number "F-91W-1DG"
        else:
            readings = tuple((brand, kind == "misspelling" or _bent(original, brand))
                             for brand, kind in compiled.aliases[key] if kind != "strict" or _exact(original, brand))
        make_room(spellings)
        spellings[original] = readings
    return readings


def _compatible(before: list[Hit], hit: Hit, norm: Normalized) -> bool:
    """A brand right after 'cho', 'tương thích', 'không phải hàng' … only says what the item fits."""
    if not before:
        return False
    at = norm.token_index(hit.start)
    return any(other.field == hit.field and other.end <= hit.start and at - norm.token_index(other.end) <= 1
               for other in before)


def find_mentions(compiled: Compiled, hits: dict[str, list[Hit]], fields: dict[str, Normalized],
                  where: Collection[str]) -> list[BrandMention]:
    """Exact (canonical) brand mentions in the fields ``where``, in field then position order."""
    found: list[BrandMention] = []
    aliases = compiled.aliases
    fits = compiled.compatible_before
    keys: list[str] = []
    before: list[Hit] = []
    for phrase, phrase_hits in hits.items():  # a listing's few phrases against the many aliases
        if phrase in aliases:
            keys.append(phrase)
        if phrase in fits:
            before += phrase_hits
    for key in keys:
        for hit in hits[key]:
            if hit.field not in where:
                continue
            norm = fields[hit.field]
            start, end = norm.source(hit.start, hit.end)
            readings = _readings(compiled, key, norm.original[start:end])
            if readings:
                alternate = norm.text.find(" ~ ", 0, hit.start) >= 0
                compatible = _compatible(before, hit, norm)
                for brand, bent in readings:
                    found.append(BrandMention(brand, hit, bent or alternate, compatible))
    if len(found) > 1:  # most listings name one brand once: no key function to call
        found.sort(key=lambda m: (_FIELD_ORDER.get(m.hit.field, 9), m.hit.start, -(m.hit.end - m.hit.start)))
    return found


_UNSEEN = object()


def _fuzzy_brand(compiled: Compiled, word: str) -> Brand | None:
    """The first alias of the same first letter, one letter longer or shorter at most, within ratio 88."""
    found = compiled.fuzzy.get(word, _UNSEEN)
    if found is not _UNSEEN:
        return cast("Brand | None", found)
    candidates = [entry for size in (len(word) - 1, len(word), len(word) + 1)
                  for entry in compiled.fuzzy_index.get((word[0], size), ())]
    close = process.extract(word, [alias for _, alias, _ in candidates], scorer=fuzz.ratio, score_cutoff=88,
                            limit=None) if candidates else []
    matches = [candidates[index] for alias, _, index in close if alias != word]
    brand = min(matches)[2] if matches else None
    make_room(compiled.fuzzy)
    compiled.fuzzy[word] = brand
    return brand


def _split(compiled: Compiled, words: list[str]) -> list[BrandMention]:
    """Brands whose letters are the joined letters of three or more consecutive words: from each word, the
    words after it are joined on while the letters are still the start of a name (most words are not)."""
    joined = compiled.joined
    found: list[tuple[int, int, int, tuple[Brand, ...]]] = []  # (where the shortest ends, first, after, brands)
    for first, word in enumerate(words):
        if word not in joined:
            continue
        letters = word
        shortest = longest = 0
        brands: tuple[Brand, ...] = ()
        for after in range(first + 1, len(words) + 1):
            if after > first + 1:
                letters += words[after - 1]
                if letters not in joined:
                    break
            entry = joined[letters]
            # "Maison Francis Kurkdjian" as declared is the brand's own spelling, not a split one
            if entry is not None and after - first >= 3 and " ".join(words[first:after]) not in entry[1]:
                shortest = shortest or after
                longest, brands = after, entry[0]
        if longest:
            found.append((shortest, first, longest, brands))
    out: list[BrandMention] = []
    if not found:
        return out
    if len(found) > 1:
        found.sort()  # in the order the names end, as a reader meets them
    starts = [0]  # word i starts at starts[i] in the canonical text (after the padding space)
    for word in words:
        starts.append(starts[-1] + len(word) + 1)
    for _, first, after, brands in found:
        for brand in brands:
            out.append(BrandMention(brand, Hit("title", starts[first] + 1, starts[after]), True, False))
    return out


def title_mentions(compiled: Compiled, norm: Normalized, known: set[int]) -> list[BrandMention]:
    """Brands in a title that the automaton cannot see, both bent spellings:

    - misspelt (``Adiddas``, ``Balenciagaa``): RapidFuzz only against aliases sharing the first letter and
      length, and only for words the automaton did not already explain (``known`` starts);
    - spelt across three or more words (``Ba Len Ci A Ga``); two are how some brands are written anyway
      (``Air Pods``, ``Vina Milk``).
    """
    words = norm.words()
    found: list[BrandMention] = []
    start = 1
    for word in words:
        if len(word) >= 6 and start not in known and word.isalpha():
            brand = _fuzzy_brand(compiled, word)
            if brand is not None:
                found.append(BrandMention(brand, Hit("title", start, start + len(word)), True, False))
        start += len(word) + 1
    if len(words) >= 3 and compiled.joined:
        found += _split(compiled, words)
    return found
