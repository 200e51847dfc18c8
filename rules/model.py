"""Result types of the rule engine: spans, findings and a listing's assessment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from rules.schema import Rule

__all__ = ["CATEGORIES", "SEVERITY_SCORE", "Assessment", "Finding", "Span", "as_mapping", "assessment_of", "finding_of",
           "listing_of", "seller_of", "seller_source", "span_of"]

# Canonical order of categories in every output (labels and findings use it).
CATEGORIES: tuple[str, ...] = (
    "counterfeit",
    "banned",
    "conditional",
    "origin",
    "false_ad",
    "price_anomaly",
    "watchlist",
    "website_compliance",
)

SEVERITY_SCORE: dict[str, int] = {"low": 30, "medium": 55, "high": 75, "critical": 90}


class Span(NamedTuple):
    """Where a rule matched: the original text (for display) and its normalised form (what matched).

    Spans and findings are tuples: a listing makes several, and a frozen dataclass costs a Python-level
    ``__setattr__`` per field and a Python-level ``__hash__`` (spans are deduplicated in a dict)."""

    field: str
    text: str
    normalized: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "text": self.text,
            "normalized": self.normalized,
            "start": self.start,
            "end": self.end,
        }


class Finding(NamedTuple):
    """One rule that fired on a listing, with everything an inspector needs to judge it."""

    rule_id: str
    rule_set: str
    category: str
    severity: str
    score: int
    legal_basis: str
    description: str
    spans: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "rule_set": self.rule_set,
            "category": self.category,
            "severity": self.severity,
            "score": self.score,
            "legal_basis": self.legal_basis,
            "description": self.description,
            "spans": [span.to_dict() for span in self.spans],
        }


# A NamedTuple's own ``__new__`` is a Python function: compiled callers (rules.native) would pay an interpreter
# call per span, finding and assessment; ``tuple.__new__`` is C.
_new = tuple.__new__


def span_of(field: str, text: str, normalized: str, start: int, end: int) -> Span:
    """A :class:`Span`, made without the interpreter."""
    return _new(Span, (field, text, normalized, start, end))


def finding_of(rule: Rule, description: str, spans: tuple[Span, ...] = (), legal_basis: str | None = None) -> Finding:
    """The :class:`Finding` of ``rule``: its id, set, category, severity, score and legal basis (unless given)."""
    basis = rule.legal_basis if legal_basis is None else legal_basis
    return _new(Finding, (rule.id, rule.rule_set, rule.category, rule.severity, rule.score, basis, description, spans))


class Assessment(NamedTuple):
    """The verdict on one listing: flag, categories in canonical order, canonical brand, risk and findings."""

    flag: bool
    categories: list[str]
    brand: str | None
    risk: int
    findings: list[Finding]

    def to_dict(self) -> dict[str, Any]:
        return {
            "flag": self.flag,
            "categories": list(self.categories),
            "brand": self.brand,
            "risk": self.risk,
            "findings": [finding.to_dict() for finding in self.findings],
        }


def assessment_of(findings: list[Finding], categories: list[str], brand: str | None, risk: int) -> Assessment:
    """An :class:`Assessment`, made without the interpreter (one per listing)."""
    return _new(Assessment, (bool(categories), categories, brand, risk, findings))


def as_mapping(value: Any) -> dict[str, Any] | None:
    """``value`` as a dict if it is a mapping, else None: scraped data may hold anything. The engine reads
    plain dicts only (compiled, a dict's ``get`` is a C call; a Mapping's is a Python method call): any other
    mapping is copied once (dict and None are checked first: the ABC check is slow)."""
    if type(value) is dict:
        return value
    return dict(value) if value is not None and isinstance(value, Mapping) else None


def listing_of(listing: Mapping[str, Any]) -> dict[str, Any]:
    """The listing as the plain dict the engine reads (it nearly always is one already)."""
    return listing if type(listing) is dict else dict(listing)


def seller_of(listing: dict[str, Any]) -> dict[str, Any]:
    """The listing's embedded seller; anything but a mapping (scraped data) reads as no seller."""
    return as_mapping(listing.get("seller")) or {}


def seller_source(listing: dict[str, Any], seller: dict[str, Any]) -> tuple[str, str]:
    """``(source, shop)`` of the seller: ``shopee:123`` → ``("shopee", "123")``; an id without a source takes
    the listing's."""
    source, _, shop = str(seller.get("id") or "").partition(":")
    return (source if shop else "") or str(listing.get("source") or ""), shop
