"""Brand-based findings: bent brand spellings and prices no genuine product can have.

A floor is set per brand and product type (a Rolex watch is never 2.500.000đ, a Casio F-91W can be).
Under the floor the listing is counterfeit; when a *premium* brand is also presented as genuine (no
admission, no bent spelling) it is a ``price_anomaly`` too — the case an inspector would otherwise miss.
"""

from __future__ import annotations

from rules.brands import BrandMention
from rules.compile import Compiled, Hit
from rules.context import Context
from rules.model import Finding, Span, finding_of
from rules.schema import Rule

__all__ = ["brand_findings", "product_type"]


def _finding(rule: Rule, spans: tuple[Span, ...], extra: str = "") -> Finding:
    return finding_of(rule, f"{rule.description} {extra}".strip(), spans)


def _vnd(amount: int) -> str:
    """``1250000`` → ``1.250.000đ`` (grouped by hand: compiled, cheaper than the ``,`` format and a replace)."""
    digits = str(amount)
    head = len(digits) % 3 or 3
    out = digits[:head]
    for at in range(head, len(digits), 3):
        out += "." + digits[at : at + 3]
    return out + "đ"


_TYPE_FIELDS = {"title": 0, "category": 1, "description": 2}  # where a product type is looked for, in order


def product_type(compiled: Compiled, ctx: Context) -> tuple[str, Hit] | None:
    """The product type named first in the title (else category, else description), the longest phrase
    where several start at the same word."""
    types = compiled.product_types
    best: Hit | None = None
    best_field = best_length = 0
    best_phrase = ""
    for phrase, hits in ctx.hits.items():
        if phrase not in types:
            continue
        for hit in hits:
            field = _TYPE_FIELDS.get(hit.field)
            if field is None:
                continue
            # (field, start, -length) below the best's, compared part by part: no tuples built
            if (best is None or field < best_field or (field == best_field and (
                    hit.start < best.start or (hit.start == best.start and len(phrase) > best_length)))):
                best, best_field, best_length, best_phrase = hit, field, len(phrase), phrase
    return (types[best_phrase], best) if best is not None else None


# A product line is named right after the brand ("Hennessy XO", "Ballantine's 30 năm", "Blue Label" itself).
_LINE_WINDOW = 2


def _line_floor(ctx: Context, mention: BrandMention) -> int | None:
    """The highest floor of the brand's product lines named at the mention (an XO is not priced like a VS)."""
    lines = mention.brand.lines
    if not lines:
        return None
    norm = ctx.fields[mention.hit.field]
    at = norm.token_index(mention.hit.end)
    floors = [lines[hit_phrase] for hit_phrase, hits in ctx.hits.items() if hit_phrase in lines for hit in hits
              if hit.field == mention.hit.field and hit.start >= mention.hit.start
              and norm.token_index(hit.start) - at <= _LINE_WINDOW]
    return max(floors, default=None)


def _floor(ctx: Context, mention: BrandMention, kind: str | None) -> int | None:
    floors = mention.brand.floors
    floor = floors.get(kind) if kind and kind in floors else floors.get("default")
    line = _line_floor(ctx, mention)
    return floor if line is None else max(line, floor or 0)


def brand_findings(compiled: Compiled, ctx: Context, admitted: bool) -> list[Finding]:
    """Obfuscation, price-floor and price-anomaly findings for the listing's asserted brand."""
    findings: list[Finding] = []
    bent = [m for m in ctx.asserted if m.obfuscated and m.hit.field in ("title", "description")]
    if bent and (rule := compiled.checks.get("brand_obfuscated")):
        findings.append(_finding(rule, (ctx.span(bent[0].hit),), f"Nhãn hiệu: {bent[0].brand.name}."))
    asserted = [m for m in ctx.asserted if m.hit.field in ("title", "description", "brand")]
    # the price is the price of what the title (or the brand field) names; another brand further down the
    # description ("tương thích Samsung, iPhone 15") is not what is sold
    asserted = [m for m in asserted if m.hit.field != "description"] or asserted
    if not asserted or ctx.price is None:
        return findings
    if ctx.has(compiled.lexicon.get("no_floor", frozenset()), ("title",)):
        return findings
    typed = product_type(compiled, ctx)
    kind = typed[0] if typed else None
    # Cheap unbranded accessories abound; only a claim of being genuine makes their price a lie.
    if kind in compiled.lexicon.get("claim_required_types", frozenset()) and not ctx.has(
        compiled.lexicon.get("genuine_claims", frozenset())
    ):
        return findings
    for mention in asserted:
        floor = _floor(ctx, mention, kind)
        if floor is None or ctx.price >= floor:
            continue
        if ctx.official:  # an official store is not held to the floors (asked only now: it costs)
            break
        spans = (ctx.span(mention.hit),) + ((ctx.span(typed[1]),) if typed else ())
        # the type in the seller's own word ("túi", "đồng hồ"): the type ids in context.yaml are English
        named = f"«{spans[1].text.lower()}»" if len(spans) > 1 else "chung"
        extra = f"Nhãn hiệu {mention.brand.name}, loại {named}: giá {_vnd(ctx.price)} dưới mức sàn {_vnd(floor)}."
        if rule := compiled.checks.get("price_floor"):
            findings.append(_finding(rule, spans, extra))
        premium = mention.brand.premium and not admitted and not bent
        if premium and (rule := compiled.checks.get("price_anomaly")):
            findings.append(_finding(rule, spans, extra))
        break
    return findings
