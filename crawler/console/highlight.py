"""Matched spans of findings as marked segments of the original field text, for ``<mark>`` in templates.

The text is split at the span offsets and each piece stays plain text: the template escapes every
piece (autoescape), so scraped text is never treated as markup, whatever it contains.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

__all__ = ["Segment", "field_spans", "segments"]


@dataclass(frozen=True)
class Segment:
    """A piece of the field: ``rules`` names the rules whose spans cover it (empty means not matched)."""

    text: str
    rules: tuple[str, ...] = ()

    @property
    def marked(self) -> bool:
        return bool(self.rules)


def field_spans(findings: Iterable[Mapping[str, Any]], field: str, text: str) -> list[tuple[int, int, str]]:
    """``(start, end, rule_id)`` of every span of ``field`` whose offsets fit ``text`` and cut out its words.

    A span whose offsets do not point at its own text (the listing changed since it was matched)
    is left out rather than marking the wrong words.
    """
    out = []
    for finding in findings:
        for span in finding.get("spans") or ():
            start, end = span.get("start"), span.get("end")
            if span.get("field") != field or not isinstance(start, int) or not isinstance(end, int):
                continue
            if 0 <= start < end <= len(text) and text[start:end] == span.get("text"):
                out.append((start, end, str(finding.get("rule_id") or "")))
    return out


def segments(text: str | None, spans: Iterable[tuple[int, int, str]]) -> list[Segment]:
    """``text`` cut at every span boundary; overlapping spans give segments naming all their rules."""
    text = text or ""
    spans = list(spans)
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = []
    for start, end in pairwise(cuts):
        rules = tuple(sorted({r for s, e, r in spans if s <= start and end <= e}))
        out.append(Segment(text[start:end], rules))
    return out
