"""Rule engine: find counterfeit, banned, conditional, unknown-origin and falsely advertised goods.

``rules.load()`` compiles the shipped rule sets (``rules/sets/*.yaml``) and watchlists once;
``engine.assess(listing)`` returns an explained :class:`Assessment`. Never imports Scrapy.
"""

from __future__ import annotations

from rules.native import built

if (_native := built()) is not None:  # the compiled twins of the hot modules, when built for these sources
    __path__.insert(0, str(_native))

from rules.engine import Engine, load
from rules.model import CATEGORIES, Assessment, Finding, Span
from rules.schema import RuleError

__all__ = ["CATEGORIES", "Assessment", "Engine", "Finding", "RuleError", "Span", "load"]
