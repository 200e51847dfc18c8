"""Website compliance: a shop website must show its MOIT notification badge and owner details.

The facts come from the site parser (``seller.website``); this module only turns them into a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.model import Finding
from rules.schema import Rule

__all__ = ["website_findings"]

_BADGE = {"unlinked": "logo thông báo Bộ Công Thương không liên kết", "absent": "logo thông báo Bộ Công Thương"}


def website_findings(rule: Rule | None, listing: Mapping[str, Any]) -> list[Finding]:
    """One ``website_compliance`` finding listing what the site fails to show, or nothing."""
    seller = listing.get("seller")
    facts = seller.get("website") if isinstance(seller, Mapping) else None
    if rule is None or not isinstance(facts, Mapping):
        return []
    missing = [str(item) for item in facts.get("missing") or () if item]
    badge = facts.get("moit_badge")
    if badge in _BADGE and not any("Bộ Công Thương" in item for item in missing):
        missing.insert(0, _BADGE[str(badge)])
    if not missing:
        return []
    description = f"{rule.description} Thiếu: {'; '.join(missing)}."
    return [Finding(rule.id, rule.rule_set, rule.category, rule.severity, rule.score, rule.legal_basis,
                    description, ())]
