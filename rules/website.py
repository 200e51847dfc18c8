"""Website compliance: a shop website must show its MOIT notification badge and owner details.

The facts come from the site parser (``seller.website``); this module only turns them into a finding.
"""

from __future__ import annotations

from typing import Any

from rules.model import Finding, as_mapping, finding_of, seller_of
from rules.schema import Rule

__all__ = ["website_findings"]

# A badge image without its online.gov.vn record link proves nothing (template clones copy the PNG).
_BADGE = {
    "unlinked": "Thông báo Bộ Công Thương (chỉ có logo, không liên kết tới hồ sơ trên online.gov.vn)",
    "absent": "Thông báo Bộ Công Thương",
}


def website_findings(rule: Rule | None, listing: dict[str, Any]) -> list[Finding]:
    """One ``website_compliance`` finding listing what the site fails to show, or nothing."""
    facts = as_mapping(seller_of(listing).get("website"))
    if rule is None or facts is None:
        return []
    missing = [str(item) for item in facts.get("missing") or () if item]
    badge = facts.get("moit_badge")
    if badge in _BADGE:
        missing = [_BADGE[str(badge)], *(item for item in missing if "Bộ Công Thương" not in item)]
    if not missing:
        return []
    description = f"{rule.description} Thiếu: {'; '.join(missing)}."
    return [finding_of(rule, description)]
