"""Find protected brands in a listing: exact aliases from the automaton, fuzzy spellings only on candidates.

A mention is *obfuscated* when the seller bent the spelling (``L.V``, ``R0lex``, ``Nlke``, ``Chanell``) and
*compatible* when the brand only names what an accessory fits (``ốp lưng cho iPhone``, ``không phải hàng
Apple``): the first is a counterfeit cue, the second must never be one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from rules.compile import Compiled, Hit
from rules.normalize import Normalized, fold
from rules.schema import Brand

__all__ = ["BrandMention", "find_mentions", "fuzzy_mentions"]

_LETTERS = re.compile(r"[^a-z0-9]")
_HIDING = re.compile(r"[a-zA-Z][.*_·][a-zA-Z]")


@dataclass(frozen=True)
class BrandMention:
    """One brand mention: where, how it was written and whether it only names what something fits."""

    brand: Brand
    hit: Hit
    obfuscated: bool
    compatible: bool


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


def _compatible(compiled: Compiled, hits: dict[str, list[Hit]], hit: Hit, norm: Normalized) -> bool:
    """A brand right after 'cho', 'tương thích', 'không phải hàng' … only says what the item fits."""
    at = norm.token_index(hit.start)
    for phrase in compiled.lexicon.get("compatible_before", ()):
        for other in hits.get(phrase, ()):
            if other.field == hit.field and other.end <= hit.start and at - norm.token_index(other.end) <= 1:
                return True
    return False


def find_mentions(compiled: Compiled, hits: dict[str, list[Hit]], fields: dict[str, Normalized]) -> list[BrandMention]:
    """Exact (canonical) brand mentions, in field then position order."""
    found: list[BrandMention] = []
    for key in hits.keys() & compiled.aliases.keys():
        for hit in hits[key]:
            norm = fields[hit.field]
            start, end = norm.source(hit.start, hit.end)
            original = norm.original[start:end]
            alternate = " ~ " in norm.text[: hit.start]
            if len(key) <= 2 and _letters(original) != key:
                continue  # "LV", "L.V" but not the "dg" inside a model number "F-91W-1DG"
            for brand, kind in compiled.aliases[key]:
                if kind == "strict" and not _exact(original, brand):
                    continue
                bent = alternate or kind == "misspelling" or _bent(original, brand)
                found.append(BrandMention(brand, hit, bent, _compatible(compiled, hits, hit, norm)))
    order = {"title": 0, "description": 1, "brand": 2, "seller": 3, "category": 4}
    found.sort(key=lambda m: (order.get(m.hit.field, 9), m.hit.start, -(m.hit.end - m.hit.start)))
    return found


def fuzzy_mentions(compiled: Compiled, norm: Normalized, known: set[int]) -> list[BrandMention]:
    """Misspelled brands in a title (``Adiddas``, ``Balenciagaa``): RapidFuzz only against aliases sharing
    the first letter and length, and only for words the automaton did not already explain."""
    found: list[BrandMention] = []
    position = 1
    for word in norm.text.split(" ~ ")[0].split():
        start = norm.text.find(f" {word} ", position - 1) + 1
        position = start + len(word) + 1
        if len(word) < 6 or start in known or not word.isalpha():
            continue
        for alias, brand in compiled.fuzzy_index.get(word[0], ()):
            if abs(len(alias) - len(word)) <= 1 and alias != word and fuzz.ratio(alias, word) >= 88:
                found.append(BrandMention(brand, Hit("title", start, start + len(word)), True, False))
                break
    return found
