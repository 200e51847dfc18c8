"""Evaluate phrase rules on a prepared listing: a phrase fires only when its context conditions hold."""

from __future__ import annotations

from rules.compile import Compiled, Hit
from rules.context import Context
from rules.model import Finding
from rules.schema import Rule, nfc_lower

__all__ = ["phrase_findings"]

_MAX_SPANS = 5


def _near(ctx: Context, rule: Rule, hit: Hit) -> bool:
    """A negating phrase within ``near_window`` words of the hit, or covering it ('không bán hàng fake')."""
    norm = ctx.fields[hit.field]
    at = norm.token_index(hit.start)
    for phrase in rule.unless_near:
        for other in ctx.hits.get(phrase, ()):
            if other.field != hit.field:
                continue
            if other.start <= hit.start and other.end >= hit.end:
                return True
            if abs(norm.token_index(other.start) - at) <= rule.near_window:
                return True
    return False


def _after_section(ctx: Context, rule: Rule, hit: Hit) -> bool:
    """The hit sits after an educational marker in the same field ('cách phân biệt hàng thật hàng giả')."""
    return any(
        other.field == hit.field and other.start <= hit.start
        for phrase in rule.suppress_after
        for other in ctx.hits.get(phrase, ())
    )


def _accent_ok(ctx: Context, rule: Rule, phrase: str, hit: Hit) -> bool:
    """Phrases written ``=hàng giả`` in YAML must keep their diacritics ('hàng giá' is a price)."""
    if phrase not in rule.exact:
        return True
    return nfc_lower(ctx.span(hit).text) == rule.exact[phrase]


def _fires(ctx: Context, rule: Rule) -> list[Hit]:
    hits = [h for p in rule.phrases for h in ctx.hits.get(p, ()) if h.field in rule.fields
            and _accent_ok(ctx, rule, p, h)]
    hits = [h for h in hits if not _near(ctx, rule, h) and not _after_section(ctx, rule, h)]
    if not hits:
        return []
    if rule.unless_official and ctx.official:
        return []
    if rule.requires_brand and not ctx.asserted:
        return []
    if rule.requires_any and not ctx.has(rule.requires_any):
        return []
    if rule.unless_any and ctx.has(rule.unless_any):
        return []
    return hits


def phrase_findings(compiled: Compiled, ctx: Context) -> list[Finding]:
    """Findings of every phrase rule whose trigger occurred, in rule order."""
    candidates: dict[str, Rule] = {}
    for phrase in ctx.hits.keys() & compiled.triggers.keys():
        for rule in compiled.triggers[phrase]:
            candidates[rule.id] = rule
    findings = []
    for rule in sorted(candidates.values(), key=lambda r: compiled.order[r.id]):
        hits = _fires(ctx, rule)
        if not hits:
            continue
        hits.sort(key=lambda h: (h.field != "title", h.start))
        spans = tuple(dict.fromkeys(ctx.span(h) for h in hits))[:_MAX_SPANS]
        findings.append(Finding(rule.id, rule.rule_set, rule.category, rule.severity, rule.score,
                                rule.legal_basis, rule.description, spans))
    return findings
