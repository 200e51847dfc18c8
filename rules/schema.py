"""Rule and brand definitions, validated from YAML mappings into frozen dataclasses.

Validation happens once at load: an error names the file, the line, the rule id and the field, so a
broken rule set is fixed in seconds instead of silently matching nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crawler.clean import nfc
from crawler.exceptions import ConfigError
from rules.model import CATEGORIES, SEVERITY_SCORE
from rules.normalize import normalize_phrase

__all__ = ["Brand", "Rule", "RuleError", "parse_brand", "parse_rule"]

FIELDS = ("title", "description", "seller", "brand", "category")
# Computed checks: the rule carries the metadata (basis, description), code does the test.
CHECKS = ("brand_obfuscated", "price_floor", "price_anomaly", "watchlist", "website_compliance")


class RuleError(ConfigError):
    """A rule set or watchlist entry is invalid; carries where, so ``rules check`` can list them all."""

    def __init__(self, path: str, line: int | None, rule_id: str | None, field_name: str | None, message: str):
        where = f"{path}:{line}" if line else path
        what = " ".join(part for part in (f"rule {rule_id}" if rule_id else "", f"field {field_name!r}"
                                           if field_name else "") if part)
        super().__init__(f"{where}: {what + ': ' if what else ''}{message}")
        self.path, self.line, self.rule_id, self.field = path, line, rule_id, field_name


@dataclass(frozen=True)
class Rule:
    """A phrase rule: fires when a phrase occurs in ``fields`` and its context conditions hold."""

    id: str
    rule_set: str
    category: str
    severity: str
    score: int
    legal_basis: str
    description: str
    phrases: tuple[str, ...]
    fields: tuple[str, ...] = ("title", "description")
    requires_brand: bool = False
    # context phrases are sets: a listing's hits are intersected with them, whatever their order
    requires_any: frozenset[str] = frozenset()
    unless_any: frozenset[str] = frozenset()
    unless_near: frozenset[str] = frozenset()
    near_window: int = 4
    suppress_after: frozenset[str] = frozenset()
    unless_official: bool = False
    check: str | None = None
    exact: Mapping[str, str] = field(default_factory=dict)
    line: int | None = None
    rank: Mapping[str, int] = field(default_factory=dict)  # phrase → its place in ``phrases`` (spans follow it)


@dataclass(frozen=True)
class Brand:
    """A protected brand: how it is written, who sells it officially, and below which price it cannot be real."""

    name: str
    group: str
    premium: bool
    aliases: tuple[str, ...]
    strict: tuple[str, ...] = ()
    misspellings: tuple[str, ...] = ()
    official: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    floors: Mapping[str, int] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)  # canonical product-line phrase → its own floor
    line: int | None = None


def _phrases(raw: Mapping[str, Any], key: str, ctx: tuple[str, int | None, str | None]) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise RuleError(ctx[0], ctx[1], ctx[2], key, "must be a list of non-empty strings")
    out = tuple(dict.fromkeys(normalize_phrase(item.lstrip("=")) for item in value))
    if "" in out:
        raise RuleError(ctx[0], ctx[1], ctx[2], key, "a phrase normalises to nothing")
    return out


def nfc_lower(text: str) -> str:
    """Accent-preserving comparable form (``"Hàng Giả"`` → ``"hàng giả"``)."""
    return " ".join((nfc(text) or "").lower().split())


def parse_rule(raw: Mapping[str, Any], path: str, rule_set: str, defaults: Mapping[str, Any]) -> Rule:
    """A validated :class:`Rule` from one YAML mapping (``defaults`` carries the set's ``legal_basis``)."""
    line = raw.get("__line__")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleError(path, line, None, "id", "missing or not a string")
    ctx = (path, line, rule_id)
    unknown = set(raw) - {f.name for f in Rule.__dataclass_fields__.values()} - {"__line__", "rule_set", "line"}
    if unknown:
        raise RuleError(path, line, rule_id, sorted(unknown)[0], "unknown field")
    category = raw.get("category")
    if category not in CATEGORIES:
        raise RuleError(path, line, rule_id, "category", f"must be one of {', '.join(CATEGORIES)}")
    severity = raw.get("severity", "medium")
    if severity not in SEVERITY_SCORE:
        raise RuleError(path, line, rule_id, "severity", f"must be one of {', '.join(SEVERITY_SCORE)}")
    score = raw.get("score", SEVERITY_SCORE[severity])
    if not isinstance(score, int) or not 0 <= score <= 100:
        raise RuleError(path, line, rule_id, "score", "must be an integer 0-100")
    basis = raw.get("legal_basis", defaults.get("legal_basis"))
    if not isinstance(basis, str) or not basis.strip():
        raise RuleError(path, line, rule_id, "legal_basis", "missing (set it on the rule or the set)")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise RuleError(path, line, rule_id, "description", "missing Vietnamese description")
    phrases = _phrases(raw, "phrases", ctx)
    check = raw.get("check")
    if check is not None and check not in CHECKS:
        raise RuleError(path, line, rule_id, "check", f"must be one of {', '.join(CHECKS)}")
    if not phrases and check is None:
        raise RuleError(path, line, rule_id, "phrases", "at least one phrase is required")
    fields = tuple(raw.get("fields", ("title", "description")))
    if not fields or any(name not in FIELDS for name in fields):
        raise RuleError(path, line, rule_id, "fields", f"each must be one of {', '.join(FIELDS)}")
    window = raw.get("near_window", 4)
    if not isinstance(window, int) or window < 1:
        raise RuleError(path, line, rule_id, "near_window", "must be a positive integer")
    return Rule(
        id=rule_id, rule_set=rule_set, category=category, severity=severity, score=score,
        legal_basis=basis.strip(), description=description.strip(), phrases=phrases, fields=fields,
        requires_brand=bool(raw.get("requires_brand", False)),
        requires_any=frozenset(_phrases(raw, "requires_any", ctx)),
        unless_any=frozenset(_phrases(raw, "unless_any", ctx)),
        unless_near=frozenset(_phrases(raw, "unless_near", ctx)), near_window=window,
        suppress_after=frozenset(_phrases(raw, "suppress_after", ctx)),
        unless_official=bool(raw.get("unless_official", False)), check=check, line=line,
        exact={normalize_phrase(p[1:]): nfc_lower(p[1:]) for p in raw.get("phrases", []) if p.startswith("=")},
        rank={phrase: i for i, phrase in enumerate(phrases)},
    )


def parse_brand(raw: Mapping[str, Any], path: str) -> Brand:
    """A validated :class:`Brand` from one YAML mapping."""
    line = raw.get("__line__")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleError(path, line, None, "name", "brand without a name")
    ctx = (path, line, name)
    aliases = raw.get("aliases", [])
    strict = raw.get("strict", [])
    misspellings = raw.get("misspellings", [])
    for key, value in (("aliases", aliases), ("strict", strict), ("misspellings", misspellings)):
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise RuleError(*ctx, key, "must be a list of non-empty strings")
    floors = raw.get("floors", {})
    if not isinstance(floors, Mapping) or not all(
        isinstance(k, str) and isinstance(v, int) and v > 0 for k, v in floors.items() if k != "__line__"
    ):
        raise RuleError(*ctx, "floors", "must map a product type to a positive VND integer")
    lines = raw.get("lines", {})
    if not isinstance(lines, Mapping) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, int) and v > 0 for k, v in lines.items() if k != "__line__"
    ):
        raise RuleError(*ctx, "lines", "must map a product line ('XO', '18 năm') to a positive VND integer")
    official = raw.get("official", {})
    if not isinstance(official, Mapping) or not all(
        isinstance(v, list) and all(isinstance(item, str) and item.strip() for item in v)
        for k, v in official.items() if k != "__line__"
    ):
        raise RuleError(*ctx, "official", "must map a source to a list of shop names, ids or domains")
    return Brand(
        name=name.strip(), group=str(raw.get("group", "other")), premium=bool(raw.get("premium", False)),
        aliases=tuple([name, *aliases]), strict=tuple(strict), misspellings=tuple(misspellings),
        official={k: tuple(v) for k, v in official.items() if k != "__line__"},
        floors={k: v for k, v in floors.items() if k != "__line__"},
        lines={normalize_phrase(k): v for k, v in lines.items() if k != "__line__"}, line=line,
    )
