"""Risk 0-100 of a listing: independent evidence adds up, the seller's standing moves it."""

from __future__ import annotations

from collections.abc import Sequence

from rules.model import Finding

__all__ = ["risk"]


def risk(findings: Sequence[Finding], official: bool) -> int:
    """Noisy-OR of finding scores (two medium cues beat one), raised by a watchlist hit, halved for an
    official store (its listings are rarely what the finding suggests)."""
    if not findings:
        return 0
    remaining = 1.0
    for finding in findings:
        remaining *= 1 - min(max(finding.score, 0), 100) / 100
    value = 100 * (1 - remaining)
    if any(f.category == "watchlist" for f in findings):
        value = max(value, 60) + 10
    if official:
        value *= 0.5
    return max(1, min(100, round(value)))
