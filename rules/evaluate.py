"""Evaluate phrase rules on a prepared listing: a phrase fires only when its context conditions hold."""

from __future__ import annotations

from rules.compile import Compiled, Hit
from rules.context import Context
from rules.model import Finding, Span, finding_of
from rules.schema import Rule, nfc_lower

__all__ = ["phrase_findings"]

_MAX_SPANS = 5


def _near(ctx: Context, rule: Rule, hit: Hit, negations: list[Hit]) -> bool:
    """A negating phrase within ``near_window`` words of the hit, or covering it ('không bán hàng fake'); one
    that is only part of the hit does not negate it ('có tem phụ' inside 'không có tem phụ')."""
    norm = ctx.fields[hit.field]
    at = norm.token_index(hit.start)
    for other in negations:
        if other.field != hit.field or (other.start >= hit.start and other.end <= hit.end and other != hit):
            continue
        if other.start <= hit.start and other.end >= hit.end:
            return True
        if abs(norm.token_index(other.start) - at) <= rule.near_window:
            return True
    return False


def _after_section(hit: Hit, markers: list[Hit]) -> bool:
    """The hit sits after an educational marker in the same field ('cách phân biệt hàng thật hàng giả'), or the
    title announces the whole post as such a guide."""
    return any(other.field == "title" or (other.field == hit.field and other.start <= hit.start) for other in markers)


def _accent_ok(ctx: Context, rule: Rule, phrase: str, hit: Hit) -> bool:
    """Phrases written ``=hàng giả`` in YAML must keep their diacritics ('hàng giá' is a price)."""
    if phrase not in rule.exact:
        return True
    return nfc_lower(ctx.span(hit).text) == rule.exact[phrase]


def _listing_allows(ctx: Context, rule: Rule) -> bool:
    """The conditions on the listing as a whole, checked before any hit is looked at (they are cheaper)."""
    if rule.unless_official and ctx.official:
        return False
    if rule.requires_brand and not ctx.asserted:
        return False
    if rule.requires_any and not ctx.has(rule.requires_any):
        return False
    return not (rule.unless_any and ctx.has(rule.unless_any))


def _fires(ctx: Context, rule: Rule, phrases: list[str]) -> list[Hit]:
    """The hits of ``phrases`` (those of the rule's phrases that occur, in rule order) that count."""
    if not _listing_allows(ctx, rule):
        return []
    hits = [h for p in phrases for h in ctx.hits[p] if h.field in rule.fields and _accent_ok(ctx, rule, p, h)]
    negations, markers = ctx.occurrences(rule.unless_near), ctx.occurrences(rule.suppress_after)
    if not negations and not markers:
        return hits
    return [h for h in hits if not _near(ctx, rule, h, negations) and not _after_section(h, markers)]


def _first_spans(ctx: Context, hits: list[Hit]) -> tuple[Span, ...]:
    """The first ``_MAX_SPANS`` distinct spans of ``hits`` (a word repeated all over a post is shown once)."""
    if len(hits) == 1:  # the usual case: nothing to tell apart
        return (ctx.span(hits[0]),)
    spans: dict[Span, None] = {}
    for hit in hits:
        spans[ctx.span(hit)] = None
        if len(spans) == _MAX_SPANS:
            break
    return tuple(spans)


def phrase_findings(compiled: Compiled, ctx: Context) -> list[Finding]:
    """Findings of every phrase rule whose trigger occurred, in rule order."""
    present: dict[int, list[str]] = {}
    triggers = compiled.triggers
    for phrase in ctx.hits:
        found = triggers.get(phrase)
        if found is not None:  # not ``get(phrase, ())``: a list is iterated in C, a list-or-tuple is not
            for rule in found:
                present.setdefault(compiled.order[rule.id], []).append(phrase)
    findings = []
    for index in sorted(present):
        rule = compiled.rules[index]
        phrases = present[index]
        if len(phrases) > 1:  # sorting one item still calls its key
            phrases.sort(key=rule.rank.__getitem__)
        hits = _fires(ctx, rule, phrases)
        if not hits:
            continue
        if len(hits) > 1:
            hits.sort(key=lambda h: (h.field != "title", h.start))
        spans = _first_spans(ctx, hits)
        findings.append(finding_of(rule, rule.description, spans))
    return findings
