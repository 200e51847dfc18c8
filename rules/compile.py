"""Compile a rule book once into one Aho-Corasick automaton over canonical text.

Every phrase of every rule, brand alias, product-type word and context word becomes one key of a single
automaton, so scanning a listing costs one pass per field whatever the number of rules; rules are then
evaluated only for the phrases that actually occurred.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, final

import ahocorasick

from rules.loader import RuleBook
from rules.normalize import Normalized, fold, normalize_phrase
from rules.schema import Brand, Rule

__all__ = ["TEXT_LEXICONS", "Compiled", "Hit", "compile_book", "make_room", "scan"]

# Lexicon lists looked for in listing text; the others name product types or shop-name words.
TEXT_LEXICONS = ("compatible_before", "genuine_claims", "no_floor")
_MEMO_LIMIT = 50_000


@final
class Hit:
    """One occurrence of a canonical phrase in a field: canonical offsets (without the padding spaces).

    A plain class, not a tuple: compiled (rules.native) it is a C struct, made and read without Python calls;
    two hits are the same occurrence only if they are the same object (a scan makes one per occurrence)."""

    __slots__ = ("end", "field", "start")

    def __init__(self, field: str, start: int, end: int) -> None:
        self.field = field
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Hit({self.field!r}, {self.start}, {self.end})"


@dataclass
class Compiled:
    """The automaton plus indexes from phrase to the rules, brands and product types that use it, and the
    verdicts remembered per word."""

    automaton: ahocorasick.Automaton
    rules: list[Rule]
    triggers: dict[str, list[Rule]] = field(default_factory=dict)
    aliases: dict[str, list[tuple[Brand, str]]] = field(default_factory=dict)
    brands: dict[str, Brand] = field(default_factory=dict)
    product_types: dict[str, str] = field(default_factory=dict)
    lexicon: dict[str, frozenset[str]] = field(default_factory=dict)
    fuzzy_index: dict[tuple[str, int], list[tuple[tuple[int, int], str, Brand]]] = field(default_factory=dict)
    # brand names, their misspellings and the aliases declared in several words, with the spaces taken out
    # (5+ letters) → (brands, the names as declared), to find them spelt across words ("ba len ci a ga");
    # one-word aliases are left out: "On The Go" is also just English. Every shorter prefix of such a name maps
    # to None, so words are joined one at a time only while they can still become a name.
    joined: dict[str, tuple[tuple[Brand, ...], frozenset[str]] | None] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    checks: dict[str, Rule] = field(default_factory=dict)
    compatible_before: frozenset[str] = frozenset()
    # Verdicts that depend only on the words and this rule book, remembered since listings share their
    # vocabulary: one dictionary per kind, keyed by plain strings where they can be (a tuple key is hashed and
    # compared item by item), each forgotten once full (see ``make_room``: vocabulary drifts).
    # alias found → the seller's spelling of it → (brand, whether the spelling is bent) per brand it stands for
    readings: dict[str, dict[str, tuple[tuple[Brand, bool], ...]]] = field(default_factory=dict, repr=False)
    fuzzy: dict[str, Brand | None] = field(default_factory=dict, repr=False)  # title word → brand it misspells
    # (seller name, brand, category) → those fields normalised and their phrase hits
    short: dict[tuple[str, str, str], tuple[dict[str, Normalized], dict[str, list[Hit]]]] = field(
        default_factory=dict, repr=False)


def make_room(memo: dict[Any, Any], limit: int = _MEMO_LIMIT) -> None:
    """Forget everything a full memo remembers before it takes one more entry (scraped text is unbounded)."""
    if len(memo) >= limit:
        memo.clear()


def _swaps(alias: str) -> list[str]:
    """``nike`` → ``nlke``; ``adidas`` → ``adldas``: the i/l swap sellers use, one position at a time."""
    if len(alias) < 4 or " " in alias:
        return []
    swap = {"i": "l", "l": "i"}
    return [alias[:i] + swap[ch] + alias[i + 1 :] for i, ch in enumerate(alias) if ch in swap]


def _add_brand(compiled: Compiled, brand: Brand, rank: int) -> None:
    compiled.brands[fold(brand.name)] = brand
    strict = {normalize_phrase(s) for s in brand.strict}
    forms = [(normalize_phrase(a), "alias") for a in brand.aliases if normalize_phrase(a) not in strict]
    forms += [(normalize_phrase(m), "misspelling") for m in brand.misspellings]
    forms += [(s, "misspelling") for a, kind in list(forms) if kind == "alias" for s in _swaps(a)]
    forms += [(key, "strict") for key in strict]
    names = [normalize_phrase(n) for n in (brand.name, *brand.misspellings)]
    names += [form for form, kind in forms if kind == "alias" and " " in form]  # "Saint Laurent", not "OnTheGo"
    for name in names:
        joined = name.replace(" ", "")
        if len(joined) >= 5 and joined.isalpha():
            for size in range(1, len(joined)):
                compiled.joined.setdefault(joined[:size], None)
            brands, spellings = compiled.joined.get(joined) or ((), frozenset())
            compiled.joined[joined] = brands if brand in brands else (*brands, brand), spellings | {name}
    for position, (form, kind) in enumerate(forms):
        entries = compiled.aliases.setdefault(form, [])
        if all(existing is not brand for existing, _ in entries):
            entries.append((brand, kind))
        if kind == "alias" and len(form) >= 6 and " " not in form:
            # bucketed by first letter and length (a fuzzy spelling is at most one letter longer or shorter),
            # ranked so that the first brand in the book wins, as it would in a plain loop
            compiled.fuzzy_index.setdefault((form[0], len(form)), []).append(((rank, position), form, brand))


def compile_book(book: RuleBook) -> Compiled:
    """Build the automaton and indexes for ``book`` (called once per engine)."""
    lexicon = {name: frozenset(phrases) for name, phrases in book.lexicon.items()}
    compiled = Compiled(automaton=ahocorasick.Automaton(), rules=list(book.rules), lexicon=lexicon)
    triggers: dict[str, list[Rule]] = defaultdict(list)
    keys: set[str] = set()
    compiled.order = {rule.id: i for i, rule in enumerate(book.rules)}
    compiled.checks = {rule.check: rule for rule in book.rules if rule.check}
    for rule in book.rules:
        for phrase in rule.phrases:
            triggers[phrase].append(rule)
        keys.update(rule.phrases, rule.requires_any, rule.unless_any, rule.unless_near, rule.suppress_after)
    compiled.triggers = dict(triggers)
    for rank, brand in enumerate(book.brands):
        _add_brand(compiled, brand, rank)
    keys.update(compiled.aliases)
    keys.update(line for brand in book.brands for line in brand.lines)
    for type_name, phrases in book.product_types.items():
        for phrase in phrases:
            compiled.product_types.setdefault(phrase, type_name)
        keys.update(phrases)
    for name in TEXT_LEXICONS:
        keys.update(book.lexicon.get(name, ()))
    compiled.compatible_before = lexicon.get("compatible_before", frozenset())
    for key in keys:
        compiled.automaton.add_word(f" {key} ", (key, len(key)))
    compiled.automaton.make_automaton()
    return compiled


def scan(compiled: Compiled, fields: dict[str, Normalized]) -> dict[str, list[Hit]]:
    """Every phrase occurrence in every field, keyed by canonical phrase: one automaton pass over the fields
    joined by new lines (no key holds one, so no match spans two fields)."""
    hits: dict[str, list[Hit]] = {}
    names = [name for name, norm in fields.items() if len(norm.text) >= 3]
    if not names:
        return hits
    texts = [fields[name].text for name in names]
    ends = list(accumulate(len(text) + 1 for text in texts))
    field, base, limit, name = 0, 0, ends[0], names[0]
    found: tuple[int, tuple[str, int]]  # typed, so compiled code reads the pairs without the iterator protocol
    for found in compiled.automaton.iter("\n".join(texts)):
        end, (key, length) = found
        # ``end`` is the index of the trailing space; the key starts after the leading one
        while end >= limit:
            field, base, limit = field + 1, limit, ends[field + 1]
            name = names[field]
        hit = Hit(name, end - length - base, end - base)
        same = hits.get(key)
        if same is None:
            hits[key] = [hit]
        else:
            same.append(hit)
    return hits
